// Parity between the browser engine and the charging service (issue 10):
// the real `genprice serve` (target/debug/genprice) on a temporary copy of
// pricing.toml and a temporary database, on a free loopback port.
//
// 1. GET /v1/catalog goes into the npm package's Engine; its fingerprint is
//    the ETag.
// 2. Random valid requests (seeded) are quoted by that engine and charged on
//    the server with `expect: {total, fingerprint}` from the quote: every
//    charge is 201, its amount the engine's total, its quote the engine's
//    quote. Each is then settled (fully or in part) or released, and the
//    balances add up.
// 3. A price in the catalog copy changes and SIGHUP reloads it: every charge
//    with the old fingerprint is 409 catalog_changed carrying the fresh quote
//    and fingerprint (the new engine's), the old total under the new
//    fingerprint is 409 price_changed, and the new engine's quote charges.
//
// Uses the built pkg/ (scripts/build-pkg.sh) and the debug binary (built by
// `cargo build` here if missing). GENPRICE_SEED replays a run;
// GENPRICE_PARITY_CASES changes the count; GENPRICE_BIN picks another binary.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, openSync, closeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { root, rng } from "./helpers.mjs";

const SEED = Number(process.env.GENPRICE_SEED ?? 20261126);
const CASES = Number(process.env.GENPRICE_PARITY_CASES ?? 1000);
const IN_FLIGHT = 16;
const ACCOUNTS = 4;
const PLAN = "studio"; // allows every tier, resolution, option and length
const KEY = "gps_sk_parity_test_secret";
const PROMO = 1_000_000_000; // credits per account: no charge is ever short
const CHANGED_PRODUCT = "image/flux-pro";

// ─── the pieces under test ───────────────────────────────────────────────

const pkgEntry = join(root, "pkg", "node.mjs");
if (!existsSync(join(root, "pkg", "node", "genprice.js"))) {
  throw new Error("serve-parity: pkg/ is not built: run `bash scripts/build-pkg.sh` first");
}
const { Engine, defaultCatalog } = await import(pkgEntry);

function binary() {
  const bin = process.env.GENPRICE_BIN || join(root, "target", "debug", "genprice");
  if (!existsSync(bin)) {
    console.log(`serve-parity: ${bin} is missing: running \`cargo build --bin genprice\` (scripts/test.sh builds it before the JS suites)`);
    execFileSync("cargo", ["build", "--quiet", "--bin", "genprice"], { cwd: root, stdio: "inherit" });
    if (!existsSync(bin)) throw new Error(`serve-parity: cargo build did not produce ${bin}`);
  }
  return bin;
}

// ─── the server process ──────────────────────────────────────────────────

const dir = mkdtempSync(join(tmpdir(), "genprice-serve-parity-"));
const catalogFile = join(dir, "pricing.toml");
const logFile = join(dir, "server.log");
let child = null;
let base = "";
let passed = 0; // tests that ran to their end: both, or the temp dir is kept

