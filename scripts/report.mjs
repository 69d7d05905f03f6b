#!/usr/bin/env node
// Size and speed report for the npm package (run after scripts/build-pkg.sh).
// Prints each figure beside its target (issue 11), in Node and, when
// Debian's chromium is installed, in headless Chromium; speeds also as a
// ratio to a hand-written function timed in the same run. Asserts nothing
// about speed (a busy machine is not a bug). The one budget it enforces is
// size, which is deterministic: the slim wasm must stay at most 64 KiB
// gzipped (node's gzip, level 9; exit 1 otherwise) unless
// GENPRICE_SIZE_BUDGET says otherwise. GENPRICE_REPORT_BROWSER=0 skips Chromium.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const pkg = join(root, "pkg");
const require = createRequire(import.meta.url);

// ── Size ─────────────────────────────────────────────────────────────────
function sizes(file) {
  const bytes = readFileSync(join(pkg, file));
  return {
    raw: bytes.length,
    gzip: gzipSync(bytes, { level: 9 }).length,
    brotli: brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  };
}
const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
const wasm = sizes("web/genprice_bg.wasm");
const full = sizes("wallet/web/genprice_bg.wasm");
const glue = ["web/genprice.js", "index.js"].map(sizes).reduce((a, b) => ({ raw: a.raw + b.raw, gzip: a.gzip + b.gzip, brotli: a.brotli + b.brotli }));
const catalog = sizes("catalog.js");

// ── Speed: the same benchmark in Node and in the browser ─────────────────
// `bench` is serialised into the page, so it takes everything it needs as
// arguments and returns plain numbers.
async function bench({ createEngine, defaultCatalog, now }) {
  const engine = createEngine();
  const request = { product: "video/veo-3", seconds: 8, resolution: "1080p", options: { audio: "on" } };
  // The floor a user could write by hand: one price table lookup and a few
  // multiplications in floating point (not exact, not explained, not validated).
  const table = Object.fromEntries(defaultCatalog.products.map((p) => [p.id, p]));
  function handQuote(r) {
    const p = table[r.product];
    let amount = p.price * (r.seconds ?? p.quantity.default) * (r.outputs ?? 1) * Number(p.resolutions[r.resolution ?? p.defaultResolution]);
    for (const [name, o] of Object.entries(p.options)) amount *= Number(o.values[r.options?.[name] ?? o.default]);
    return Math.ceil(amount / p.per);
  }
  if (handQuote(request) !== engine.quote(request).total) throw new Error("hand-written quote disagrees: fix the report");
  const { seconds, ...base } = request;
  const pricer = engine.pricer(base);
  if (pricer.total(seconds, 1) !== handQuote(request)) throw new Error("pricer disagrees: fix the report");

  // Median ns per call over `rounds` rounds of `calls` calls.
  function medianNs(fn, rounds = 41, calls = 2000) {
    for (let i = 0; i < calls * 5; i++) fn();
    const samples = [];
    for (let r = 0; r < rounds; r++) {
      const t = now();
      for (let i = 0; i < calls; i++) fn();
      samples.push(((now() - t) * 1e6) / calls);
    }
    samples.sort((a, b) => a - b);
    return samples[samples.length >> 1];
  }
  let sink = 0;
  const batch = Array.from({ length: 1000 }, () => request);
  const figures = {
    hand: medianNs(() => { sink += handQuote(request); }, 41, 200000),
    quote: medianNs(() => { sink += engine.quote(request).total; }),
    total: medianNs(() => { sink += engine.total(request); }),
    pricer: medianNs(() => { sink += pricer.total(seconds, 1); }, 41, 200000),
    quoteMany: medianNs(() => { sink += engine.quoteMany(batch).length; }, 15, 5) / batch.length,
    totals: medianNs(() => { sink += engine.totals(batch).length; }, 15, 5) / batch.length,
  };
  if (!(sink > 0)) throw new Error("the benchmark did nothing");
  return figures;
}

// Node: the same process.
const { createEngine, defaultCatalog } = require(join(pkg, "node.cjs"));
const node = await bench({ createEngine, defaultCatalog, now: () => performance.now() });

// Node cold start, in a fresh process: read the bytes, compile them, then
// the package's own load (instantiate, with V8's cache of the module just
// compiled), the bundled catalog, the first quote.
const coldNode = JSON.parse(execFileSync(process.execPath, ["-e", `
  const { readFileSync } = require("node:fs");
  const t0 = performance.now();
  const bytes = readFileSync(${JSON.stringify(join(pkg, "node", "genprice_bg.wasm"))});
  const t1 = performance.now();
  new WebAssembly.Module(bytes);
  const t2 = performance.now();
  const { createEngine } = require(${JSON.stringify(join(pkg, "node.cjs"))});
  const t3 = performance.now();
  const engine = createEngine();
  const t4 = performance.now();
  engine.quote({ product: "video/veo-3", seconds: 8, resolution: "1080p", options: { audio: "on" } });
  const t5 = performance.now();
  console.log(JSON.stringify({ fetch: t1 - t0, compile: t2 - t1, instantiate: t3 - t2, catalog: t4 - t3, first: t5 - t4 }));
`]).toString());

// Chromium: the web build served over HTTP, in a fresh page.
let chrome = null;
if (process.env.GENPRICE_REPORT_BROWSER !== "0") {
  try {
    chrome = await inChromium();
  } catch (e) {
    console.error(`report: no Chromium figures (${e.message.split("\n")[0]})`);
  }
}

