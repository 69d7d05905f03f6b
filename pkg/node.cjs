// genprice for Node.js CommonJS (require).
"use strict";

const { Engine, Pricer } = require("./node/genprice.js");
const defaultCatalog = require("./catalog.cjs");

/**
 * An engine for `catalog`, by default the catalog bundled into this package.
 */
function createEngine(catalog = defaultCatalog) {
  return new Engine(catalog);
}

/** Node loads the module synchronously on require: resolves at once (the browser build's `load`). */
async function load() {}

module.exports = { Engine, Pricer, defaultCatalog, createEngine, load };
