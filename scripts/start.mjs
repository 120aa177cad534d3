#!/usr/bin/env node
// `npm start`: the whole system locally. See README "Quick start".
import { describeInShopTime } from "./lib/cron.mjs";
import { startStack } from "./lib/stack.mjs";

// Handlers first: a Ctrl-C during startup must still stop what startup already launched.
let stack = null;
let stopping = false;
const stop = async (signal) => {
  if (stopping) return;
  stopping = true;
  if (!stack) {
    console.log(`\n[ora-jobs] ${signal} during startup: stopping as soon as everything is up…`);
    return;
  }
  console.log(`\n[ora-jobs] ${signal}: stopping wrangler, the proxy, the stubs and the database…`);
  await stack.stop();
  console.log("[ora-jobs] stopped cleanly");
  process.exit(0);
};
process.on("SIGINT", () => void stop("SIGINT"));
process.on("SIGTERM", () => void stop("SIGTERM"));
process.on("SIGHUP", () => void stop("SIGHUP"));

try {
  stack = await startStack();
} catch (err) {
  console.error(`[ora-jobs] could not start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
if (stopping) {
  await stack.stop();
  console.log("[ora-jobs] stopped cleanly");
  process.exit(0);
}

const lines = [
  "",
  "  ORA Jobs is running",
  `  dashboard     ${stack.url}/admin   (any user name, password: ADMIN_TOKEN${stack.adminToken === "local-admin-token" || stack.generatedTokens.ADMIN_TOKEN ? ` = ${stack.adminToken}` : ""})`,
  ...Object.entries(stack.generatedTokens)
    .filter(([k]) => k !== "ADMIN_TOKEN")
    .map(
      ([k, v]) => `  ${k.toLowerCase().replaceAll("_", " ").padEnd(13).slice(0, 13)} ${v}   (generated for this run)`,
    ),
  `  health        ${stack.url}/api/health/cron`,
  `  database      ${stack.database === "embedded" ? `embedded PGlite in ${stack.dataDir}` : "DATABASE_URL"}`,
  ...stack.notes.filter((n) => !n.startsWith("database")).map((n) => `  note          ${n}`),
  stack.mailPreview ? `  mail preview  ${stack.mailPreview}` : "",
  `  schedule      ${stack.localCron ? "firing locally at each UTC minute" : "LOCAL_CRON=off: nothing fires by itself"}`,
  ...stack.crons.map((c) => `                ${c.padEnd(14)} ${describeInShopTime(c)}`),
  `  fire by hand  curl '${stack.url}/cdn-cgi/local/scheduled?cron=*/5+*+*+*+*&time='$(date +%s000)`,
  "  stop          Ctrl-C",
  "",
].filter((l) => l !== "");
console.log(lines.join("\n"));
