// genprice/wallet for Node.js CommonJS (require): the full engine and the wallet.
"use strict";

const { Engine, Pricer, Wallet } = require("./wallet/node/genprice.js");
const defaultCatalog = require("./catalog.cjs");

/** A full engine for `catalog`, by default the bundled one. */
function createEngine(catalog = defaultCatalog) {
  return new Engine(catalog);
}

module.exports = { Engine, Pricer, Wallet, createEngine, defaultCatalog };
