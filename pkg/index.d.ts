// Declarations for the entry points. Every data type is generated from the
// Rust types by wasm-bindgen + tsify (web/genprice.d.ts); this file only
// declares what the small entry modules add.
import type { Catalog, ErrorCode } from "./web/genprice.js";

export { Engine, Pricer } from "./web/genprice.js";
export type {
  Catalog,
  CatalogRef,
  CatalogSpec,
  ErrorCode,
  Factor,
  ItemSpec,
  Line,
  Meter,
  Multiplier,
  OutputLimits,
  Product,
  ProductOption,
  QuantityLimits,
  Quote,
  QuoteError,
  QuoteResult,
  RequestSpec,
  Rounding,
  Studio,
  TotalResult,
} from "./web/genprice.js";

import type { Engine } from "./web/genprice.js";

/** The catalog bundled into this build (pricing.toml), as `genprice catalog` prints it. */
export declare const defaultCatalog: Catalog;

/**
 * An engine for `catalog`, by default {@link defaultCatalog}. In a browser,
 * throws a {@link GenpriceError} with code `not_loaded` until {@link load}
 * has succeeded (importing the package tries once by itself).
 */
export declare function createEngine(catalog?: Catalog): Engine;

/** Where the WebAssembly module comes from (see {@link load}). */
export type WasmSource =
  | string
  | URL
  | Request
  | Response
  | Promise<Response>
  | BufferSource
  | WebAssembly.Module;

/**
 * Loads the WebAssembly module, from `wasm` or by default the file next to
 * the package (streamed where the browser can). Rejects with the failure
 * and may be called again; resolves at once when already loaded (always in
 * Node, which loads on import).
 *
 * ```js
 * import { load, createEngine } from "genprice";
 * await load({ wasm: "https://cdn.example.com/genprice/web/genprice_bg.wasm" });
 * const engine = createEngine();
 * ```
 */
export declare function load(options?: { wasm?: WasmSource }): Promise<void>;

/** What the engine throws: a real `Error` with a stable `code`. */
export interface GenpriceError extends Error {
  /**
   * Stable machine-readable code, e.g. `"resolution_not_allowed"`;
   * `"not_loaded"` from `createEngine` before the module is loaded.
   */
  code: ErrorCode | "not_loaded";
  /** Path of the offending field, e.g. `"items[1].seconds"`. */
  path?: string;
  /**
   * For a name that was not found (`unknown_product`, `unknown_option`,
   * `invalid_option_value`): the nearest valid names, closest first, at
   * most 3, e.g. `["video/veo-3"]`. Absent when there are none.
   */
  suggestions?: string[];
  /** For catalog errors: every problem found. */
  diagnostics?: string[];
}
