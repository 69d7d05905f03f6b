// genprice for Node.js ES modules: the same engine as the CommonJS build.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { Engine, Pricer } = require("./node/genprice.js");
const defaultCatalog = require("./catalog.cjs");

/**
 * An engine for `catalog`, by default the catalog bundled into this package.
 */
export function createEngine(catalog = defaultCatalog) {
  return new Engine(catalog);
}

/** Node loads the module synchronously on import: resolves at once (the browser build's `load`). */
export async function load() {}

export { Engine, Pricer, defaultCatalog };
