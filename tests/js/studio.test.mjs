// The studio in Chromium against a spawned `genprice serve --demo` (its own
// temporary database and catalog copy; tests/js/studio-harness.mjs): one
// test per flow of issue 12, in order on one server.
//   nodes of every studio; gating and the upgrade modal; insufficient
//   credits, a pack, then the same Generate succeeds; parity of 20 random
//   node settings with the ledger; the Credits page (charts, paging, CSV);
//   the plan advisor; accessibility (axe-core), keyboard reach, 390 px and
//   screenshots under target/studio/; a stale catalog, then re-confirm.
// (Generate → settle and a simulated failure → refund: serve-demo.test.mjs.)
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import AxeBuilder from "@axe-core/playwright";
import { launchChromium } from "./browser.mjs";
import { root } from "./helpers.mjs";
import { SECRET, openStudio, startDemo } from "./studio-harness.mjs";
import { createClient } from "../../pkg/client.js";
import { createEngine as createFullEngine } from "../../pkg/wallet.mjs";

const shots = join(root, "target", "studio");
let server;
let browser;
let api;
let failed = false;
before(async () => {
  server = await startDemo();
  browser = await launchChromium();
  api = createClient({ baseUrl: server.base, auth: SECRET });
  mkdirSync(shots, { recursive: true });
});
after(async () => {
  await browser?.close();
  await server?.stop(failed);
});
const flow = (name, fn) =>
  test(name, async () => {
    try {
      await fn();
    } catch (e) {
      failed = true;
      throw e;
    }
  });

/** Sets a range or select like a user: `input`, then `change`. */
async function setValue(page, selector, value) {
  await page.$eval(
    selector,
    (el, v) => {
      el.value = String(v);
      el.dispatchEvent(new Event("input", { bubbles: true }));
      el.dispatchEvent(new Event("change", { bubbles: true }));
    },
    value,
  );
}

const buttonOf = (page, key) => page.$eval(`#generate-${key}`, (b) => ({ total: Number(b.dataset.total), request: JSON.parse(b.dataset.request), text: b.textContent, locked: b.dataset.locked }));
const available = (page) => page.$eval("#balance", (b) => Number(b.dataset.available));

async function useAccount(page, account) {
  await page.selectOption("#account-select", account);
  await page.waitForFunction((a) => document.querySelector("#balance").dataset.account === a, account, { timeout: 10_000 });
}

/** Presses Generate on a node; resolves to the new job's dataset once it is listed. */
async function pressGenerate(page, key) {
  const jobs = await page.$$eval("#jobs li", (l) => l.length);
  await page.click(`#generate-${key}`);
  await page.waitForFunction((n) => document.querySelectorAll("#jobs li").length === n + 1, jobs, { timeout: 10_000 });
  return page.$eval("#jobs li", (li) => ({ ...li.dataset }));
}

const waitJobsDone = (page) => page.waitForFunction(() => [...document.querySelectorAll("#jobs li")].every((li) => li.dataset.done === "true"), null, { timeout: 20_000 });

flow("studio: a node for every studio of the catalog, each button priced as the server quotes it for the account", async () => {
  const { page, problems } = await openStudio(browser, server.base);
  // Reported, not asserted (a shared machine's timing would make a flaky test).
  console.log(`studio: first price on screen ${await page.evaluate(() => document.documentElement.dataset.firstPriceMs)} ms after navigation`);
  const { catalog } = await api.catalog();
  const studios = [...new Set(catalog.products.map((p) => p.studio))].sort();
  const nodes = await page.$$eval(".node", (ns) => ns.map((n) => n.dataset.studio));
  assert.deepEqual([...nodes].sort(), studios);
  const full = createFullEngine(catalog);
  const withDefaults = (p) => (p.quantity ? { product: p.id, [{ second: "seconds", character: "characters", token: "tokens", megapixel: "megapixels" }[p.meter]]: p.quantity.default ?? p.quantity.min } : { product: p.id });
  let starts = 0;
  for (const key of nodes) {
    const b = await buttonOf(page, key);
    const quote = await api.quote("demo-free", b.request);
    assert.equal(b.total, quote.total, `${key}: ${JSON.stringify(b.request)}`);
    // The first experience: where the free plan allows a model of the studio, the node starts on one it allows.
    const allowsOne = catalog.products.some((p) => p.studio === key && full.quote(withDefaults(p), { plan: "free" }).entitlement.allowed);
    assert.equal(quote.entitlement.allowed, allowsOne, `${key} starts on ${JSON.stringify(b.request)}`);
    starts += allowsOne;
  }
  assert.ok(starts >= 4, `${starts} studios start allowed`);
  // A slider re-prices through the fast path, and the breakdown explains the number.
  await setValue(page, "#video-seconds", 3);
  const video = await buttonOf(page, "video");
  assert.equal(video.total, (await api.quote("demo-free", video.request)).total);
  await page.click("#node-video details.breakdown summary");
  assert.equal(await page.$eval("#video-breakdown tr.sum td", (td) => td.textContent), `${video.total} credits`);
  // The first Generate works on the free plan.
  const job = await pressGenerate(page, "image");
  assert.equal(Number(job.amount), (await buttonOf(page, "image")).total);
  await waitJobsDone(page);
  assert.equal(await page.$eval("#jobs li", (li) => li.dataset.status), "settled");
  assert.deepEqual(problems, []);
  await page.context().close();
});

