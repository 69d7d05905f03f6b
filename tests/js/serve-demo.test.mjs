// `genprice serve --demo` with the built package (issue 12, first step):
// the real binary (target/debug/genprice) serves www/ and pkg/ on a free
// loopback port, on its own temporary database (no --db).
//
// 1. The package's files come with the types a browser needs
//    (`application/wasm`, `text/javascript`), byte for byte.
// 2. The studio page, loaded from the server in Chromium, prices with the
//    wasm engine it got from /pkg/; from that page, /demo/session and
//    /demo/generate run a generation with the button's own request and
//    total, and the charge (polled with the session token) settles.
//
// tests/serve_demo.rs covers the rest without pkg/ built. Uses the built
// pkg/ (scripts/build-pkg.sh) and the debug binary (built here if missing);
// GENPRICE_BIN picks another binary.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { launchChromium } from "./browser.mjs";
import { root } from "./helpers.mjs";

if (!existsSync(join(root, "pkg", "web", "genprice_bg.wasm"))) {
  throw new Error("serve-demo: pkg/ is not built: run `bash scripts/build-pkg.sh` first");
}

function binary() {
  const bin = process.env.GENPRICE_BIN || join(root, "target", "debug", "genprice");
  if (!existsSync(bin)) {
    console.log(`serve-demo: ${bin} is missing: running \`cargo build --bin genprice\``);
    execFileSync("cargo", ["build", "--quiet", "--bin", "genprice"], { cwd: root, stdio: "inherit" });
    if (!existsSync(bin)) throw new Error(`serve-demo: cargo build did not produce ${bin}`);
  }
  return bin;
}

const dir = mkdtempSync(join(tmpdir(), "genprice-serve-demo-"));
const logFile = join(dir, "server.log");
let child = null;
let base = "";
let failed = false;

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

function readLog() {
  try {
    return readFileSync(logFile, "utf8").split("\n").slice(-40).join("\n");
  } catch {
    return "(no log)";
  }
}

before(async () => {
  const log = openSync(logFile, "a");
  child = spawn(
    binary(),
    ["serve", "--demo", "--catalog", join(root, "pricing.toml"), "--www", join(root, "www"), "--pkg", join(root, "pkg"), "--listen", "127.0.0.1:0"],
    {
      cwd: dir,
      env: { ...process.env, GENPRICE_SECRET_KEY: "gps_sk_demo_test_secret", GENPRICE_LOG: "warn", GENPRICE_DEMO_DELAY_MS: "200" },
      stdio: ["ignore", "pipe", log],
    },
  );
  closeSync(log);
  const exited = new Promise((_, fail) =>
    child.once("exit", (code, signal) => fail(new Error(`genprice serve --demo exited before listening (${code ?? signal}):\n${readLog()}`))),
  );
  exited.catch(() => {});
  const lines = createInterface({ input: child.stdout });
  const first = new Promise((ok) => lines.once("line", ok));
  const timeout = new Promise((_, fail) => setTimeout(() => fail(new Error(`genprice serve --demo did not listen within 20 s:\n${readLog()}`)), 20_000).unref());
  const line = await Promise.race([first, exited, timeout]);
  base = `http://${JSON.parse(line).listening}`;
  child.stdout.resume();
});

after(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    const done = new Promise((ok) => child.once("exit", (code, signal) => ok(code ?? signal)));
    process.kill(child.pid, "SIGTERM");
    const timer = setTimeout(killNow, 10_000);
    const how = await done;
    clearTimeout(timer);
    if (how !== 0) failed = true;
  }
  if (failed) console.log(`serve-demo: kept ${dir}; the server's log ends:\n${readLog()}`);
  else rmSync(dir, { recursive: true, force: true });
});

