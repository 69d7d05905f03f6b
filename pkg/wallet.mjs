// genprice/wallet for Node.js ES modules.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { Engine, Wallet } = require("./wallet/node/genprice.js");

export { Engine, Wallet };
