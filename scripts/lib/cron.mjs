// The Worker's own cron module (src/lib/cron.ts), for the local scripts: one cron parser in the
// project. It is bundled on the fly with esbuild (already here through wrangler), so the scripts
// need no TypeScript loader and can never drift from what the Worker runs.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const out = await build({
  entryPoints: [path.join(ROOT, "src/lib/cron.ts")],
  bundle: true,
  format: "esm",
  platform: "neutral",
  write: false,
  logLevel: "silent",
});
const cron = await import(`data:text/javascript;base64,${Buffer.from(out.outputFiles[0].text).toString("base64")}`);

/** Whether the UTC cron `expr` fires at the minute `at`. */
export const cronFires = (expr, at) => cron.firesAt(cron.parseCron(expr), at, "UTC");

/** The UTC cron in the shop's words ("daily at 18:00 IST"). */
export const describeInShopTime = (expr, timeZone = "Asia/Kolkata", label = "IST") =>
  cron.describeCron(cron.parseCron(expr), timeZone, label);

/** The cron triggers listed in wrangler.toml. */
export function wranglerCrons(toml = readFileSync(path.join(ROOT, "wrangler.toml"), "utf8")) {
  const block = /crons\s*=\s*\[([\s\S]*?)\]/.exec(toml)?.[1] ?? "";
  return [...block.matchAll(/"([^"]+)"/g)].map((m) => m[1]);
}
