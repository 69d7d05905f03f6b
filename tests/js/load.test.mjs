// Explicit, recoverable loading in a real browser: when the WebAssembly
// module cannot be fetched, importing the package still succeeds,
// createEngine() says `not_loaded`, and `await load({ wasm })` works from a
// URL, a Response, bytes or a compiled module, after a failed attempt.
import { test } from "node:test";
import assert from "node:assert/strict";
import { launchChromium } from "./browser.mjs";
import { root, nativeQuote } from "./helpers.mjs";
import { serve } from "./serve.mjs";

const REQUEST = { product: "video/veo-3", seconds: 8, resolution: "1080p", options: { audio: "on" } };

test("load: a failed fetch leaves a working import and a retryable load()", async () => {
  const [native] = nativeQuote([JSON.stringify(REQUEST)]);
  const server = await serve(root);
  const browser = await launchChromium();
  try {
    for (const source of ["url", "response", "bytes", "module"]) {
      const page = await browser.newPage();
      // The default location is unreachable (as on a CDN or under a CSP).
      await page.route("**/pkg/web/genprice_bg.wasm", (route) => route.fulfill({ status: 404, body: "gone" }));
      await page.goto(`${server.url}/pkg/package.json`);
      const result = await page.evaluate(
        async ({ source, request }) => {
          const genprice = await import("/pkg/index.js");
          const out = {};
          try {
            genprice.createEngine();
          } catch (e) {
            out.before = e.code;
          }
          const url = "/pkg/web/genprice_bg.wasm?moved";
          await genprice.load({ wasm: "/nowhere.wasm" }).then(
            () => (out.failed = "resolved"),
            () => (out.failed = "rejected"),
          );
          const wasm = {
            url: () => url,
            response: () => fetch(url),
            bytes: async () => new Uint8Array(await (await fetch(url)).arrayBuffer()),
            module: () => WebAssembly.compileStreaming(fetch(url)),
          }[source];
          await genprice.load({ wasm: await wasm() });
          out.total = genprice.createEngine().total(request);
          await genprice.load(); // already loaded: resolves at once
          return out;
        },
        { source, request: REQUEST },
      );
      assert.deepEqual(result, { before: "not_loaded", failed: "rejected", total: native.total }, source);
      await page.close();
    }
  } finally {
    await browser.close();
    await server.close();
  }
});
