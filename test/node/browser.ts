import { existsSync, readdirSync } from "node:fs";
import { homedir, platform } from "node:os";
import { join } from "node:path";
import { type Browser, chromium } from "playwright-core";
import { describe } from "vitest";

/** Chromium builds a Playwright install leaves in its cache (`npx playwright install chromium`). */
function playwrightCache(): string[] {
  const roots = [
    process.env.PLAYWRIGHT_BROWSERS_PATH,
    join(homedir(), ".cache", "ms-playwright"),
    join(homedir(), "Library", "Caches", "ms-playwright"),
  ].filter((p): p is string => Boolean(p) && existsSync(p as string));
  const found: string[] = [];
  for (const root of roots) {
    for (const dir of readdirSync(root).filter((d) => d.startsWith("chromium"))) {
      found.push(
        join(root, dir, "chrome-linux", "chrome"),
        join(root, dir, "chrome-linux64", "chrome"),
        join(root, dir, "chrome-mac", "Chromium.app", "Contents", "MacOS", "Chromium"),
        join(root, dir, "chrome-mac-arm64", "Chromium.app", "Contents", "MacOS", "Chromium"),
      );
    }
  }
  return found;
}

/** Where a Chromium may be: CHROMIUM_PATH first, then the usual system places, then Playwright's cache. */
function candidates(): string[] {
  const system =
    platform() === "darwin"
      ? [
          "/Applications/Chromium.app/Contents/MacOS/Chromium",
          "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
        ]
      : ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome", "/usr/bin/google-chrome-stable"];
  return [process.env.CHROMIUM_PATH, ...system, ...playwrightCache()].filter((p): p is string => Boolean(p));
}

export const CHROMIUM = candidates().find((p) => existsSync(p)) ?? null;

/** CI must run the browser tests; a newcomer's machine may skip them. */
const REQUIRED = process.env.REQUIRE_BROWSER === "1";
if (!CHROMIUM) {
  if (REQUIRED) throw new Error("REQUIRE_BROWSER=1 but no Chromium was found (set CHROMIUM_PATH)");
  console.warn(
    "[test] browser tests skipped: no Chromium found. Enable them with `apt-get install chromium` (Debian), a Chrome/Chromium app (macOS), `npx playwright install chromium`, or CHROMIUM_PATH=/path/to/chrome",
  );
}

/** `describe` for tests that need a browser: skipped (with the line above) where none is found. */
export const describeWithBrowser = describe.skipIf(CHROMIUM === null);

/** Headless Chromium with the flags a closed network needs. */
export function launchChromium(): Promise<Browser> {
  if (!CHROMIUM) throw new Error("no Chromium (see the skip line above)");
  return chromium.launch({
    executablePath: CHROMIUM,
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
