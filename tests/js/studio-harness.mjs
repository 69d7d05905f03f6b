// Spawns `genprice serve --demo` for the studio's browser tests: the real
// binary (target/debug/genprice, built if missing; GENPRICE_BIN picks
// another) on a free loopback port, with its own temporary database, a
// copy of pricing.toml it may be told to reload (SIGHUP), the repository's
// www/ and pkg/, and a fixed generation time. Stopped by its pid, also when
// a test fails or the process exits.
import { spawn } from "node:child_process";
import { closeSync, copyFileSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { nativeBin, root } from "./helpers.mjs";

/** The secret key the spawned server uses. */
export const SECRET = "gps_sk_studio_test_secret";

/** Starts the server; resolves to `{ base, catalogPath, dir, log(), reload(), stop(keep) }`. */
export async function startDemo({ delayMs = 150 } = {}) {
  if (!existsSync(join(root, "pkg", "web", "genprice_bg.wasm"))) throw new Error("pkg/ is not built: run `bash scripts/build-pkg.sh` first");
  const dir = mkdtempSync(join(tmpdir(), "genprice-studio-"));
  const catalogPath = join(dir, "pricing.toml");
  copyFileSync(join(root, "pricing.toml"), catalogPath);
  const logFile = join(dir, "server.log");
  const log = openSync(logFile, "a");
  const child = spawn(
    nativeBin(),
    ["serve", "--demo", "--catalog", catalogPath, "--www", join(root, "www"), "--pkg", join(root, "pkg"), "--listen", "127.0.0.1:0"],
    { cwd: dir, env: { ...process.env, GENPRICE_SECRET_KEY: SECRET, GENPRICE_LOG: "warn", GENPRICE_DEMO_DELAY_MS: String(delayMs) }, stdio: ["ignore", "pipe", log] },
  );
  closeSync(log);
  const alive = () => child.exitCode === null && child.signalCode === null;
  const kill = () => {
    if (alive()) {
      try {
        process.kill(child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  };
  process.once("exit", kill);
  const readLog = () => {
    try {
      return readFileSync(logFile, "utf8").split("\n").slice(-40).join("\n");
    } catch {
      return "(no log)";
    }
  };
  try {
    const line = await new Promise((ok, fail) => {
      createInterface({ input: child.stdout }).once("line", ok);
      child.once("exit", (code, signal) => fail(new Error(`genprice serve --demo exited before listening (${code ?? signal}):\n${readLog()}`)));
      setTimeout(() => fail(new Error(`genprice serve --demo did not listen within 20 s:\n${readLog()}`)), 20_000).unref();
    });
    child.stdout.resume();
    return {
      base: `http://${JSON.parse(line).listening}`,
      catalogPath,
      dir,
      log: readLog,
      /** SIGHUP: the server reloads its catalog file. */
      reload: () => process.kill(child.pid, "SIGHUP"),
      /** Stops the server (SIGTERM, then SIGKILL after 10 s); keeps its directory when `keep`. */
      async stop(keep = false) {
        if (alive()) {
          const done = new Promise((ok) => child.once("exit", ok));
          process.kill(child.pid, "SIGTERM");
          const timer = setTimeout(kill, 10_000);
          await done;
          clearTimeout(timer);
        }
        process.off("exit", kill);
        if (keep) console.log(`studio: kept ${dir}; the server's log ends:\n${readLog()}`);
        else rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    kill();
    throw e;
  }
}

/** Opens the studio served at `base` and waits until its session and balance are there; collects page problems. */
export async function openStudio(browser, base, { width = 1280, height = 900, hash = "" } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, acceptDownloads: true });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on("response", (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  await page.goto(`${base}/${hash}`);
  await page.waitForFunction(() => document.documentElement.dataset.ready === "true" && document.querySelector("#balance")?.dataset.available !== undefined, null, {
    timeout: 20_000,
  });
  return { page, problems };
}