flow("studio: what the plan does not allow is locked with the cheapest plan that allows it; choosing it opens the upgrade modal", async () => {
  const { page, problems } = await openStudio(browser, server.base);
  const before = await available(page);
  const options = await page.$$eval("#video-resolution option", (os) => os.map((o) => ({ value: o.value, locked: o.dataset.locked ?? null, text: o.textContent })));
  const locked = options.filter((o) => o.locked !== null).map((o) => o.value).sort();
  assert.deepEqual(locked, ["1080p", "4k"], JSON.stringify(options));
  assert.ok(options.every((o) => (o.locked === null) === !/needs/.test(o.text)));
  await page.selectOption("#video-resolution", "1080p");
  await page.waitForFunction(() => document.querySelector("#upgrade").open, null, { timeout: 10_000 });
  const modal = await page.$eval("#upgrade", (d) => ({ code: d.dataset.code, text: d.textContent, plan: d.querySelector(".offer")?.dataset.plan }));
  assert.equal(modal.code, "not_entitled");
  assert.match(modal.text, /resolution "1080p"/);
  assert.equal(modal.plan, "pro");
  await page.click("#upgrade-close");
  // A duration: the slider says how far the plan goes; going further asks to upgrade.
  assert.equal(await page.$eval("#video-seconds-lock", (p) => p.textContent), "Your plan allows up to 5 s; more needs Pro.");
  await page.selectOption("#video-resolution", "720p");
  await setValue(page, "#video-seconds", 8);
  await page.waitForFunction(() => document.querySelector("#upgrade").open, null, { timeout: 10_000 });
  assert.match(await page.$eval("#upgrade", (d) => d.textContent), /seconds "8"/);
  // The offer: try it on the account that has the plan.
  await page.click("#upgrade-switch");
  await page.waitForFunction(() => document.querySelector("#balance").dataset.account === "demo-pro", null, { timeout: 10_000 });
  assert.equal(await page.$eval("#upgrade", (d) => d.open), false);
  const unlocked = await page.$$eval("#video-resolution option", (os) => os.filter((o) => o.dataset.locked !== undefined).map((o) => o.value));
  assert.deepEqual(unlocked, ["4k"], "Pro allows up to 1080p");
  assert.equal(await page.$$eval("#jobs li", (l) => l.length), 0);
  assert.equal((await api.balance("demo-free")).available, before);
  assert.deepEqual(problems, []);
  await page.context().close();
});

