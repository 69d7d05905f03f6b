// Differential test: random valid and invalid requests, generated from the
// catalog, priced natively (`genprice quote`) and in wasm; every result must
// be identical: same quote object, or same error code, message and path.
// Set GENPRICE_SEED to replay a run; GENPRICE_CASES to change the count.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createEngine, defaultCatalog } from "../../pkg/node.mjs";
import { asResult, nativeQuote, rng } from "./helpers.mjs";

const SEED = Number(process.env.GENPRICE_SEED ?? 20261122);
const CASES = Number(process.env.GENPRICE_CASES ?? 12000);

function generator(seed, catalog) {
  const r = rng(seed);
  const int = (lo, hi) => lo + Math.floor(r() * (hi - lo + 1));
  const pick = (xs) => xs[Math.floor(r() * xs.length)];
  const chance = (p) => r() < p;
  const products = catalog.products;
  const fields = ["seconds", "characters", "tokens", "megapixels"];

  const oddNumber = () =>
    pick([-1, -0.5, 0, 0.5, 2.5, 1e30, -1e30, 9007199254740991, 9007199254740993, 1e-7, 4.000001, 123456789012]);
  const oddValue = () => pick([null, true, false, "8", "", [], {}, [1, 2], { a: 1 }, oddNumber(), "x".repeat(int(0, 80))]);

  function quantity(limits) {
    if (chance(0.8)) return int(Math.max(0, limits.min - 2), limits.max + 2);
    return oddNumber();
  }

  function item() {
    const p = chance(0.95) ? pick(products) : { id: pick(["video/nope", "", "image/FLUX", "edit"]), meter: "call", outputs: { max: 1 }, resolutions: {}, options: {} };
    const req = { product: p.id };
    const field = { second: "seconds", character: "characters", token: "tokens", megapixel: "megapixels" }[p.meter];
    if (field && (chance(0.85) || !p.quantity?.default)) req[field] = p.quantity ? quantity(p.quantity) : int(0, 9);
    if (chance(0.05)) req[pick(fields)] = int(0, 20); // maybe a field that does not apply
    if (chance(0.6)) req.outputs = chance(0.9) ? int(0, p.outputs.max + 1) : oddNumber();
    const resolutions = Object.keys(p.resolutions);
    if (chance(0.6)) req.resolution = chance(0.9) && resolutions.length ? pick(resolutions) : pick(["8k", "1080P", "", "720p"]);
    const names = Object.keys(p.options);
    if (names.length && chance(0.7)) {
      req.options = {};
      for (const name of names) {
        if (chance(0.7)) {
          const values = Object.keys(p.options[name].values);
          req.options[name] = chance(0.9) ? pick(values) : pick(["ultra", 60, true, 1.5, "", null]);
        }
      }
      if (chance(0.05)) req.options[pick(["hdr", "seed", "Quality"])] = "on";
    }
    if (chance(0.04)) req[pick(["duration", "fps", "Product", "items", "prompt"])] = oddValue();
    if (chance(0.03)) req[pick(["seconds", "outputs", "resolution", "product", "options"])] = oddValue();
    return req;
  }

  return () => {
    const roll = r();
    if (roll < 0.8) return item();
    if (roll < 0.93) return { items: Array.from({ length: int(0, 5) }, item) };
    return oddValue();
  };
}

test(`differential: ${CASES} random requests, native CLI vs wasm (seed ${SEED})`, () => {
  const engine = createEngine();
  const next = generator(SEED, engine.catalog());
  const requests = Array.from({ length: CASES }, next);
  const native = nativeQuote(requests.map((q) => JSON.stringify(q)));
  assert.equal(native.length, CASES);

  let priced = 0;
  const differences = [];
  requests.forEach((request, i) => {
    const wasm = asResult(() => engine.quote(request));
    if (!wasm.error) priced++;
    try {
      assert.deepStrictEqual(wasm, native[i]);
    } catch {
      differences.push(`#${i} ${JSON.stringify(request)}\n  native: ${JSON.stringify(native[i])}\n  wasm:   ${JSON.stringify(wasm)}`);
    }
  });
  const batch = engine.quoteMany(requests);
  const batchDifferences = batch.filter((result, i) => JSON.stringify(result) !== JSON.stringify(native[i])).length;

  console.log(`differential: ${CASES} requests (seed ${SEED}): ${priced} priced, ${CASES - priced} errors; ` +
    `${differences.length} differences in quote(), ${batchDifferences} in quoteMany()`);
  assert.ok(priced > CASES / 5 && priced < CASES - CASES / 5, `a useful mix of valid and invalid requests (${priced} priced)`);
  assert.equal(differences.length, 0, differences.slice(0, 5).join("\n"));
  assert.equal(batchDifferences, 0);
});

