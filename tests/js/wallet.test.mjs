// Replays the shared wallet vectors (tests/vectors/wallet/*.json) through the
// wasm wallet, with the same rules as the native replay (tests/wallet_vectors.rs):
// expected values are subsets of the answers, messages are never compared, and
// rebuilding the wallet from its ledger gives the same balance.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Wallet } from "../../pkg/wallet.mjs";
import { root } from "./helpers.mjs";

/** null when `want` is a subset of `got`, else the path of the first difference. */
function subset(want, got, path = "") {
  if (want !== null && typeof want === "object" && !Array.isArray(want)) {
    if (got === null || typeof got !== "object" || Array.isArray(got)) return `${path}: expected an object, got ${JSON.stringify(got)}`;
    for (const [key, value] of Object.entries(want)) {
      if (!(key in got)) return `${path}.${key}: missing`;
      const diff = subset(value, got[key], `${path}.${key}`);
      if (diff) return diff;
    }
    return null;
  }
  if (Array.isArray(want)) {
    if (!Array.isArray(got) || got.length !== want.length) return `${path}: expected ${want.length} items, got ${JSON.stringify(got)}`;
    for (let i = 0; i < want.length; i++) {
      const diff = subset(want[i], got[i], `${path}[${i}]`);
      if (diff) return diff;
    }
    return null;
  }
  return want === got ? null : `${path}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`;
}

/** A thrown wallet error in the `{ error }` shape the vectors use. */
function outcome(fn) {
  try {
    return { ok: fn() };
  } catch (e) {
    if (!(e instanceof Error) || typeof e.code !== "string") throw e;
    const error = {};
    for (const key of ["code", "message", "requested", "available", "shortfall", "hold", "grant", "line", "path"]) {
      if (e[key] !== undefined) error[key] = e[key];
    }
    return { error };
  }
}

const dir = join(root, "tests", "vectors", "wallet");
const files = readdirSync(dir).filter((f) => f.endsWith(".json")).sort();

test("wallet vectors exist", () => assert.ok(files.length >= 4));

for (const file of files) {
  test(`wallet vectors: ${file}`, () => {
    const doc = JSON.parse(readFileSync(join(dir, file), "utf8"));
    const wallet = new Wallet(doc.policy);
    doc.steps.forEach((step, i) => {
      const got = outcome(() => wallet.execute(step.command, step.now));
      const diff = subset(step.expect, got);
      assert.equal(diff, null, `${file} step ${i} (${step.command.op}): ${diff}\n  got: ${JSON.stringify(got)}`);
    });
    if (doc.final) {
      const diff = subset(doc.final.balance, wallet.balance(doc.final.now), "balance");
      assert.equal(diff, null, `${file} final: ${diff}`);
    }
    const replayed = new Wallet(doc.policy, wallet.entries());
    assert.deepStrictEqual(replayed.entries(), wallet.entries(), `${file}: replay differs`);
    const at = doc.final?.now ?? doc.steps.at(-1).now;
    assert.deepStrictEqual(replayed.balance(at), wallet.balance(at), `${file}: replayed balance differs`);
  });
}

test("wallet: a spend below zero is refused with the shortfall as data", () => {
  const wallet = new Wallet();
  wallet.execute({ op: "grant", grant: { id: "signup", source: "signup", amount: 50, effectiveAt: 0 } }, 0);
  const preview = wallet.preview(30, 1);
  assert.equal(preview.availableAfter, 20);
  assert.throws(
    () => wallet.execute({ op: "hold", id: "gen-1", amount: 80, ttl: 60000 }, 2),
    (e) => e instanceof Error && e.code === "insufficient_credits" && e.requested === 80 && e.available === 50 && e.shortfall === 30,
  );
  assert.equal(wallet.balance(3).available, 50, "a refused hold reserves nothing");
  assert.throws(() => wallet.balance(Number.NaN), (e) => e.code === "invalid_time");
  assert.throws(() => wallet.preview(1.5, 3), (e) => e.code === "invalid_amount");
});