test("serve --demo: the package's files with their content types", async () => {
  try {
    for (const [path, type] of [
      ["/pkg/web/genprice_bg.wasm", "application/wasm"],
      ["/pkg/index.js", "text/javascript"],
      ["/pkg/web/genprice.js", "text/javascript"],
      ["/studio.js", "text/javascript"],
    ]) {
      const response = await fetch(base + path);
      assert.equal(response.status, 200, path);
      assert.equal(response.headers.get("content-type")?.split(";")[0], type, path);
      const served = Buffer.from(await response.arrayBuffer());
      const file = path.startsWith("/pkg/") ? join(root, path.slice(1)) : join(root, "www", path.slice(1));
      assert.ok(served.equals(readFileSync(file)), `${path} is not the file's bytes`);
    }
  } catch (e) {
    failed = true;
    throw e;
  }
});

test("serve --demo: the page prices from /pkg/ and a generation from it settles", async () => {
  let browser;
  try {
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
    const problems = [];
    page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
    page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
    page.on("response", (r) => {
      if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
    });
    await page.goto(`${base}/`);
    await page.waitForFunction(() => document.querySelector("#generate-image")?.dataset.total !== undefined, null, { timeout: 15_000 });

    const outcome = await page.evaluate(async () => {
      const button = document.querySelector("#generate-image");
      const request = JSON.parse(button.dataset.request);
      const total = Number(button.dataset.total);
      const post = (path, body) =>
        fetch(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, body: await r.json() }));
      const account = "demo-pro";
      const session = await post("/demo/session", { account });
      const { fingerprint } = await (await fetch("/v1/catalog")).json();
      const started = await post("/demo/generate", { account, request, expect: { total, fingerprint } });
      let charge = started.body;
      for (let i = 0; i < 250 && charge.status === "pending"; i++) {
        await new Promise((ok) => setTimeout(ok, 20));
        const r = await fetch(`/v1/accounts/${account}/charges/${started.body.id}`, { headers: { authorization: `Bearer ${session.body.token}` } });
        charge = await r.json();
      }
      return { total, session: session.status, started: started.status, first: started.body.status, amount: started.body.amount, charge };
    });
    assert.equal(outcome.session, 201);
    assert.equal(outcome.started, 201, JSON.stringify(outcome));
    assert.equal(outcome.first, "pending");
    assert.equal(outcome.amount, outcome.total, "the charge is the button's number");
    assert.equal(outcome.charge.status, "settled", JSON.stringify(outcome.charge));
    assert.deepEqual(problems, []);
  } catch (e) {
    failed = true;
    throw e;
  } finally {
    await browser?.close();
  }
});

