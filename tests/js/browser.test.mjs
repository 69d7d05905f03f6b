// The studio page (www/) in a real browser: the cost on each Generate button
// is the total the native CLI charges for the exact request the page built.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { launchChromium } from "./browser.mjs";
import { root, nativeQuote } from "./helpers.mjs";
import { serve } from "./serve.mjs";

/** Sets a control's value the way a user would, firing `input` and `change`. */
async function setValue(page, selector, value) {
  await page.evaluate(
    ([sel, v]) => {
      const el = document.querySelector(sel);
      if (!el) throw new Error(`no element ${sel}`);
      el.value = String(v);
      if (el.value !== String(v)) throw new Error(`${sel} refused value ${v} (has ${el.value})`);
      el.dispatchEvent(new Event("input", { bubbles: true }));
      el.dispatchEvent(new Event("change", { bubbles: true }));
    },
    [selector, value],
  );
}

/** The other values a <select> offers, besides its current one. */
async function otherOptions(page, selector) {
  return page.$eval(selector, (el) => [...el.options].map((o) => o.value).filter((v) => v !== el.value));
}

/** What the button says, and the request it would send. */
async function readButton(page, id) {
  return page.$eval(`#${id}`, (b) => ({
    text: b.textContent.trim(),
    disabled: b.disabled,
    request: b.dataset.request,
    total: b.dataset.total,
  }));
}

/** The button's number must be the native total for the button's own request. */
function assertMatchesNative(button) {
  assert.equal(button.disabled, false, `button disabled: ${button.text}`);
  const [native] = nativeQuote([button.request]);
  assert.ok(!native.error, `native CLI rejected ${button.request}: ${JSON.stringify(native.error)}`);
  const m = /·\s*(-?[\d.]+)\s/.exec(button.text);
  assert.ok(m, `no cost on the button: ${JSON.stringify(button.text)}`);
  const shown = m[1];
  const [whole, frac = ""] = shown.split(".");
  assert.equal(frac.length, native.decimals, `shown ${shown} with ${native.decimals} decimals`);
  assert.equal(Number(whole + frac), native.total, `button shows ${shown}, native total is ${native.total} for ${button.request}`);
  assert.equal(button.text, `Generate · ${native.display}`);
  assert.equal(button.total, String(native.total));
  return native;
}

test("studio page: live costs equal the native CLI's totals", async (t) => {
  const server = await serve(root);
  let browser;
  try {
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
    const problems = [];
    page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
    page.on("console", (msg) => {
      if (msg.type() === "error") problems.push(`console.error: ${msg.text()} (${msg.location()?.url ?? "?"})`);
    });
    page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
    page.on("response", (r) => {
      if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
    });

    await page.goto(`${server.url}/www/index.html`);
    await page.waitForFunction(
      () => /·\s*\d/.test(document.querySelector("#generate-video")?.textContent ?? "") && document.querySelector("#generate-image")?.dataset.total !== undefined,
      null,
      { timeout: 15_000 },
    );

    await t.test("video: seconds slider and resolution", async () => {
      const before = await readButton(page, "generate-video");
      assertMatchesNative(before); // the default state is right too

      const slider = await page.$eval("#video-seconds", (el) => ({ min: +el.min, max: +el.max, value: +el.value }));
      const seconds = slider.value !== slider.max ? slider.max : slider.min;
      assert.notEqual(seconds, slider.value, "slider has only one valid value");
      await setValue(page, "#video-seconds", seconds);

      const [resolution] = (await otherOptions(page, "#video-resolution")).reverse();
      assert.ok(resolution, "video resolution select has only one value");
      await setValue(page, "#video-resolution", resolution);

      const after = await readButton(page, "generate-video");
      const req = JSON.parse(after.request);
      assert.equal(req.seconds, seconds, `request ${after.request} lacks the new seconds`);
      assert.equal(req.resolution, resolution, `request ${after.request} lacks the new resolution`);
      const native = assertMatchesNative(after);
      assert.equal(native.lines[0].quantity, seconds);
      assert.notEqual(after.total, before.total, "the cost did not change");
    });

    await t.test("video: a moving slider (input only) is priced by the pricer, exactly", async () => {
      const slider = await page.$eval("#video-seconds", (el) => ({ min: +el.min, max: +el.max, value: +el.value }));
      for (const seconds of [slider.min, Math.floor((slider.min + slider.max) / 2), slider.max]) {
        await page.evaluate((v) => {
          const el = document.querySelector("#video-seconds");
          el.value = String(v);
          el.dispatchEvent(new Event("input", { bubbles: true })); // still dragging: no change event
        }, seconds);
        const moving = await readButton(page, "generate-video");
        assert.equal(JSON.parse(moving.request).seconds, seconds);
        assertMatchesNative(moving);
      }
    });

    await t.test("image: outputs and resolution", async () => {
      const before = await readButton(page, "generate-image");
      assertMatchesNative(before);

      const [outputs] = (await otherOptions(page, "#image-outputs")).reverse();
      assert.ok(outputs, "image outputs select has only one value");
      await setValue(page, "#image-outputs", outputs);

      const [resolution] = (await otherOptions(page, "#image-resolution")).reverse();
      assert.ok(resolution, "image resolution select has only one value");
      await setValue(page, "#image-resolution", resolution);

      const after = await readButton(page, "generate-image");
      const req = JSON.parse(after.request);
      assert.equal(req.outputs, Number(outputs), `request ${after.request} lacks the new outputs`);
      assert.equal(req.resolution, resolution, `request ${after.request} lacks the new resolution`);
      const native = assertMatchesNative(after);
      assert.equal(native.lines[0].outputs, Number(outputs));
      assert.notEqual(after.total, before.total, "the cost did not change");
    });

    await t.test("breakdown and footer", async () => {
      // Open the breakdowns so the screenshot shows them.
      await page.$$eval("details.breakdown", (ds) => ds.forEach((d) => (d.open = true)));
      const video = JSON.parse((await readButton(page, "generate-video")).request);
      const sumRow = await page.$eval("#video-breakdown tr.sum td", (td) => td.textContent);
      const [native] = nativeQuote([JSON.stringify(video)]);
      assert.match(sumRow, new RegExp(`^${native.lines[0].amount}\\b`));
      const footer = await page.$eval("#catalog-info", (f) => ({ text: f.textContent, fp: f.dataset.fingerprint }));
      assert.equal(footer.fp, native.catalog.fingerprint, "page and CLI priced with different catalogs");
      assert.ok(footer.text.includes(native.catalog.version));
    });

    mkdirSync(join(root, "target"), { recursive: true });
    await page.screenshot({ path: join(root, "target", "studio.png"), fullPage: true });
    assert.ok(existsSync(join(root, "target", "studio.png")));

    assert.deepEqual(problems, [], "the page logged errors");
  } finally {
    await browser?.close();
    await server.close();
  }
});