flow("studio: insufficient credits open the upgrade modal with balance, cost, shortfall, packs and plans; a pack bought, the same Generate succeeds", async () => {
  const { page, problems } = await openStudio(browser, server.base);
  await useAccount(page, "demo-pro");
  await page.selectOption("#video-model", "video/kling-2");
  await page.selectOption("#video-resolution", "1080p");
  await setValue(page, "#video-seconds", 10);
  await page.selectOption("#video-outputs", "2");
  const { total, request } = await buttonOf(page, "video");
  const { fingerprint } = await api.catalog();
  // Spend the account down below the button's number, through the API.
  while ((await api.balance("demo-pro")).available >= total) {
    const c = await api.charge("demo-pro", { request, expect: { total, fingerprint } });
    await api.settle("demo-pro", c.id);
  }
  const balance = (await api.balance("demo-pro")).available;
  await pressGenerateRefused(page, "video");
  const modal = await page.$eval("#upgrade", (d) => ({
    code: d.dataset.code,
    figures: Object.fromEntries([...d.querySelectorAll("dd[data-figure]")].map((x) => [x.dataset.figure, x.textContent])),
    packs: [...d.querySelectorAll("button[data-pack]")].map((b) => ({ pack: b.dataset.pack, text: b.textContent })),
    plans: [...d.querySelectorAll("[data-plan]")].map((x) => x.dataset.plan),
  }));
  assert.equal(modal.code, "insufficient_credits");
  assert.deepEqual(modal.figures, { balance: `${balance} credits`, cost: `${total} credits`, "short-by": `${total - balance} credits` });
  assert.ok(modal.packs.length >= 1, JSON.stringify(modal));
  assert.match(modal.packs[0].text, /^Buy \d+ × .+ · \d+\.\d\d USD$/);
  assert.ok(modal.plans.includes("studio"), JSON.stringify(modal.plans));
  await page.click(`button[data-pack="${modal.packs[0].pack}"]`);
  await page.waitForFunction(() => !document.querySelector("#upgrade").open, null, { timeout: 10_000 });
  await page.waitForFunction((b) => Number(document.querySelector("#balance").dataset.available) > b, balance, { timeout: 10_000 });
  assert.match(await page.$eval("#video-status", (s) => s.textContent), /Press Generate again/);
  const job = await pressGenerate(page, "video");
  assert.equal(Number(job.amount), total);
  await waitJobsDone(page);
  assert.equal(await page.$eval("#jobs li", (li) => li.dataset.status), "settled");
  const grants = (await api.ledger("demo-pro", { limit: 1000 })).entries.filter((e) => e.type === "grant" && e.metadata?.summary?.startsWith("pack "));
  assert.ok(grants.length >= 1);
  assert.deepEqual(problems.filter((p) => !/^HTTP 402: .*\/demo\/generate$/.test(p)), []);
  assert.equal(problems.length, 1, problems.join("\n"));
  await page.context().close();
});

async function pressGenerateRefused(page, key) {
  await page.click(`#generate-${key}`);
  await page.waitForFunction(() => document.querySelector("#upgrade").open, null, { timeout: 10_000 });
}

