// Launches Debian's headless Chromium through playwright-core (which cannot
// download a browser here), with the flags this sandbox needs.
import { execFileSync } from "node:child_process";
import { chromium } from "playwright-core";

export function chromiumPath() {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  for (const name of ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]) {
    try {
      const path = execFileSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).trim();
      if (path) return path;
    } catch {
      // not on PATH; try the next name
    }
  }
  throw new Error("No Chromium found: install Debian's chromium (scripts/setup.sh does) or set CHROMIUM_PATH.");
}

export function launchChromium() {
  return chromium.launch({
    executablePath: chromiumPath(),
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}