/** Opens the page served by the demo server and waits for its session and balance. */
async function openLivePage(browser, problems) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on("response", (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  await page.goto(`${base}/`);
  await page.waitForFunction(
    () => document.documentElement.dataset.ready === "true" && document.querySelector("#balance")?.dataset.available !== undefined,
    null,
    { timeout: 15_000 },
  );
  return page;
}

const available = (page) => page.$eval("#balance", (b) => Number(b.dataset.available));

/** Presses Generate on the image node (with the failure switch as asked) and waits for the job to finish. */
async function generateImage(page, fail) {
  const before = await available(page);
  const jobs = await page.$$eval("#jobs li", (l) => l.length);
  const total = Number(await page.$eval("#generate-image", (b) => b.dataset.total));
  await page.setChecked("#image-fail", fail);
  await page.click("#generate-image");
  await page.waitForFunction((n) => document.querySelectorAll("#jobs li").length === n + 1, jobs, { timeout: 10_000 });
  const pending = await page.$eval("#jobs li", (li) => ({ ...li.dataset }));
  // `done`: the charge is no longer pending and the balance was refreshed after it.
  await page.waitForFunction(() => document.querySelector("#jobs li").dataset.done === "true", null, { timeout: 10_000 });
  const done = await page.$eval("#jobs li", (li) => ({ ...li.dataset, text: li.textContent }));
  return { before, total, pending, done, after: await available(page) };
}

test("serve --demo: the page's catalog is the server's (footer fingerprint = ETag), with a session and a balance", async () => {
  let browser;
  try {
    const response = await fetch(`${base}/v1/catalog`);
    const etag = response.headers.get("etag").replace(/^"|"$/g, "");
    const served = await response.json();
    browser = await launchChromium();
    const problems = [];
    const page = await openLivePage(browser, problems);
    const foot = await page.$eval("#catalog-info", (f) => ({ ...f.dataset, text: f.textContent }));
    assert.equal(foot.fingerprint, etag);
    assert.equal(foot.source, "server");
    assert.equal(served.fingerprint, etag);
    const sidebar = await page.$eval("#account", (a) => ({ hidden: a.hidden, account: document.querySelector("#balance").dataset.account, sources: [...a.querySelectorAll(".sources li[data-source]")].length }));
    assert.deepEqual({ hidden: sidebar.hidden, account: sidebar.account }, { hidden: false, account: "demo-free" });
    assert.ok(sidebar.sources >= 1, "the balance shows its sources");
    await page.selectOption("#account-select", "demo-pro");
    await page.waitForFunction(() => document.querySelector("#balance").dataset.account === "demo-pro", null, { timeout: 10_000 });
    assert.deepEqual(problems, []);
  } catch (e) {
    failed = true;
    throw e;
  } finally {
    await browser?.close();
  }
});

test("serve --demo: Generate settles for the button's number; a simulated failure is released and the balance is back", async () => {
  let browser;
  try {
    browser = await launchChromium();
    const problems = [];
    const page = await openLivePage(browser, problems);
    await page.selectOption("#account-select", "demo-pro");
    await page.waitForFunction(() => document.querySelector("#balance").dataset.account === "demo-pro", null, { timeout: 10_000 });

    const ok = await generateImage(page, false);
    assert.equal(ok.pending.status, "pending", JSON.stringify(ok));
    assert.equal(Number(ok.pending.amount), ok.total, "the held amount is the button's number");
    assert.equal(ok.done.status, "settled", JSON.stringify(ok.done));
    assert.equal(Number(ok.done.amount), ok.total);
    assert.equal(ok.after, ok.before - ok.total, "the balance drops by the button's number");

    const ko = await generateImage(page, true);
    assert.equal(ko.pending.status, "pending", JSON.stringify(ko));
    assert.equal(ko.done.status, "released", JSON.stringify(ko.done));
    assert.equal(ko.after, ko.before, "a failed generation costs nothing");
    assert.deepEqual(problems, []);
  } catch (e) {
    failed = true;
    throw e;
  } finally {
    await browser?.close();
  }
});

test("serve --demo: a model the free plan does not allow is marked locked; choosing it opens the upgrade modal, and nothing is charged", async () => {
  let browser;
  try {
    browser = await launchChromium();
    const problems = [];
    const page = await openLivePage(browser, problems);
    const before = await available(page);
    const label = await page.$eval('#image-model option[value="image/flux-pro"]', (o) => ({ text: o.textContent, locked: o.dataset.locked }));
    assert.match(label.text, /needs Pro/);
    assert.equal(label.locked, "pro");
    await page.selectOption("#image-model", "image/flux-pro"); // tier pro: not on the free plan
    await page.waitForFunction(() => document.querySelector("#upgrade").open, null, { timeout: 10_000 });
    const modal = await page.$eval("#upgrade", (d) => ({ code: d.dataset.code, text: d.textContent, denials: d.querySelectorAll(".denials li").length, plan: d.querySelector(".offer")?.dataset.plan }));
    assert.equal(modal.code, "not_entitled", modal.text);
    assert.ok(modal.denials >= 1, modal.text);
    assert.match(modal.text, /does not allow tier "pro"/);
    assert.equal(modal.plan, "pro");
    await page.click("#upgrade-close");
    // The button now offers the upgrade instead of a generation.
    assert.match(await page.$eval("#generate-image", (b) => b.textContent), /^Unlock · 8 credits$/);
    await page.click("#generate-image");
    await page.waitForFunction(() => document.querySelector("#upgrade").open, null, { timeout: 10_000 });
    await page.keyboard.press("Escape");
    assert.equal(await page.$$eval("#jobs li", (l) => l.length), 0);
    assert.equal(await available(page), before);
    assert.deepEqual(problems, [], "no request was refused: the page knew");
  } catch (e) {
    failed = true;
    throw e;
  } finally {
    await browser?.close();
  }
});
