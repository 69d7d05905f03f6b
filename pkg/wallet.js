// genprice/wallet for browsers and bundlers: the pricing engine and the
// credit wallet, in a second wasm module so pages that only show prices
// never load the wallet. No wallet or pricing logic lives here.
import init, { Engine, Wallet } from "./wallet/web/genprice.js";

await init();

export { Engine, Wallet };
