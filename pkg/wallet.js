// genprice/wallet for browsers and bundlers: the full engine (plans,
// entitlements, the insufficient-credits answer, the estimator) and the
// credit wallet, in a second wasm module so pages that only show prices
// never load it. No wallet or pricing logic lives here.
import init, { Engine, Pricer, Wallet } from "./wallet/web/genprice.js";
import defaultCatalog from "./catalog.js";

await init();

/** A full engine for `catalog`, by default the bundled one. */
export function createEngine(catalog = defaultCatalog) {
  return new Engine(catalog);
}

export { Engine, Pricer, Wallet, defaultCatalog };