/** Kills the server by its pid (SIGKILL), if it still runs: the last resort. */
function killNow() {
  if (child && child.exitCode === null && child.signalCode === null) {
    try {
      process.kill(child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}
process.once("exit", killNow);
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => {
    killNow();
    process.kill(process.pid, signal);
  });
}

async function startServer() {
  copyFileSync(join(root, "pricing.toml"), catalogFile);
  const log = openSync(logFile, "a");
  child = spawn(
    binary(),
    ["serve", "--catalog", catalogFile, "--db", join(dir, "genprice.db"), "--listen", "127.0.0.1:0", "--sweep-ms", "1000"],
    {
      cwd: dir,
      env: { ...process.env, GENPRICE_SECRET_KEY: KEY, GENPRICE_LOG: "warn" },
      stdio: ["ignore", "pipe", log],
    },
  );
  closeSync(log);
  const exited = new Promise((_, fail) =>
    child.once("exit", (code, signal) => fail(new Error(`genprice serve exited before listening (${code ?? signal}):\n${readLog()}`))),
  );
  exited.catch(() => {});
  // The first stdout line is {"listening":"ADDR"}, once bound.
  const lines = createInterface({ input: child.stdout });
  const first = new Promise((ok) => lines.once("line", ok));
  const timeout = new Promise((_, fail) => setTimeout(() => fail(new Error(`genprice serve did not listen within 20 s:\n${readLog()}`)), 20_000).unref());
  const line = await Promise.race([first, exited, timeout]);
  const addr = JSON.parse(line).listening;
  assert.match(addr, /^127\.0\.0\.1:\d+$/);
  base = `http://${addr}`;
  child.stdout.resume(); // drain whatever else it prints
}

function readLog() {
  try {
    return readFileSync(logFile, "utf8").split("\n").slice(-40).join("\n");
  } catch {
    return "(no log)";
  }
}

/** SIGTERM, a clean exit within 10 s, else SIGKILL; answers how it ended. */
async function stopServer() {
  if (!child || child.exitCode !== null || child.signalCode !== null) return child ? child.exitCode ?? child.signalCode : null;
  const done = new Promise((ok) => child.once("exit", (code, signal) => ok(code ?? signal)));
  process.kill(child.pid, "SIGTERM");
  const timer = setTimeout(killNow, 10_000);
  const how = await done;
  clearTimeout(timer);
  return how;
}

before(startServer);

after(async () => {
  const how = await stopServer();
  if (passed < 2) {
    console.log(`serve-parity: the server ended with ${how}; kept ${dir}; its log ends:\n${readLog()}`);
  } else {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ─── HTTP ────────────────────────────────────────────────────────────────

async function call(method, path, { body, key, auth = true } = {}) {
  const headers = {};
  if (auth) headers.authorization = `Bearer ${KEY}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  if (key !== undefined) headers["idempotency-key"] = key;
  const response = await fetch(base + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(20_000),
  });
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body: json, text, headers: response.headers };
}

async function getCatalog() {
  const answer = await call("GET", "/v1/catalog", { auth: false });
  assert.equal(answer.status, 200, answer.text);
  const etag = answer.headers.get("etag");
  assert.match(etag ?? "", /^"sha256:[0-9a-f]{64}"$/, "the catalog's ETag is its quoted fingerprint");
  return { catalog: answer.body, etag, fingerprint: etag.slice(1, -1) };
}

/** Runs `work(i)` for 0 ≤ i < n with at most `limit` in flight. */
async function pool(n, limit, work) {
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      await work(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, worker));
}

/** A plain-data copy (what crosses the wire), for deep comparison. */
const plain = (value) => JSON.parse(JSON.stringify(value));

/** A plan quote without its plan and wallet parts: the engine's quote. */
function bare(quote) {
  const { entitlement: _e, credits: _c, ...rest } = quote;
  return rest;
}

// ─── requests ────────────────────────────────────────────────────────────

const FIELD = { second: "seconds", character: "characters", token: "tokens", megapixel: "megapixels" };

/** Random valid requests over `catalog`'s products, within their limits. */
function generator(seed, catalog) {
  const r = rng(seed);
  const int = (lo, hi) => lo + Math.floor(r() * (hi - lo + 1));
  const pick = (xs) => xs[Math.floor(r() * xs.length)];
  const chance = (p) => r() < p;

  function item() {
    const p = pick(catalog.products);
    const req = { product: p.id };
    const field = FIELD[p.meter];
    if (field && p.quantity && (p.quantity.default === null || chance(0.85))) {
      const { min, max, step = 1 } = p.quantity;
      const steps = Math.floor((max - min) / step);
      const k = chance(0.1) ? 0 : chance(0.1) ? steps : int(0, steps);
      req[field] = min + k * step;
    }
    if (chance(0.6)) req.outputs = int(1, p.outputs.max);
    const resolutions = Object.keys(p.resolutions);
    if (resolutions.length && chance(0.7)) req.resolution = pick(resolutions);
    const names = Object.keys(p.options);
    if (names.length && chance(0.7)) {
      req.options = {};
      for (const name of names) if (chance(0.7)) req.options[name] = pick(Object.keys(p.options[name].values));
    }
    return req;
  }

  return () => (chance(0.8) ? item() : { items: Array.from({ length: int(1, 5) }, item) });
}

const products = (request) => (request.items ?? [request]).map((i) => i.product);

// ─── shared state between the two tests ──────────────────────────────────

const accounts = Array.from({ length: ACCOUNTS }, (_, i) => `parity-${SEED}-${i}`);
const accountOf = (i) => accounts[i % ACCOUNTS];
let oldEngine = null;
let oldFingerprint = "";
let requests = [];
let oldQuotes = [];

test(`serve parity: ${CASES} random requests quoted in the npm engine, charged on genprice serve (seed ${SEED})`, async () => {
  const started = Date.now();

  // The catalog the browser loads.
  const { catalog, etag, fingerprint } = await getCatalog();
  oldEngine = new Engine(catalog);
  oldFingerprint = fingerprint;
  assert.equal(oldEngine.fingerprint, fingerprint, "the engine's fingerprint is the ETag");
  assert.equal(catalog.fingerprint, fingerprint, "the catalog JSON carries the ETag's fingerprint");
  assert.equal(
    defaultCatalog.fingerprint,
    fingerprint,
    "the server's pricing.toml is the one bundled into pkg/ (rebuild pkg/ or the binary if this fails)",
  );
  const cached = await fetch(base + "/v1/catalog", { headers: { "if-none-match": etag } });
  assert.equal(cached.status, 304, "If-None-Match with the ETag answers 304");

  // Accounts on a plan that allows everything, with credits to spare.
  for (const id of accounts) {
    const created = await call("POST", "/v1/accounts", { body: { id, plan: PLAN }, key: `create-${id}` });
    assert.equal(created.status, 201, created.text);
    const promo = await call("POST", `/v1/accounts/${id}/grants`, {
      body: { id: "parity-promo", source: "promo", amount: PROMO },
      key: `promo-${id}`,
    });
    assert.equal(promo.status, 201, promo.text);
  }

  // The requests and the browser's quotes.
  const next = generator(SEED, oldEngine.catalog());
  requests = Array.from({ length: CASES }, next);
  oldQuotes = requests.map((request, i) => {
    try {
      return plain(oldEngine.quote(request));
    } catch (e) {
      throw new Error(`#${i} the generator made a request the engine refuses: ${JSON.stringify(request)}: ${e.code} ${e.message}`);
    }
  });

  const mismatches = [];
  const statuses = {};
  const settled = Object.fromEntries(accounts.map((id) => [id, 0]));
  let charged = 0;
  let credits = 0;
  let resolved = { settled: 0, partial: 0, released: 0 };

  await pool(CASES, IN_FLIGHT, async (i) => {
    const request = requests[i];
    const quote = oldQuotes[i];
    const account = accountOf(i);
    const describe = () => `#${i} ${JSON.stringify(request)} (engine total ${quote.total})`;
    const charge = await call("POST", `/v1/accounts/${account}/charges`, {
      body: {
        request,
        expect: { total: quote.total, fingerprint: quote.catalog.fingerprint },
        metadata: { reference: `parity-${i}` },
      },
      key: `parity-charge-${SEED}-${i}`,
    });
    statuses[charge.status] = (statuses[charge.status] ?? 0) + 1;
    if (charge.status !== 201) {
      mismatches.push(`${describe()}: HTTP ${charge.status} ${charge.text.slice(0, 400)}`);
      return;
    }
    charged++;
    const body = charge.body;
    if (body.amount !== quote.total) mismatches.push(`${describe()}: charged ${body.amount}`);
    if (body.status !== "pending") mismatches.push(`${describe()}: status ${body.status}`);
    try {
      assert.deepStrictEqual(body.quote, quote);
    } catch {
      mismatches.push(`${describe()}: the charge's quote differs\n  server: ${JSON.stringify(body.quote)}\n  engine: ${JSON.stringify(quote)}`);
    }
    const allocated = (body.allocations ?? []).reduce((sum, a) => sum + a.amount, 0);
    if (allocated !== body.amount) mismatches.push(`${describe()}: allocations add up to ${allocated}, not ${body.amount}`);
    credits += body.amount;

    // Resolve it: settle a quarter fully, an eighth in part, release the rest.
    const path = `/v1/accounts/${account}/charges/${body.id}`;
    let answer;
    if (i % 4 === 0) {
      answer = await call("POST", `${path}/settle`, { body: {}, key: `parity-settle-${SEED}-${i}` });
      if (answer.status === 200 && answer.body.status === "settled" && answer.body.settledAmount === body.amount) {
        settled[account] += body.amount;
        resolved.settled++;
      } else mismatches.push(`${describe()}: settle: HTTP ${answer.status} ${answer.text.slice(0, 300)}`);
    } else if (i % 8 === 1) {
      const part = Math.floor(body.amount / 2);
      answer = await call("POST", `${path}/settle`, { body: { amount: part }, key: `parity-settle-${SEED}-${i}` });
      if (answer.status === 200 && answer.body.status === "settled" && answer.body.settledAmount === part) {
        settled[account] += part;
        resolved.partial++;
      } else mismatches.push(`${describe()}: partial settle of ${part}: HTTP ${answer.status} ${answer.text.slice(0, 300)}`);
    } else {
      answer = await call("POST", `${path}/release`, { body: { reason: "parity test" }, key: `parity-release-${SEED}-${i}` });
      if (answer.status === 200 && answer.body.status === "released") resolved.released++;
      else mismatches.push(`${describe()}: release: HTTP ${answer.status} ${answer.text.slice(0, 300)}`);
    }
  });

  // The books balance: nothing left held, spent is what was settled.
  const books = [];
  for (const id of accounts) {
    const answer = await call("GET", `/v1/accounts/${id}/balance`);
    assert.equal(answer.status, 200, answer.text);
    const b = answer.body;
    if (b.held !== 0) books.push(`${id}: ${b.held} still held`);
    if (b.spent !== settled[id]) books.push(`${id}: spent ${b.spent}, settled ${settled[id]}`);
    if (b.granted !== b.available + b.held + b.spent + b.expired) books.push(`${id}: granted ${b.granted} ≠ available + held + spent + expired (${JSON.stringify(b)})`);
  }

  const items = requests.reduce((n, r) => n + products(r).length, 0);
  const batches = requests.filter((r) => r.items).length;
  const covered = new Set(requests.flatMap(products)).size;
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `serve parity: ${CASES} requests (${batches} with items; ${items} items over ${covered}/${oldEngine.catalog().products.length} products; seed ${SEED}), ` +
      `${charged} charged (${credits} credits), statuses ${JSON.stringify(statuses)}; ${resolved.settled} settled, ${resolved.partial} settled in part, ` +
      `${resolved.released} released; ${mismatches.length} mismatches; ${seconds} s`,
  );
  assert.equal(covered, oldEngine.catalog().products.length, "every product is exercised");
  assert.equal(mismatches.length, 0, mismatches.slice(0, 5).join("\n"));
  assert.equal(charged, CASES);
  assert.deepEqual(books, []);
  passed++;
});

