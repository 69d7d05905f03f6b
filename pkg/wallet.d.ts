// Declarations for genprice/wallet, the full module: every type is
// generated from the Rust types (wallet/web/genprice.d.ts).
import type { Catalog, Engine } from "./wallet/web/genprice.js";

export { Engine, Pricer, Wallet } from "./wallet/web/genprice.js";
export type * from "./wallet/web/genprice.js";

/** The catalog bundled into this build (pricing.toml), plans included. */
export declare const defaultCatalog: Catalog;

/** A full engine for `catalog`, by default {@link defaultCatalog}. */
export declare function createEngine(catalog?: Catalog): Engine;

/** Loads the full WebAssembly module (see `load` in the main entry). */
export declare function load(options?: { wasm?: import("./index.js").WasmSource }): Promise<void>;
