// genprice for browsers and bundlers (and plain <script type="module">).
// Loads the WebAssembly module once, with top-level await, so `Engine` is
// ready as soon as this module is imported. No pricing logic lives here.
import init, { Engine, Pricer } from "./web/genprice.js";
import defaultCatalog from "./catalog.js";

await init();

/**
 * An engine for `catalog`, by default the catalog bundled into this package
 * (the project's pricing.toml at build time).
 */
export function createEngine(catalog = defaultCatalog) {
  return new Engine(catalog);
}

export { Engine, Pricer, defaultCatalog };
