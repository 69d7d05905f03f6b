// genprice for browsers and bundlers (and plain <script type="module">).
// Importing this module tries to load the WebAssembly module next to it
// (genprice_bg.wasm, streamed with WebAssembly.instantiateStreaming), so
// `createEngine()` works right after the import. That attempt never breaks
// the import: if it fails (a CDN path, a strict CSP, offline), call
// `await load({ wasm })` with where the module really is, as often as
// needed. No pricing logic lives here.
import init, { Engine, Pricer } from "./web/genprice.js";
import defaultCatalog from "./catalog.js";

let loaded = false;
let failure;

/**
 * Loads the WebAssembly module: `wasm` is a URL (string or `URL`), a
 * `Request`, a `Response` (or a promise of one, e.g. `fetch(...)`), the
 * bytes, or a compiled `WebAssembly.Module`; by default the file next to
 * this module. Resolves once engines can be made; rejects with the
 * failure, and may then be called again. Once loaded, further calls
 * resolve at once.
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
 * An engine for `catalog`, by default the catalog bundled into this package
 * (the project's pricing.toml at build time). Throws an `Error` with code
 * `not_loaded` (and the load's failure as `cause`) until `load()` succeeds.
 */
export function createEngine(catalog = defaultCatalog) {
  if (!loaded) {
    const error = new Error(`the genprice WebAssembly module is not loaded: await load({ wasm }) first${failure ? ` (${failure.message ?? failure})` : ""}`, { cause: failure });
    error.code = "not_loaded";
    throw error;
  }
  return new Engine(catalog);
}

export { Engine, Pricer, defaultCatalog };
