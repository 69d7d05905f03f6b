#!/usr/bin/env node
// Rewrites wasm-bindgen inline_js snippets (ES modules) as CommonJS for the nodejs target.
const fs = require("fs"), path = require("path");
function walk(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (p.endsWith(".js")) {
      let src = fs.readFileSync(p, "utf8");
      const names = [...src.matchAll(/^export function (\w+)/gm)].map((m) => m[1]);
      if (names.length === 0 || /^export (?!function)/m.test(src)) throw new Error(`${p}: cannot convert to CommonJS`);
      src = src.replace(/^export function /gm, "function ") + `\nmodule.exports = { ${names.join(", ")} };\n`;
      fs.writeFileSync(p, src);
    }
  }
}
walk(process.argv[2]);
