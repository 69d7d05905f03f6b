// Issue 11, item 3: createEngine() with the bundled catalog only reads it
// (the build validated and fingerprinted it and compiled in the hash of its
// canonical text); any other catalog, an edited bundle included, is still
// checked in full.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { join } from "node:path";
import { root } from "./helpers.mjs";

const require = createRequire(import.meta.url);
const REQUEST = { product: "video/veo-3", seconds: 8, resolution: "1080p", options: { audio: "on" } };

/** Canonical JSON: keys sorted at every level, no whitespace. */
const canonical = (v) =>
  Array.isArray(v)
    ? `[${v.map(canonical).join(",")}]`
    : v !== null && typeof v === "object"
      ? `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(",")}}`
      : JSON.stringify(v);

/** `catalog` with its fingerprint recomputed, as a forger would. */
function refingerprinted(catalog) {
  const { fingerprint: _, ...content } = catalog;
  return { ...content, fingerprint: `sha256:${createHash("sha256").update(canonical(content)).digest("hex")}` };
}

for (const entry of ["node.cjs", "wallet.cjs"]) {
  test(`startup (${entry}): the bundled catalog, an edited one, a forged one`, () => {
    const { createEngine, defaultCatalog } = require(join(root, "pkg", entry));
    const engine = createEngine();
    assert.equal(engine.fingerprint, defaultCatalog.fingerprint);
    assert.deepEqual(engine.catalog(), defaultCatalog);
    assert.deepEqual(createEngine(structuredClone(defaultCatalog)).quote(REQUEST), engine.quote(REQUEST));
    // The recomputation is right: the bundled catalog's own fingerprint.
    assert.equal(refingerprinted(defaultCatalog).fingerprint, defaultCatalog.fingerprint);

    // An edit that keeps the fingerprint is refused.
    const edited = structuredClone(defaultCatalog);
    edited.products[0].price += 1;
    assert.throws(() => createEngine(edited), { code: "fingerprint_mismatch" });

    // An edit with its fingerprint recomputed is validated like any catalog:
    // a valid one loads (with the new fingerprint), an invalid one is refused.
    const cheaper = refingerprinted(edited);
    assert.equal(createEngine(cheaper).fingerprint, cheaper.fingerprint);
    const broken = structuredClone(defaultCatalog);
    broken.products[0].per = 7;
    assert.throws(() => createEngine(refingerprinted(broken)), { code: "invalid_catalog" });
  });
}
