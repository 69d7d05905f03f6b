// genprice/wallet for Node.js ES modules: the full engine and the wallet.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { Engine, Pricer, Wallet } = require("./wallet/node/genprice.js");
const defaultCatalog = require("./catalog.cjs");

/** A full engine for `catalog`, by default the bundled one. */
export function createEngine(catalog = defaultCatalog) {
  return new Engine(catalog);
}

/** Node loads the module synchronously on import: resolves at once. */
export async function load() {}

export { Engine, Pricer, Wallet, defaultCatalog };
