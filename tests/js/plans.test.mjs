// Plans from JavaScript: the full engine (genprice/wallet) replays the plan
// vectors (tests/vectors/plans/*.json) exactly as tests/vectors.rs
// does natively, and every answer — entitlement, denials, upgrade, the
// insufficient-credits offers, errors with their messages — is identical to
// what `genprice quote --plan ID --balance N` prints for the same request.
// The estimate vectors (tests/vectors/estimates/*.json) likewise: the npm
// `engine.estimate(usage)` equals the golden answer and `genprice estimate`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { Engine, Wallet } from "../../pkg/wallet.mjs";
import { asResult, nativeBin, nativeQuote, readJson, rng, root } from "./helpers.mjs";

const dir = join(root, "tests", "vectors", "plans");
const files = readdirSync(dir).filter((f) => f.endsWith(".json")).sort();

/** CLI flags for quote options. */
function flags(options = {}) {
  const out = [];
  if (options.plan != null) out.push("--plan", options.plan);
  if (options.balance != null) out.push("--balance", String(options.balance));
  return out;
}

/** Prices requests natively in batches of equal options. */
function nativeAll(cases, catalogPath) {
  const groups = new Map();
  cases.forEach((c, i) => {
    const key = JSON.stringify(flags(c.options));
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(i);
  });
  const out = new Array(cases.length);
  for (const [key, indexes] of groups) {
    const results = nativeQuote(indexes.map((i) => JSON.stringify(cases[i].request)), catalogPath, JSON.parse(key));
    indexes.forEach((i, k) => (out[i] = results[k]));
  }
  return out;
}

test("plan vectors exist", () => assert.ok(files.length >= 2, files.join(", ")));

for (const file of files) {
  const doc = readJson("tests", "vectors", "plans", file);
  const engine = new Engine(readJson("tests", "vectors", "plans", doc.catalog));

  test(`plan vectors: ${file} replay in the npm full engine`, () => {
    for (const c of doc.cases) {
      const got = asResult(() => engine.quote(c.request, c.options));
      if (c.expect) assert.deepStrictEqual(got, c.quote, c.name);
      else {
        assert.ok(got.error, `${c.name}: expected ${c.error.code}`);
        assert.equal(got.error.code, c.error.code, c.name);
        assert.equal(got.error.path, c.error.path, c.name);
      }
    }
  });

  test(`plan vectors: ${file} — CLI and npm answer identically`, () => {
    // The CLI refuses a balance it cannot parse as u64 before pricing; the
    // vectors' out-of-range balance is still a u64, so every case applies.
    const native = nativeAll(doc.cases, doc.catalogSource);
    doc.cases.forEach((c, i) => {
      assert.deepStrictEqual(asResult(() => engine.quote(c.request, c.options)), native[i], c.name);
    });
  });
}

test("random requests under every plan and balance: CLI and npm agree", () => {
  const catalog = readJson("tests", "vectors", "catalogs", "studio.json");
  const engine = new Engine(catalog);
  const r = rng(Number(process.env.GENPRICE_SEED ?? 5));
  const pick = (xs) => xs[Math.floor(r() * xs.length)];
  const int = (lo, hi) => lo + Math.floor(r() * (hi - lo + 1));
  const item = () => {
    const p = pick(catalog.products);
    const req = { product: p.id };
    if (p.quantity) {
      const field = { second: "seconds", character: "characters", token: "tokens", megapixel: "megapixels" }[p.meter];
      req[field] = int(p.quantity.min, Math.min(p.quantity.max, p.quantity.min + 12));
    }
    if (r() < 0.7) req.outputs = int(1, p.outputs.max);
    const resolutions = Object.keys(p.resolutions);
    if (resolutions.length && r() < 0.7) req.resolution = pick(resolutions);
    for (const [name, option] of Object.entries(p.options)) if (r() < 0.5) (req.options ??= {})[name] = pick(Object.keys(option.values));
    return req;
  };
  const plans = [null, "gold", ...catalog.plans.map((p) => p.id)];
  const balances = [null, 0, 3, 50, 700, 100000];
  const cases = [];
  for (const plan of plans)
    for (const balance of balances)
      for (let k = 0; k < 40; k++)
        cases.push({ request: r() < 0.8 ? item() : { items: Array.from({ length: int(1, 4) }, item) }, options: { plan, balance } });
  const native = nativeAll(cases, "tests/vectors/catalogs/studio.json");
  let denied = 0;
  let short = 0;
  cases.forEach((c, i) => {
    const got = asResult(() => engine.quote(c.request, c.options));
    assert.deepStrictEqual(got, native[i], JSON.stringify(c));
    if (got.entitlement && !got.entitlement.allowed) denied++;
    if (got.credits && !got.credits.enough) short++;
  });
  // The mix must exercise denials and shortfalls, not only happy paths.
  assert.ok(denied > 100 && short > 100, `denied ${denied}, short ${short} of ${cases.length}`);
  console.log(`# ${cases.length} random plan quotes: ${denied} denied, ${short} short, 0 differences`);
});