async function inChromium() {
  const { launchChromium } = await import(join(root, "tests", "js", "browser.mjs"));
  const { serve } = await import(join(root, "tests", "js", "serve.mjs"));
  const server = await serve(root);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(`${server.url}/pkg/package.json`);
    const cold = await page.evaluate(async () => {
      const t0 = performance.now();
      const response = await fetch("/pkg/web/genprice_bg.wasm");
      const bytes = await response.arrayBuffer();
      const t1 = performance.now();
      await WebAssembly.compile(bytes);
      const t2 = performance.now();
      const { createEngine } = await import("/pkg/index.js");
      const t3 = performance.now();
      const engine = createEngine();
      const t4 = performance.now();
      engine.quote({ product: "video/veo-3", seconds: 8, resolution: "1080p", options: { audio: "on" } });
      const t5 = performance.now();
      return { fetch: t1 - t0, compile: t2 - t1, instantiate: t3 - t2, catalog: t4 - t3, first: t5 - t4 };
    });
    const speed = await page.evaluate(async (source) => {
      const { createEngine, defaultCatalog } = await import("/pkg/index.js");
      const bench = (0, eval)(`(${source})`);
      return bench({ createEngine, defaultCatalog, now: () => performance.now() });
    }, bench.toString());
    return { cold, speed, version: browser.version() };
  } finally {
    await browser.close();
    await server.close();
  }
}

// ── The table ────────────────────────────────────────────────────────────
const us = (ns) => (ns >= 1000 ? `${(ns / 1000).toFixed(2)} µs` : `${ns.toFixed(0)} ns`);
const ratio = (ns, f) => `${(ns / f.hand).toFixed(ns / f.hand < 10 ? 1 : 0)}×`;
const speedRow = (label, key, target, met) => {
  const cells = [node, chrome?.speed].map((f) => (f ? `${us(f[key])} (${ratio(f[key], f)})` : "–"));
  return `| ${label} | ${cells[0]} | ${cells[1]} | ${target} | ${met(node) ? "yes" : "no"} |`;
};
const ms = (x) => `${x.toFixed(2)} ms`;
const coldTotal = (c) => c.fetch + c.compile + c.instantiate + c.catalog + c.first;
const coldRow = (label, key) => `| cold start: ${label} | ${ms(coldNode[key])} | ${chrome ? ms(chrome.cold[key]) : "–"} | | |`;
const budget = Number(process.env.GENPRICE_SIZE_BUDGET ?? 64 * 1024);

console.log(`| figure | Node (ratio to hand-written) | Chromium (ratio) | target | met in Node |
|---|---|---|---|---|
| hand-written JS over the same table, median | ${us(node.hand)} | ${chrome ? us(chrome.speed.hand) : "–"} | (the floor) | |
${speedRow("pricer.total(seconds, outputs), median", "pricer", "≤ 1.5× hand-written", (f) => f.pricer <= 1.5 * f.hand)}
${speedRow("engine.total(request), median", "total", "≤ 1 µs", (f) => f.total <= 1000)}
${speedRow("engine.quote(request), explained, median", "quote", "≤ 5 µs", (f) => f.quote <= 5000)}
${speedRow("engine.totals(), 1,000 items, per item", "totals", "≤ 300 ns", (f) => f.totals <= 300)}
${speedRow("engine.quoteMany(), 1,000 items, per item", "quoteMany", "≤ 3 µs", (f) => f.quoteMany <= 3000)}
${coldRow("read/fetch the wasm", "fetch")}
${coldRow("compile", "compile")}
${coldRow("instantiate: import the package (in Chromium this fetches and compiles again, streaming)", "instantiate")}
${coldRow("createEngine() with the bundled catalog", "catalog")}
${coldRow("first quote", "first")}
| cold start to the first number | ${ms(coldTotal(coldNode))} | ${chrome ? ms(coldTotal(chrome.cold)) : "–"} | ≤ 5 ms | ${coldTotal(coldNode) <= 5 ? "yes" : "no"} |
| slim wasm (web/genprice_bg.wasm) | ${kb(wasm.raw)} raw, ${wasm.gzip} B gzip (${kb(wasm.gzip)}), ${kb(wasm.brotli)} brotli | | ≤ 64 KiB gzip (aim ≤ 56) | ${wasm.gzip <= budget ? "yes" : "no"} |
| full wasm (wallet/web/genprice_bg.wasm) | ${kb(full.raw)} raw, ${full.gzip} B gzip (${kb(full.gzip)}) | | ≤ 160 KiB gzip | ${full.gzip <= 160 * 1024 ? "yes" : "no"} |
| JS glue (web/genprice.js + index.js) | ${kb(glue.raw)} raw, ${kb(glue.gzip)} gzip, ${kb(glue.brotli)} brotli | | | |
| bundled catalog (catalog.js) | ${kb(catalog.raw)} raw, ${kb(catalog.gzip)} gzip | | | |`);
console.log(`(node ${process.version}, ${process.arch}${chrome ? `; Chromium ${chrome.version}` : ""})`);
if (wasm.gzip > budget) {
  console.error(`report: the wasm is ${wasm.gzip} bytes gzipped, over the budget of ${budget}`);
  process.exit(1);
}
