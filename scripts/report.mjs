#!/usr/bin/env node
// Size and speed report for the npm package (run after scripts/build-pkg.sh).
// Prints figures; asserts nothing about speed (a busy machine is not a bug).
// The one budget it enforces is size, which is deterministic: the wasm must
// stay at most 64 KiB gzipped (exit 1 otherwise) unless GENPRICE_SIZE_BUDGET
// says otherwise.
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
const glue = ["web/genprice.js", "index.js"].map(sizes).reduce((a, b) => ({ raw: a.raw + b.raw, gzip: a.gzip + b.gzip, brotli: a.brotli + b.brotli }));
const catalog = sizes("catalog.js");

// ── Speed (Node, one run) ────────────────────────────────────────────────
const { createEngine, defaultCatalog } = require(join(pkg, "node.cjs"));
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

function medianNs(fn, rounds = 41, calls = 2000) {
  for (let i = 0; i < calls * 5; i++) fn();
  const samples = [];
  for (let r = 0; r < rounds; r++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) fn();
    samples.push(Number(process.hrtime.bigint() - t) / calls);
  }
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1];
}
let sink = 0;
const quoteNs = medianNs(() => { sink += engine.quote(request).total; });
const handNs = medianNs(() => { sink += handQuote(request); }, 41, 200000);
const totalNs = medianNs(() => { sink += engine.total(request); });
const { seconds, ...base } = request;
const pricer = engine.pricer(base);
if (pricer.total(seconds, 1) !== handQuote(request)) throw new Error("pricer disagrees: fix the report");
const pricerNs = medianNs(() => { sink += pricer.total(seconds, 1); }, 41, 200000);
const batch = Array.from({ length: 1000 }, () => request);
const batchNs = medianNs(() => { sink += engine.quoteMany(batch).length; }, 15, 5) / batch.length;
const totalsNs = medianNs(() => { sink += engine.totals(batch).length; }, 15, 5) / batch.length;

// Cold start in a fresh process: compile + instantiate the module, load the
// catalog, first quote.
const cold = execFileSync(process.execPath, ["-e", `
  const t0 = process.hrtime.bigint();
  const { createEngine } = require(${JSON.stringify(join(pkg, "node.cjs"))});
  const t1 = process.hrtime.bigint();
  const engine = createEngine();
  const t2 = process.hrtime.bigint();
  engine.quote(${JSON.stringify(request)});
  const t3 = process.hrtime.bigint();
  console.log(JSON.stringify({ load: Number(t1 - t0) / 1e6, engine: Number(t2 - t1) / 1e6, first: Number(t3 - t2) / 1e6 }));
`]).toString();
const c = JSON.parse(cold);

const budget = Number(process.env.GENPRICE_SIZE_BUDGET ?? 64 * 1024);
console.log(`| figure | value |
|---|---|
| wasm (pkg/web/genprice_bg.wasm) | ${kb(wasm.raw)} raw, ${kb(wasm.gzip)} gzip, ${kb(wasm.brotli)} brotli |
| JS glue (web/genprice.js + index.js) | ${kb(glue.raw)} raw, ${kb(glue.gzip)} gzip, ${kb(glue.brotli)} brotli |
| bundled catalog (catalog.js) | ${kb(catalog.raw)} raw, ${kb(catalog.gzip)} gzip |
| engine.quote(), single item, median | ${(quoteNs / 1000).toFixed(2)} µs |
| hand-written JS over the same table, median | ${handNs.toFixed(0)} ns (ratio ${(quoteNs / handNs).toFixed(0)}×) |
| engine.total(), single item, median | ${(totalNs / 1000).toFixed(2)} µs (ratio ${(totalNs / handNs).toFixed(0)}×) |
| pricer.total(seconds, outputs), median | ${pricerNs.toFixed(0)} ns (ratio ${(pricerNs / handNs).toFixed(1)}×) |
| engine.quoteMany(), 1,000 items | ${batchNs.toFixed(0)} ns per item |
| engine.totals(), 1,000 items | ${totalsNs.toFixed(0)} ns per item |
| cold start: load module (compile + instantiate) | ${c.load.toFixed(1)} ms |
| cold start: new Engine(bundled catalog) | ${c.engine.toFixed(2)} ms |
| cold start: first quote | ${c.first.toFixed(2)} ms |`);
console.log(`(node ${process.version}, ${process.arch}; sink ${sink > 0})`);
if (wasm.gzip > budget) {
  console.error(`report: the wasm is ${wasm.gzip} bytes gzipped, over the budget of ${budget}`);
  process.exit(1);
}
