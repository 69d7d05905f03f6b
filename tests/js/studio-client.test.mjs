// genprice/client (pkg/client.js) against the spawned `genprice serve`:
// 1. its wire types (pkg/client-api.d.ts) are what scripts/client-types.mjs
//    generates from the served OpenAPI document, and its operation table is
//    the document's;
// 2. every error code the service documents is a code the client's types
//    name (the engine's ErrorCode or ServiceOnlyCode);
// 3. errors carry the server's code, path and details;
// 4. the README's Node backend (tests/js/studio-backend.mjs, checked against
//    the README) charges before a generation and settles, or releases when
//    the generation fails.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { root } from "./helpers.mjs";
import { SECRET, startDemo } from "./studio-harness.mjs";
import { clientTypes } from "../../scripts/client-types.mjs";
import { createClient, GenpriceApiError, operations } from "../../pkg/client.js";
import { studioBackend } from "./studio-backend.mjs";
import { createEngine } from "../../pkg/node.mjs";

let server;
let failed = false;
before(async () => {
  server = await startDemo();
});
after(async () => {
  await server?.stop(failed);
});
const guard = (fn) => async () => {
  try {
    await fn();
  } catch (e) {
    failed = true;
    throw e;
  }
};

test(
  "client: the committed wire types and operation table are the served OpenAPI document's",
  guard(async () => {
    const doc = await (await fetch(`${server.base}/v1/openapi.json?view=generic`)).json();
    assert.equal(readFileSync(join(root, "pkg", "client-api.d.ts"), "utf8"), clientTypes(doc), "run `node scripts/client-types.mjs --write`");
    const served = {};
    for (const [path, item] of Object.entries(doc.paths)) for (const [method, op] of Object.entries(item)) served[op.operationId] = [method.toUpperCase(), path];
    assert.deepEqual({ ...operations }, served);
  }),
);

test(
  "client: every code in docs/service.md's error table is a code the client's types name",
  guard(() => {
    const table = readFileSync(join(root, "docs", "service.md"), "utf8").split("## Errors")[1].split("\n## ")[0];
    const documented = new Set([...table.matchAll(/^\| \d{3} \|(.*)$/gm)].flatMap((m) => [...m[1].replace(/\([^)]*\)/g, "").matchAll(/`([a-z_]+)`/g)].map((c) => c[1])));
    const union = (text, name) => new Set([...text.split(`export type ${name} =`)[1].split(";")[0].matchAll(/"([a-z_]+)"/g)].map((m) => m[1]));
    const engine = union(readFileSync(join(root, "pkg", "web", "genprice.d.ts"), "utf8"), "ErrorCode");
    const service = union(readFileSync(join(root, "pkg", "client.d.ts"), "utf8"), "ServiceOnlyCode");
    assert.ok(documented.size > 30, `read ${documented.size} codes`);
    const missing = [...documented].filter((c) => !engine.has(c) && !service.has(c));
    assert.deepEqual(missing, []);
    assert.deepEqual([...service].filter((c) => engine.has(c)), [], "ServiceOnlyCode repeats an engine code");
  }),
);

test(
  "client: refusals are GenpriceApiErrors with the server's code, path and details",
  guard(async () => {
    const api = createClient({ baseUrl: server.base, auth: SECRET });
    const { catalog, fingerprint } = await api.catalog();
    assert.equal(fingerprint, catalog.fingerprint);
    await api.createAccount({ id: "client-u1", plan: "free" });
    const refusal = async (promise) => promise.then(() => assert.fail("resolved"), (e) => e);

    let e = await refusal(api.charge("client-u1", { request: { product: "image/nope" }, expect: { total: 1, fingerprint } }));
    assert.ok(e instanceof GenpriceApiError && e instanceof Error);
    assert.deepEqual([e.status, e.code, e.path], [422, "unknown_product", "request.product"]);

    e = await refusal(api.charge("client-u1", { request: { product: "video/wan-fast", seconds: 5, outputs: 2 }, expect: { total: 1, fingerprint } }));
    assert.deepEqual([e.status, e.code], [409, "price_changed"]);
    assert.equal(e.details.quote.total, 40);

    const big = { product: "video/wan-fast", seconds: 5, outputs: 2, resolution: "720p" };
    const total = createEngine(catalog).total(big);
    for (let i = 0; i < 10; i++) {
      const c = await api.charge("client-u1", { request: big, expect: { total, fingerprint } });
      await api.settle("client-u1", c.id);
    }
    e = await refusal(api.charge("client-u1", { request: big, expect: { total, fingerprint } }));
    assert.deepEqual([e.status, e.code, e.details.estimate], [402, "insufficient_credits", total]);
    assert.equal(e.details.shortfall, total - e.details.balance);

    const session = await api.createSession("client-u1");
    const browser = createClient({ baseUrl: server.base, auth: session.token });
    e = await refusal(browser.settle("client-u1", "ch_x"));
    assert.deepEqual([e.status, e.code], [403, "forbidden"]);
    e = await refusal(browser.balance("someone-else"));
    assert.deepEqual([e.status, e.code], [404, "unknown_account"]);
    e = await refusal(createClient({ baseUrl: "http://127.0.0.1:9", retries: 0 }).health());
    assert.deepEqual([e.status, e.code], [0, "network"]);

    // A session refreshed after a 401: the auth function is asked again.
    let asked = 0;
    const refreshing = createClient({ baseUrl: server.base, auth: async ({ expired }) => (asked++, expired ? session.token : "gps_st_stale") });
    assert.equal((await refreshing.balance("client-u1")).available, (await api.balance("client-u1")).available);
    assert.equal(asked, 2);

    // The ledger, paged and whole.
    const first = await browser.ledger("client-u1", { limit: 5 });
    assert.equal(first.entries.length, 5);
    const all = [];
    for await (const entry of browser.entries("client-u1", { limit: 7 })) all.push(entry.seq);
    assert.deepEqual(all.slice(0, 5), first.entries.map((x) => x.seq));
    assert.ok(all.length >= 2 + 20, `${all.length} entries`);
    const usage = await browser.usage("client-u1", { by: "studio" });
    assert.deepEqual(usage.groups, [{ key: "video", credits: 10 * total }]);
  }),
);