/** A small seeded PRNG (mulberry32): the same settings on every run. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

flow("studio: parity, for 20 random node settings the number on the button is the charge in the ledger", async () => {
  const { page, problems } = await openStudio(browser, server.base);
  await useAccount(page, "demo-pro");
  for (let i = 0; i < 12; i++) assert.equal((await fetch(`${server.base}/demo/pack`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ account: "demo-pro", pack: "small" }) })).status, 201);
  const next = random(12);
  const pick = (xs) => xs[Math.floor(next() * xs.length)];
  const keys = await page.$$eval(".node", (ns) => ns.map((n) => n.dataset.studio));
  const shown = new Map();
  for (let i = 0; i < 20; i++) {
    const key = pick(keys);
    const models = await page.$$eval(`#${key}-model option`, (os) => os.filter((o) => o.dataset.locked === undefined).map((o) => o.value));
    await page.selectOption(`#${key}-model`, pick(models));
    await page.$eval("#upgrade", (d) => d.open && d.close());
    for (const id of await page.$$eval(`#${key}-controls select:not(:disabled)`, (ss) => ss.map((s) => s.id))) {
      const values = await page.$$eval(`#${id} option`, (os) => os.filter((o) => o.dataset.locked === undefined).map((o) => o.value));
      await setValue(page, `#${id}`, pick(values));
    }
    for (const range of await page.$$eval(`#${key}-controls input[type=range]`, (rs) => rs.map((r) => ({ id: r.id, min: +r.min, max: +r.max })))) {
      await setValue(page, `#${range.id}`, range.min + Math.floor(next() * (range.max - range.min + 1)));
    }
    const b = await buttonOf(page, key);
    if (b.locked === "true") {
      i--; // a duration the plan denies: draw again
      continue;
    }
    const job = await pressGenerate(page, key);
    shown.set(job.charge, { total: b.total, request: b.request });
  }
  await waitJobsDone(page);
  const holds = new Map((await api.ledger("demo-pro", { limit: 1000 })).entries.filter((e) => e.type === "hold").map((e) => [e.hold, e.amount]));
  const settles = new Map((await api.ledger("demo-pro", { limit: 1000 })).entries.filter((e) => e.type === "settle").map((e) => [e.hold, e.amount]));
  assert.equal(shown.size, 20);
  for (const [charge, { total, request }] of shown) {
    assert.equal(holds.get(charge), total, JSON.stringify(request));
    assert.equal(settles.get(charge), total, JSON.stringify(request));
  }
  assert.deepEqual(problems, []);
  await page.context().close();
});

flow("studio: the Credits page draws usage by day and by studio, pages the ledger and exports it as CSV", async () => {
  const { page, problems } = await openStudio(browser, server.base);
  await useAccount(page, "demo-pro");
  await page.click("#tab-credits");
  await page.waitForFunction(() => document.querySelector("#view-credits").dataset.ready === "true", null, { timeout: 15_000 });
  const usage = await api.usage("demo-pro", { by: "studio" });
  const charts = await page.$eval("#view-credits", (v) => ({
    canvases: v.querySelectorAll(".chart .uplot canvas").length,
    studioTotal: Number(v.querySelector("#chart-studio").dataset.total),
    groups: v.querySelector("#chart-studio").dataset.groups,
    dayTotal: Number(v.querySelector("#chart-day").dataset.total),
  }));
  assert.equal(charts.canvases, 2, "both charts drawn by uPlot");
  assert.equal(charts.studioTotal, usage.total);
  assert.equal(charts.dayTotal, usage.total, "everything was spent today");
  assert.deepEqual(charts.groups.split(","), usage.groups.map((g) => g.key));
  // Drawn, not just present: the studio chart has coloured pixels.
  const inked = await page.$eval("#chart-studio canvas", (c) => {
    const data = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i + 3] > 0 && data[i + 1] > data[i] + 40) n++;
    return n;
  });
  assert.ok(inked > 100, `${inked} bar pixels`);

  const all = [];
  for await (const e of api.entries("demo-pro")) all.push(e);
  assert.ok(all.length > 40, `${all.length} entries`);
  const seqs = () => page.$$eval("#ledger tbody tr", (rs) => rs.map((r) => Number(r.dataset.seq)));
  assert.deepEqual(await seqs(), all.slice(0, 20).map((e) => e.seq));
  await page.click("#ledger-next");
  await page.waitForFunction(() => document.querySelector("#ledger").dataset.page === "2");
  assert.deepEqual(await seqs(), all.slice(20, 40).map((e) => e.seq));
  await page.click("#ledger-prev");
  await page.waitForFunction(() => document.querySelector("#ledger").dataset.page === "1");
  assert.deepEqual(await seqs(), all.slice(0, 20).map((e) => e.seq));

  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#ledger-csv")]);
  assert.equal(download.suggestedFilename(), "demo-pro-ledger.csv");
  const csv = readFileSync(await download.path(), "utf8").trimEnd().split("\n");
  assert.equal(csv[0], "seq,at,time_utc,type,credits,amount,source,hold,product,detail");
  assert.equal(csv.length, all.length + 1);
  assert.deepEqual(csv.slice(1).map((l) => l.split(",").slice(0, 2).map(Number)), all.map((e) => [e.seq, e.at]));
  const holds = csv.filter((l) => l.split(",")[3] === "hold");
  assert.equal(holds.length, all.filter((e) => e.type === "hold").length);
  assert.deepEqual(problems, []);
  await page.context().close();
});

flow("studio: the plan advisor shows the estimator's credits a month, buffer, every option with its waste, and the recommendation with its reason", async () => {
  const { page, problems } = await openStudio(browser, server.base, { hash: "#advisor" });
  await page.waitForFunction(() => document.querySelector("#advice").dataset.ready === "true", null, { timeout: 15_000 });
  await page.selectOption("#mix-1-product", "image/flux-pro");
  await page.fill("#mix-1-count", "30");
  await page.selectOption("#mix-1-per", "day");
  await page.fill("#mix-1-workdays", "20");
  await page.selectOption("#mix-2-product", "video/kling-2");
  await page.fill("#mix-2-count", "40");
  await page.selectOption("#mix-2-per", "month");
  await page.fill("#mix-2-workdays", "");
  await page.fill("#mix-buffer", "25");
  await page.$eval("#advice", (a) => delete a.dataset.ready);
  await page.click("#mix-estimate");
  await page.waitForFunction(() => document.querySelector("#advice").dataset.ready === "true");
  const { catalog } = await api.catalog();
  const expected = createFullEngine(catalog).estimate({
    usage: [
      { request: { product: "image/flux-pro" }, per: "day", count: 30, workdays: 20 },
      { request: { product: "video/kling-2" }, per: "month", count: 40 },
    ],
    bufferPercent: 25,
  });
  const shown = await page.$eval("#advice", (a) => ({
    perMonth: a.querySelector('[data-figure="per-month"]').textContent,
    buffer: a.querySelector('[data-figure="buffer"]').textContent,
    needed: a.querySelector('[data-figure="needed"]').textContent,
    pick: a.querySelector("#advice-pick").dataset.plan,
    why: a.querySelector("#advice-pick").textContent,
    options: [...a.querySelectorAll("#advice-options tbody tr")].map((r) => [r.dataset.plan, r.dataset.cycle, Number(r.querySelector("[data-wasted]").dataset.wasted)]),
  }));
  assert.equal(shown.perMonth, `${expected.creditsPerMonth} credits`);
  assert.equal(shown.buffer, "25 %");
  assert.equal(shown.needed, `${expected.creditsNeeded} credits`);
  assert.equal(shown.pick, expected.recommendation.plan);
  assert.ok(shown.why.includes(expected.recommendation.why), shown.why);
  assert.deepEqual(shown.options, expected.options.map((o) => [o.plan, o.cycle, o.wastedCredits]));
  assert.deepEqual(problems, []);
  await page.context().close();
});

/** Every visible control in tab order reachable with the Tab key. */
async function keyboardReach(page) {
  const controls = await page.$$eval("a[href], button, select, input, summary, [tabindex='0']", (els) =>
    els.filter((e) => e.offsetParent !== null && !e.disabled).map((e, i) => (e.dataset.reach = String(i))),
  );
  const reached = new Set();
  await page.focus("body");
  for (let i = 0; i < controls.length * 2 + 10; i++) {
    await page.keyboard.press("Tab");
    const r = await page.evaluate(() => document.activeElement?.dataset?.reach);
    if (r !== undefined) reached.add(r);
  }
  return controls.filter((c) => !reached.has(c));
}