test("serve parity: after a price change and SIGHUP, old-fingerprint charges are 409 catalog_changed with the fresh quote", async () => {
  assert.ok(oldEngine, "the first test loaded the catalog");
  const started = Date.now();

  // A price change in the catalog copy, then SIGHUP.
  const toml = readFileSync(catalogFile, "utf8");
  const edited = toml.replace(/(id = "image\/flux-pro"[\s\S]*?\nprice = )8\n/, "$19\n");
  assert.notEqual(edited, toml, `the edit found ${CHANGED_PRODUCT}'s price`);
  writeFileSync(catalogFile, edited);
  process.kill(child.pid, "SIGHUP");

  let fresh = null;
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const now = await getCatalog();
    if (now.fingerprint !== oldFingerprint) {
      fresh = now;
      break;
    }
    await new Promise((ok) => setTimeout(ok, 50));
  }
  assert.ok(fresh, `the ETag changed within 15 s of SIGHUP\n${readLog()}`);
  const newEngine = new Engine(fresh.catalog);
  const newFingerprint = fresh.fingerprint;
  assert.equal(newEngine.fingerprint, newFingerprint, "the new engine's fingerprint is the new ETag");
  assert.equal(child.exitCode, null, "the server survived SIGHUP");

  // Every request of the first test again, on the quote the user saw.
  const sample = requests.map((_, i) => i);
  const touched = sample.filter((i) => products(requests[i]).includes(CHANGED_PRODUCT));
  assert.ok(touched.length > 0, `some requests price ${CHANGED_PRODUCT}`);

  const mismatches = [];
  const counts = { catalogChanged: 0, priceChanged: 0, recharged: 0, repriced: 0 };
  await pool(sample.length, IN_FLIGHT, async (n) => {
    const i = sample[n];
    const request = requests[i];
    const old = oldQuotes[i];
    const now = plain(newEngine.quote(request));
    const account = accountOf(i);
    const describe = () => `#${i} ${JSON.stringify(request)} (old total ${old.total}, new ${now.total})`;
    if (now.total !== old.total) counts.repriced++;

    // The quote the user saw, on the old book: 409 catalog_changed.
    const stale = await call("POST", `/v1/accounts/${account}/charges`, {
      body: { request, expect: { total: old.total, fingerprint: old.catalog.fingerprint } },
      key: `parity-stale-${SEED}-${i}`,
    });
    const e = stale.body?.error;
    if (stale.status !== 409 || e?.code !== "catalog_changed") {
      mismatches.push(`${describe()}: old fingerprint: HTTP ${stale.status} ${stale.text.slice(0, 300)}`);
    } else {
      counts.catalogChanged++;
      if (e.fingerprint !== newFingerprint) mismatches.push(`${describe()}: catalog_changed names fingerprint ${e.fingerprint}`);
      try {
        assert.deepStrictEqual(bare(e.quote), now);
      } catch {
        mismatches.push(`${describe()}: catalog_changed's quote is not the new engine's\n  server: ${JSON.stringify(e.quote)}\n  engine: ${JSON.stringify(now)}`);
      }
    }

    // The old total under the new fingerprint, where the price moved: 409 price_changed.
    if (now.total !== old.total) {
      const forged = await call("POST", `/v1/accounts/${account}/charges`, {
        body: { request, expect: { total: old.total, fingerprint: newFingerprint } },
        key: `parity-old-total-${SEED}-${i}`,
      });
      if (forged.status !== 409 || forged.body?.error?.code !== "price_changed" || forged.body.error.quote?.total !== now.total) {
        mismatches.push(`${describe()}: old total, new fingerprint: HTTP ${forged.status} ${forged.text.slice(0, 300)}`);
      } else counts.priceChanged++;
    }

    // The new engine's quote charges.
    const charge = await call("POST", `/v1/accounts/${account}/charges`, {
      body: { request, expect: { total: now.total, fingerprint: now.catalog.fingerprint } },
      key: `parity-recharge-${SEED}-${i}`,
    });
    if (charge.status !== 201 || charge.body.amount !== now.total) {
      mismatches.push(`${describe()}: new quote: HTTP ${charge.status} ${charge.text.slice(0, 300)}`);
      return;
    }
    try {
      assert.deepStrictEqual(charge.body.quote, now);
    } catch {
      mismatches.push(`${describe()}: the new charge's quote differs from the new engine's`);
    }
    counts.recharged++;
    const released = await call("POST", `/v1/accounts/${account}/charges/${charge.body.id}/release`, {
      body: {},
      key: `parity-rerelease-${SEED}-${i}`,
    });
    if (released.status !== 200) mismatches.push(`${describe()}: release: HTTP ${released.status} ${released.text.slice(0, 300)}`);
  });

  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `serve parity after SIGHUP: ${sample.length} requests (${touched.length} price ${CHANGED_PRODUCT}, ${counts.repriced} repriced): ` +
      `${counts.catalogChanged} catalog_changed, ${counts.priceChanged} price_changed, ${counts.recharged} charged on the new quote; ` +
      `${mismatches.length} mismatches; ${seconds} s`,
  );
  assert.equal(mismatches.length, 0, mismatches.slice(0, 5).join("\n"));
  assert.equal(counts.catalogChanged, sample.length);
  assert.equal(counts.repriced, touched.length, `every request with ${CHANGED_PRODUCT} is repriced, no other`);
  assert.equal(counts.priceChanged, counts.repriced);
  assert.equal(counts.recharged, sample.length);

  // An invalid catalog on SIGHUP is refused (logged) and the one in force stays.
  const broken = edited.replace(/(id = "image\/flux-pro"[\s\S]*?\nprice = )9\n/, "$1-1\n");
  assert.notEqual(broken, edited);
  writeFileSync(catalogFile, broken);
  process.kill(child.pid, "SIGHUP");
  const until = Date.now() + 15_000;
  while (!readFileSync(logFile, "utf8").includes("reload refused") && Date.now() < until) {
    await new Promise((ok) => setTimeout(ok, 50));
  }
  assert.match(readFileSync(logFile, "utf8"), /reload refused/, "the invalid catalog's refusal is logged");
  assert.equal((await getCatalog()).fingerprint, newFingerprint, "the valid catalog stays in force");
  const request = requests[touched[0]];
  const now = plain(newEngine.quote(request));
  const still = await call("POST", `/v1/accounts/${accountOf(0)}/charges`, {
    body: { request, expect: { total: now.total, fingerprint: newFingerprint } },
    key: `parity-after-refusal-${SEED}`,
  });
  assert.equal(still.status, 201, still.text);
  assert.equal(still.body.amount, now.total);

  const how = await stopServer();
  assert.equal(how, 0, `SIGTERM stops the server cleanly\n${readLog()}`);
  passed++;
});