/** `genprice estimate` for one usage mix: the parsed JSON line it prints. */
function nativeEstimate(usage, catalogPath) {
  try {
    return JSON.parse(execFileSync(nativeBin(), ["estimate", "--catalog", catalogPath], { cwd: root, input: JSON.stringify(usage) }).toString());
  } catch (e) {
    if (e.status !== 1) throw e;
    return JSON.parse(e.stdout.toString());
  }
}

const estimateDir = join(root, "tests", "vectors", "estimates");
for (const file of readdirSync(estimateDir).filter((f) => f.endsWith(".json")).sort()) {
  const doc = readJson("tests", "vectors", "estimates", file);
  const engine = new Engine(readJson("tests", "vectors", "estimates", doc.catalog));
  test(`estimate vectors: ${file} — npm equals golden and equals genprice estimate`, () => {
    for (const c of doc.cases) {
      const got = asResult(() => engine.estimate(c.usage));
      if (c.expect) {
        assert.deepStrictEqual(got, c.estimate, c.name);
        assert.equal(got.creditsPerMonth, c.expect.creditsPerMonth, c.name);
        assert.equal(got.recommendation?.plan, c.expect.recommended, c.name);
      } else {
        assert.equal(got.error?.code, c.error.code, c.name);
        assert.equal(got.error?.path, c.error.path, c.name);
      }
      assert.deepStrictEqual(got, nativeEstimate(c.usage, doc.catalogSource), `${c.name}: CLI differs`);
    }
  });
}

test("a pack bought with packGrant lands in the wallet; changePlan pro-rates an upgrade", () => {
  const catalog = readJson("tests", "vectors", "catalogs", "preprompt.json");
  const engine = new Engine(catalog);
  const day = 86_400_000;
  const wallet = new Wallet(catalog.wallet, []);
  const grant = engine.packGrant("studio", "pack-500", "order-1", 3 * day);
  assert.deepStrictEqual(grant, { id: "order-1", source: "topup", amount: 500, effectiveAt: 3 * day, priority: 0 });
  wallet.execute({ op: "grant", grant }, 3 * day);
  assert.equal(wallet.balance(3 * day).available, 500);
  const refused = asResult(() => engine.packGrant("free", "pack-500", "order-2", 3 * day));
  assert.equal(refused.error.code, "pack_not_in_plan");
  // Studio (10.00, 1,000) → Studio Pro (30.00, 3,000) with 10 of 30 days
  // left: 2,000 / 3 = 666.67 → 666 credits (down), 667 cents (up).
  const change = engine.changePlan({ from: "studio", to: "studio-pro", cycle: "monthly", start: 0, end: 30 * day, now: 20 * day });
  assert.deepStrictEqual(
    { effective: change.effective, credits: change.credits, price: change.price },
    { effective: "now", credits: 666, price: 667 },
  );
  assert.equal(engine.changePlan({ from: "studio-plus", to: "studio", cycle: "monthly", start: 0, end: 30 * day, now: day }).effective, "next_cycle");
  assert.equal(asResult(() => engine.changePlan({ from: "studio", to: "studio-pro", cycle: "weekly", start: 0, end: day, now: 0 })).error.code, "invalid_request");
  assert.equal(asResult(() => engine.changePlan({ from: "studio", to: "studio-pro", cycle: "monthly", start: 0, end: day, now: day })).error.code, "invalid_time");
});