test("differential: the bundled catalog is pricing.toml's canonical form", () => {
  const [native] = nativeQuote([JSON.stringify({ product: "video/veo-3" })]);
  assert.equal(defaultCatalog.fingerprint, native.catalog.fingerprint);
});

test("differential: mistyped names get the same suggestions natively and in wasm", () => {
  const engine = createEngine();
  const requests = [
    { product: "veo3" },
    { product: "image/FLUX" },
    { product: "image/flux-pro", options: { qualty: "high" } },
    { product: "image/flux-pro", options: { quality: "hgh" } },
    { items: [{ product: "video/veo-3" }, { product: "video/wan_fast" }] },
    { product: "nothing/like-it" },
  ];
  const native = nativeQuote(requests.map((q) => JSON.stringify(q)));
  requests.forEach((request, i) => {
    const wasm = asResult(() => engine.quote(request));
    assert.deepStrictEqual(wasm, native[i], JSON.stringify(request));
    assert.deepStrictEqual(engine.quoteMany([request])[0], native[i]);
  });
  assert.deepStrictEqual(native[0].error.suggestions, ["video/veo-3"]);
  assert.deepStrictEqual(native[1].error.suggestions, ["image/flux-pro", "image/flux-schnell"]);
  assert.deepStrictEqual(native[4].error.suggestions, ["video/wan-fast"]);
  assert.equal(native[5].error.suggestions, undefined);
});

/** What a total-returning call gives, in the CLI's shape: the number or `{ error }`. */
const nativeTotal = (result) => (result.error ? result : result.total);

test(`differential: total() and totals() on ${CASES} random requests equal the native totals (seed ${SEED})`, () => {
  const engine = createEngine();
  const next = generator(SEED + 1, engine.catalog());
  const requests = Array.from({ length: CASES }, next);
  const native = nativeQuote(requests.map((q) => JSON.stringify(q))).map(nativeTotal);

  const differences = [];
  requests.forEach((request, i) => {
    const wasm = asResult(() => engine.total(request));
    try {
      assert.deepStrictEqual(wasm, native[i]);
    } catch {
      differences.push(`#${i} ${JSON.stringify(request)}\n  native: ${JSON.stringify(native[i])}\n  total:  ${JSON.stringify(wasm)}`);
    }
  });
  const batch = engine.totals(requests);
  assert.equal(batch.length, CASES);
  const batchDifferences = batch.filter((result, i) => JSON.stringify(result) !== JSON.stringify(native[i])).length;
  console.log(`differential: ${differences.length} differences in total(), ${batchDifferences} in totals()`);
  assert.equal(differences.length, 0, differences.slice(0, 5).join("\n"));
  assert.equal(batchDifferences, 0);
  assert.throws(() => engine.totals({ product: "video/veo-3" }), { code: "invalid_request" });
});

