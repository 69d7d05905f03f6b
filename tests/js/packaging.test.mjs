// Tests the npm package as users get it: `npm pack` pkg/, install the tarball
// into throwaway projects, and use it from Node ESM, Node CommonJS, and a Vite
// build served on localhost and opened in headless Chromium. Each prices the
// same request and must agree with the native CLI.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launchChromium } from "./browser.mjs";
import { nativeQuote, root } from "./helpers.mjs";
import { serve } from "./serve.mjs";

const REQUEST = { product: "video/veo-3", seconds: 8, resolution: "1080p", options: { audio: "on" } };
let work, tarball, expected;

function npm(args, cwd) {
  return execFileSync("npm", [...args, "--no-audit", "--no-fund", "--loglevel=error"], { cwd, stdio: ["ignore", "pipe", "pipe"] }).toString();
}

/** A throwaway project with `files`, with the packed tarball installed. */
function project(name, files, type = "module") {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: `try-${name}`, private: true, type }));
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  npm(["install", "--prefer-offline", "--ignore-scripts", tarball], dir);
  return dir;
}

before(() => {
  work = mkdtempSync(join(tmpdir(), "genprice-pack-"));
  const out = npm(["pack", "--pack-destination", work, "--json"], join(root, "pkg"));
  tarball = join(work, JSON.parse(out)[0].filename);
  [expected] = nativeQuote([JSON.stringify(REQUEST)]);
  assert.equal(typeof expected.total, "number");
});

after(() => rmSync(work, { recursive: true, force: true }));

test("packaging: the tarball holds the built files and nothing else", () => {
  const [info] = JSON.parse(npm(["pack", "--dry-run", "--json"], join(root, "pkg")));
  const files = info.files.map((f) => f.path).sort();
  for (const f of ["index.js", "index.d.ts", "node.mjs", "node.cjs", "catalog.js", "catalog.cjs", "web/genprice_bg.wasm", "node/genprice_bg.wasm", "wallet.js", "wallet/web/genprice_bg.wasm", "package.json"]) {
    assert.ok(files.includes(f), `${f} missing from the package: ${files.join(", ")}`);
  }
  assert.ok(!files.some((f) => f.endsWith(".tgz") || f.startsWith("src/")), files.join(", "));
});

test("packaging: Node ESM (import)", () => {
  const dir = project("esm", {
    "index.js": `import { createEngine } from "genprice";
import { Wallet } from "genprice/wallet";
const q = createEngine().quote(${JSON.stringify(REQUEST)});
const w = new Wallet();
w.execute({ op: "grant", grant: { id: "g", source: "topup", amount: 5000, effectiveAt: 0 } }, 0);
console.log(JSON.stringify({ quote: q, after: w.preview(q.total, 1).availableAfter }));`,
  });
  const out = JSON.parse(execFileSync(process.execPath, ["index.js"], { cwd: dir }).toString());
  assert.deepStrictEqual(out.quote, expected);
  assert.equal(out.after, 5000 - expected.total);
});

test("packaging: Node CommonJS (require)", () => {
  const dir = project("cjs", {
    "index.js": `const { createEngine, defaultCatalog } = require("genprice");
const { Wallet } = require("genprice/wallet");
const q = createEngine(defaultCatalog).quote(${JSON.stringify(REQUEST)});
console.log(JSON.stringify({ quote: q, wallet: typeof Wallet }));`,
  }, "commonjs");
  const out = JSON.parse(execFileSync(process.execPath, ["index.js"], { cwd: dir }).toString());
  assert.deepStrictEqual(out.quote, expected);
  assert.equal(out.wallet, "function");
});

test("packaging: a Vite build, served and opened in Chromium", async () => {
  const dir = project("vite", {
    "index.html": `<!doctype html><html><body><output id="out">pending</output><script type="module" src="/main.js"></script></body></html>`,
    "main.js": `import { createEngine } from "genprice";
const q = createEngine().quote(${JSON.stringify(REQUEST)});
document.querySelector("#out").textContent = JSON.stringify(q);`,
    "vite.config.mjs": `export default { logLevel: "error", build: { target: "es2022" } };`,
  });
  execFileSync(process.execPath, [join(root, "node_modules", "vite", "bin", "vite.js"), "build"], { cwd: dir, stdio: "pipe" });
  const server = await serve(join(dir, "dist"));
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${server.url}/index.html`);
    await page.waitForFunction(() => document.querySelector("#out").textContent !== "pending", null, { timeout: 20000 });
    const quote = JSON.parse(await page.textContent("#out"));
    assert.deepStrictEqual(quote, expected);
    assert.deepStrictEqual(errors, []);
  } finally {
    await browser.close();
    await server.close();
  }
});
