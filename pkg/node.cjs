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

module.exports = { Engine, Pricer, defaultCatalog, createEngine };
