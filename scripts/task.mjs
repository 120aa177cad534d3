#!/usr/bin/env node
// `npm run task -- <name> [--dry-run] [--at <ISO time>]`: runs one task once against the configured
// database and prints its run record. Uses a running `npm start` if there is one (it owns the
// embedded database), otherwise starts the stack quietly for the one run.
import path from "node:path";
import { freePort, ROOT, runningInstance, startStack } from "./lib/stack.mjs";

const args = process.argv.slice(2);
const name = args.find((a) => !a.startsWith("--") && args[args.indexOf(a) - 1] !== "--at");
const dryRun = args.includes("--dry-run");
const atIndex = args.indexOf("--at");
const at = atIndex >= 0 ? args[atIndex + 1] : undefined;
if (!name) {
  console.error("usage: npm run task -- <task-name> [--dry-run] [--at <ISO time>]");
  process.exit(2);
}
if (at !== undefined && Number.isNaN(Date.parse(at))) {
  console.error(`--at needs an ISO time, got "${at}"`);
  process.exit(2);
}

const dataDir = path.resolve(process.env.DATA_DIR ?? path.join(ROOT, ".data"));
const running = process.env.DATABASE_URL ? null : runningInstance(dataDir);
let stack = null;
let base;
let token;
if (running) {
  base = running.url;
  token = running.adminToken;
} else {
  stack = await startStack({ port: await freePort(), localCron: false, quiet: true, log: () => {} });
  base = stack.url;
  token = stack.adminToken;
}
let code = 0;
try {
  // --at on a real run is the operator's explicit replay of that slot.
  const query = new URLSearchParams({
    ...(dryRun ? { dryRun: "true" } : {}),
    ...(at ? { at } : {}),
    ...(at && !dryRun ? { replay: "true" } : {}),
  });
  const res = await fetch(`${base}/api/admin/tasks/${encodeURIComponent(name)}/run?${query}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
  });
  const body = await res.json();
  console.log(JSON.stringify(body, null, 2));
  code = res.ok && body.run?.status === "succeeded" ? 0 : 1;
} finally {
  await stack?.stop();
}
process.exit(code);