test(`differential: pricer.total() on ${CASES} random cases equals the native total of the same request (seed ${SEED})`, () => {
  const engine = createEngine();
  const catalog = engine.catalog();
  const r = rng(SEED + 2);
  const int = (lo, hi) => lo + Math.floor(r() * (hi - lo + 1));
  const pick = (xs) => xs[Math.floor(r() * xs.length)];
  const chance = (p) => r() < p;
  const FIELD = { second: "seconds", character: "characters", token: "tokens", megapixel: "megapixels" };
  const odd = () => pick([-1, -0.5, 0.5, 2.5, 1e30, 9007199254740991, 9007199254740993, 1e-7, 4.000001]);

  // A few bases per product: its defaults, chosen (or wrong) resolutions and
  // options, a quantity field that does not apply.
  const bases = [];
  for (const p of catalog.products) {
    for (let k = 0; k < 6; k++) {
      const base = { product: p.id };
      const resolutions = Object.keys(p.resolutions);
      if (chance(0.6)) base.resolution = chance(0.9) && resolutions.length ? pick(resolutions) : pick(["8k", ""]);
      const names = Object.keys(p.options);
      if (names.length && chance(0.7)) {
        base.options = {};
        for (const name of names) if (chance(0.7)) base.options[name] = chance(0.9) ? pick(Object.keys(p.options[name].values)) : "ultra";
      }
      if (chance(0.1)) base[pick(["seconds", "tokens", "megapixels"])] = int(1, 9);
      bases.push({ base, product: p, pricer: engine.pricer(base) });
    }
  }

  const cases = Array.from({ length: CASES }, () => {
    const { base, product, pricer } = pick(bases);
    const field = FIELD[product.meter];
    const limits = product.quantity ?? { min: 1, max: 1 };
    let quantity = field ? (chance(0.9) ? int(Math.max(0, limits.min - 2), limits.max + 2) : chance(0.5) ? undefined : odd()) : chance(0.5) ? 1 : undefined;
    const outputs = chance(0.9) ? int(0, product.outputs.max + 1) : chance(0.5) ? undefined : odd();
    const request = { ...base };
    if (field) request[field] = quantity; // undefined: absent, as JSON.stringify writes it
    request.outputs = outputs ?? 1;
    return { pricer, quantity, outputs, request };
  });
  const native = nativeQuote(cases.map((c) => JSON.stringify(c.request))).map(nativeTotal);

  let priced = 0;
  const differences = [];
  cases.forEach(({ pricer, quantity, outputs, request }, i) => {
    const wasm = asResult(() => (outputs === undefined ? pricer.total(quantity) : pricer.total(quantity, outputs)));
    if (typeof wasm === "number") priced++;
    try {
      assert.deepStrictEqual(wasm, native[i]);
      assert.deepStrictEqual(asResult(() => engine.total(request)), native[i]);
    } catch {
      differences.push(`#${i} ${JSON.stringify(request)} (${quantity}, ${outputs})\n  native: ${JSON.stringify(native[i])}\n  pricer: ${JSON.stringify(wasm)}`);
    }
  });
  console.log(`differential: ${CASES} pricer cases over ${bases.length} bases: ${priced} priced, ${differences.length} differences`);
  assert.ok(priced > CASES / 5 && priced < CASES - CASES / 5, `a useful mix of valid and invalid cases (${priced} priced)`);
  assert.equal(differences.length, 0, differences.slice(0, 5).join("\n"));
});

test("pricer: non-finite numbers, quantities of per-image products, scenes and its catalog", () => {
  const engine = createEngine();
  const video = engine.pricer({ product: "video/veo-3" });
  for (const bad of [NaN, Infinity, -Infinity]) {
    assert.deepStrictEqual(asResult(() => video.total(bad)), asResult(() => engine.quote({ product: "video/veo-3", seconds: bad, outputs: 1 })));
    assert.deepStrictEqual(asResult(() => video.total(8, bad)), asResult(() => engine.quote({ product: "video/veo-3", seconds: 8, outputs: bad })));
  }
  const image = engine.pricer({ product: "image/flux-pro" });
  assert.equal(image.total(1, 2), engine.total({ product: "image/flux-pro", outputs: 2 }));
  assert.equal(image.total(null, 2), image.total(1, 2));
  assert.throws(() => image.total(3, 2), { code: "unsupported_field", path: "quantity" });
  assert.throws(() => engine.pricer({ items: [{ product: "video/veo-3" }] }), { code: "invalid_request" });
  assert.throws(() => engine.pricer({ product: "video/nope" }), { code: "unknown_product" });
  assert.throws(() => engine.pricer({ product: "video/veo-3", prompt: "x" }), { code: "unknown_field" });
  assert.equal(video.fingerprint, engine.fingerprint);
});