async function axe(page) {
  const result = await new AxeBuilder({ page }).analyze();
  return result.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

flow("studio: axe-core finds no serious or critical violation on any page; every control is reachable by keyboard; the layout holds at 1280 and 390 px (screenshots in target/studio/)", async () => {
  for (const [width, height] of [
    [1280, 900],
    [390, 844],
  ]) {
    const { page, problems } = await openStudio(browser, server.base, { width, height });
    await useAccount(page, "demo-pro");
    for (const view of ["studio", "credits", "advisor"]) {
      await page.click(`#tab-${view}`);
      if (view === "credits") await page.waitForFunction(() => document.querySelector("#view-credits").dataset.ready === "true", null, { timeout: 15_000 });
      if (view === "advisor") await page.waitForFunction(() => document.querySelector("#advice").dataset.ready === "true", null, { timeout: 15_000 });
      assert.deepEqual(await axe(page), [], `${view} at ${width} px`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `${view} at ${width} px scrolls sideways by ${overflow} px`);
      if (width === 1280) assert.deepEqual(await keyboardReach(page), [], `${view}: controls Tab does not reach`);
      await page.screenshot({ path: join(shots, `${view}-${width}.png`), fullPage: true });
    }
    // The modal too.
    await page.click("#tab-studio");
    await page.selectOption("#video-resolution", "4k");
    await page.waitForFunction(() => document.querySelector("#upgrade").open);
    assert.deepEqual(await axe(page), [], `the upgrade modal at ${width} px`);
    await page.screenshot({ path: join(shots, `modal-${width}.png`) });
    await page.keyboard.press("Escape");
    assert.deepEqual(problems, []);
    await page.context().close();
  }
});

flow("studio: when the server's catalog changes, Generate gets catalog_changed, the page shows the new price and asks again; the second press is charged the new price", async () => {
  const { page, problems } = await openStudio(browser, server.base);
  const old = await buttonOf(page, "image");
  assert.equal(old.request.product, "image/flux-schnell");
  const before = await (await fetch(`${server.base}/v1/catalog`)).json();
  const toml = readFileSync(server.catalogPath, "utf8");
  const edited = toml.replace(/(id = "image\/flux-schnell"[\s\S]*?\nprice = )2\b/, "$13");
  assert.notEqual(edited, toml);
  writeFileSync(server.catalogPath, edited);
  server.reload();
  for (let i = 0; i < 200; i++) {
    const fp = (await (await fetch(`${server.base}/v1/catalog`)).json()).fingerprint;
    if (fp !== before.fingerprint) break;
    await new Promise((ok) => setTimeout(ok, 25));
  }
  await page.click("#generate-image");
  await page.waitForFunction(() => /Prices changed/.test(document.querySelector("#image-status")?.textContent ?? ""), null, { timeout: 10_000 });
  const fresh = await buttonOf(page, "image");
  assert.equal(fresh.total, (old.total / 2) * 3);
  assert.match(await page.$eval("#image-status", (s) => s.textContent), new RegExp(`now costs ${fresh.total} credits`));
  assert.notEqual(await page.$eval("#catalog-info", (f) => f.dataset.fingerprint), before.fingerprint);
  assert.equal(await page.$$eval("#jobs li", (l) => l.length), 0, "nothing was charged at the stale price");
  const job = await pressGenerate(page, "image");
  assert.equal(Number(job.amount), fresh.total);
  assert.deepEqual(problems.filter((p) => !/^HTTP 409: .*\/demo\/generate$/.test(p)), []);
  await page.context().close();
});
