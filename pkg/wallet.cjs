// genprice/wallet for Node.js CommonJS (require).
"use strict";

const { Engine, Wallet } = require("./wallet/node/genprice.js");

module.exports = { Engine, Wallet };
