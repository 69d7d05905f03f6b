// genprice/wallet for Node.js CommonJS (require): the full engine and the wallet.
"use strict";

const { Engine, Pricer, Wallet } = require("./wallet/node/genprice.js");
const defaultCatalog = require("./catalog.cjs");

/** A full engine for `catalog`, by default the bundled one. */
function createEngine(catalog = defaultCatalog) {
  return new Engine(catalog);
}

/** Node loads the module synchronously on require: resolves at once. */
async function load() {}

module.exports = { Engine, Pricer, Wallet, createEngine, defaultCatalog, load };
