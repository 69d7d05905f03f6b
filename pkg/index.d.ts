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

/** An engine for `catalog`, by default {@link defaultCatalog}. */
export declare function createEngine(catalog?: Catalog): Engine;

/** What the engine throws: a real `Error` with a stable `code`. */
export interface GenpriceError extends Error {
  /** Stable machine-readable code, e.g. `"resolution_not_allowed"`. */
  code: ErrorCode;
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
