// Shared helpers for the JavaScript test suites (node --test tests/js/).
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The native CLI, built by cargo if it is not there yet. */
export function nativeBin() {
  const bin = process.env.GENPRICE_BIN || join(root, "target", "debug", "genprice");
  if (!existsSync(bin)) execFileSync("cargo", ["build", "--quiet", "--bin", "genprice"], { cwd: root, stdio: "inherit" });
  return bin;
}

/**
 * Prices JSON Lines natively with `genprice quote`; returns one parsed result per line.
 * `genprice quote` exits 1 when any line failed, which is expected here.
 * `extraArgs` go after the catalog (`["--plan", "pro", "--balance", "5"]`).
 */
export function nativeQuote(lines, catalogPath = "pricing.toml", extraArgs = []) {
  let stdout;
  try {
    stdout = execFileSync(nativeBin(), ["quote", "--catalog", catalogPath, ...extraArgs], {
      cwd: root,
      input: lines.join("\n") + "\n",
      maxBuffer: 1 << 30,
    });
  } catch (e) {
    if (e.status !== 1) throw e;
    stdout = e.stdout;
  }
  return stdout.toString("utf8").trimEnd().split("\n").map((l) => JSON.parse(l));
}

/** Every shared vector file: { file, doc }. */
export function vectorFiles() {
  const dir = join(root, "tests", "vectors");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((file) => ({ file, doc: JSON.parse(readFileSync(join(dir, file), "utf8")) }));
}

export function readJson(...parts) {
  return JSON.parse(readFileSync(join(root, ...parts), "utf8"));
}

/** What the engine threw, in the CLI's `{ error }` shape. */
export function asResult(fn) {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof Error) || typeof e.code !== "string") throw e;
    const error = { code: e.code, message: e.message };
    if (e.path !== undefined) error.path = e.path;
    if (e.suggestions !== undefined) error.suggestions = e.suggestions;
    return { error };
  }
}

/** A small deterministic PRNG (mulberry32), so failures replay from the seed. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
