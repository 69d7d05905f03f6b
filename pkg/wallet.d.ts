// Declarations for genprice/wallet: every type is generated from the Rust
// types (wallet/web/genprice.d.ts).
export { Engine, Wallet } from "./wallet/web/genprice.js";
export type * from "./wallet/web/genprice.js";
