// genprice/wallet for browsers and bundlers: the full engine (plans,
// entitlements, the insufficient-credits answer, the estimator) and the
// credit wallet, in a second wasm module so pages that only show prices
// never load it. No wallet or pricing logic lives here.
import init, { Engine, Pricer, Wallet } from "./wallet/web/genprice.js";
import defaultCatalog from "./catalog.js";

let loaded = false;
let failure;

/**
 * Loads the full WebAssembly module, as `load` of the main entry does:
 * `wasm` is a URL, `Request`, `Response`, the bytes or a compiled
 * `WebAssembly.Module` (default: the file next to this module). Rejects
 * with the failure and may be called again.
 */
export async function load({ wasm } = {}) {
  try {
    await init(wasm === undefined ? undefined : { module_or_path: wasm });
    loaded = true;
    failure = undefined;
  } catch (e) {
    failure = e;
    throw e;
  }
}

await load().catch(() => {}); // kept in `failure`; see createEngine

/**
 * A full engine for `catalog`, by default the bundled one. Throws an
 * `Error` with code `not_loaded` until `load()` succeeds.
 */
export function createEngine(catalog = defaultCatalog) {
  if (!loaded) {
    const error = new Error(`the genprice/wallet WebAssembly module is not loaded: await load({ wasm }) first${failure ? ` (${failure.message ?? failure})` : ""}`, { cause: failure });
    error.code = "not_loaded";
    throw error;
  }
  return new Engine(catalog);
}

export { Engine, Pricer, Wallet, defaultCatalog };