test(
  "client: the README's Node backend holds, then settles a generation that succeeds and releases one that fails",
  guard(async () => {
    const readme = readFileSync(join(root, "README.md"), "utf8");
    const example = readFileSync(join(root, "tests", "js", "studio-backend.mjs"), "utf8")
      .split("\n")
      .filter((l) => !l.startsWith("//"))
      .join("\n")
      .replace('"../../pkg/client.js"', '"genprice/client"')
      .trim();
    assert.ok(readme.includes(example), "README.md shows tests/js/studio-backend.mjs (with `genprice/client`)");

    const api = createClient({ baseUrl: server.base, auth: SECRET });
    await api.createAccount({ id: "backend-u1", plan: "pro" });
    const { catalog, fingerprint } = await api.catalog();
    const engine = createEngine(catalog);
    const backend = studioBackend({
      baseUrl: server.base,
      secretKey: SECRET,
      run: async (request) => {
        if (request.options?.quality === "high") throw new Error("the model crashed");
        return { images: request.outputs ?? 1 };
      },
    });
    await new Promise((ok) => backend.listen(0, "127.0.0.1", ok));
    try {
      const url = `http://127.0.0.1:${backend.address().port}/generate`;
      const post = async (request, total = engine.total(request)) => {
        const r = await fetch(url, { method: "POST", body: JSON.stringify({ user: "backend-u1", request, expect: { total, fingerprint } }) });
        return { status: r.status, body: await r.json() };
      };
      const start = (await api.balance("backend-u1")).available;
      const good = { product: "image/flux-pro", outputs: 2 };
      const ok = await post(good);
      assert.deepEqual(ok, { status: 200, body: { output: { images: 2 }, charged: engine.total(good) } });
      assert.equal((await api.balance("backend-u1")).available, start - engine.total(good));

      const bad = { product: "image/flux-pro", outputs: 2, options: { quality: "high" } };
      const ko = await post(bad);
      assert.equal(ko.status, 500);
      assert.equal((await api.balance("backend-u1")).available, start - engine.total(good), "a failed generation costs nothing");
      const entries = (await api.ledger("backend-u1")).entries.filter((x) => x.type !== "refill");
      assert.deepEqual(entries.map((x) => x.type), ["hold", "settle", "hold", "release"]);

      const stale = await post(good, engine.total(good) + 1);
      assert.deepEqual([stale.status, stale.body.error.code], [409, "price_changed"]);
    } finally {
      await new Promise((ok) => backend.close(ok));
    }
  }),
);

test(
  "client: `genprice/client` resolves through the package's exports in Node, a write sends a fresh idempotency key each call and retries with the same one",
  guard(async () => {
    const dir = mkdtempSync(join(tmpdir(), "genprice-client-"));
    try {
      mkdirSync(join(dir, "node_modules"));
      symlinkSync(join(root, "pkg"), join(dir, "node_modules", "genprice"), "dir");
      writeFileSync(
        join(dir, "main.mjs"),
        `import { createClient, GenpriceApiError } from "genprice/client";
const keys = [];
const api = createClient({ baseUrl: "http://x", auth: "k", fetch: async (url, init) => (keys.push(init.headers["idempotency-key"]), new Response('{"error":{"code":"unknown_account","message":"no"}}', { status: 404 })) });
for (let i = 0; i < 2; i++) await api.release("u", "ch_1").catch((e) => { if (!(e instanceof GenpriceApiError) || e.code !== "unknown_account") throw e; });
await api.release("u", "ch_1", {}, { idempotencyKey: "mine" }).catch(() => {});
const retried = [];
let calls = 0;
const flaky = createClient({ baseUrl: "http://x", auth: "k", fetch: async (url, init) => {
  retried.push(init.headers["idempotency-key"]);
  if (++calls === 1) throw new TypeError("connection reset");
  if (calls === 2) return new Response('{"error":{"code":"unavailable","message":"busy"}}', { status: 503 });
  return new Response('{"id":"ch_1","status":"released"}', { status: 200 });
} });
const released = await flaky.release("u", "ch_1");
console.log(JSON.stringify({ keys, retried, released }));`,
      );
      const { keys, retried, released } = JSON.parse(execFileSync(process.execPath, ["main.mjs"], { cwd: dir, encoding: "utf8" }));
      // A lost request and a 503 are retried with the same key: the server replays instead of acting twice.
      assert.equal(retried.length, 3);
      assert.equal(new Set(retried).size, 1);
      assert.equal(released.status, "released");
      assert.equal(keys.length, 3);
      assert.match(keys[0], /^[0-9a-f]{32}$/);
      assert.notEqual(keys[0], keys[1]);
      assert.equal(keys[2], "mine");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }),
);
