// Replays every shared vector (tests/vectors/*.json) against the built npm
// package and expects exactly what the native replay expects: the golden
// quote (same totals, same lines) or the same error code and path.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Engine } from "../../pkg/node.mjs";
import { asResult, readJson, vectorFiles } from "./helpers.mjs";

for (const { file, doc } of vectorFiles()) {
  test(`vectors: ${file}`, () => {
    const engine = new Engine(readJson("tests", "vectors", doc.catalog));
    let checked = 0;
    for (const c of doc.cases) {
      const got = asResult(() => engine.quote(c.request));
      if ("total" in c) {
        assert.ok(!got.error, `${c.name}: ${JSON.stringify(got.error)}`);
        assert.equal(got.total, c.total, c.name);
        assert.deepStrictEqual(got, c.quote, c.name);
      } else {
        assert.ok(got.error, `${c.name}: priced ${got.total} but ${c.error.code} was expected`);
        assert.equal(got.error.code, c.error.code, c.name);
        assert.equal(got.error.path, c.error.path, c.name);
      }
      checked++;
    }
    assert.ok(checked > 0);
  });
}

test("vectors: quoteMany gives the same results in one batch", () => {
  for (const { doc } of vectorFiles()) {
    const engine = new Engine(readJson("tests", "vectors", doc.catalog));
    const results = engine.quoteMany(doc.cases.map((c) => c.request));
    doc.cases.forEach((c, i) => {
      if ("total" in c) assert.deepStrictEqual(results[i], c.quote, c.name);
      else assert.equal(results[i].error.code, c.error.code, c.name);
    });
  }
});
