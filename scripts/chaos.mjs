#!/usr/bin/env node
// `npm run test:chaos`: the reliability suite (test/chaos) at full strength — 10,000 generated
// requests per property, the big backlogs — then docs/RELIABILITY.md from the figures it reported.
// `npm test` runs the same files with a fixed-seed subset (CHAOS_RUNS=600).
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import pg from "pg";

const runs = process.env.CHAOS_RUNS ?? "10000";
const report = "test-results/chaos.json";
const started = Date.now();
const run = spawnSync(
  process.execPath,
  ["node_modules/vitest/vitest.mjs", "run", "--project", "worker", "test/chaos"],
  {
    stdio: "inherit",
    // Races and faults prove nothing on the embedded single-session fallback: Postgres is required.
    env: { ...process.env, CHAOS_RUNS: runs, FIGURES_REPORT: report, REQUIRE_POSTGRES: "1" },
  },
);
const seconds = Math.round((Date.now() - started) / 1000);
const passed = run.status === 0;
const f = existsSync(report) ? JSON.parse(readFileSync(report, "utf8")) : {};
rmSync(report, { force: true });
const engine = await (async () => {
  const c = new pg.Client({
    connectionString: process.env.TEST_DATABASE_URL || "postgres://postgres@127.0.0.1:5432/postgres",
  });
  await c.connect();
  const v = (await c.query("select version()")).rows[0].version.split(" on ")[0];
  await c.end();
  return v;
})();

let audit;
try {
  const out = execFileSync("npm", ["audit", "--omit=dev", "--json"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  });
  const v = JSON.parse(out).metadata?.vulnerabilities ?? {};
  audit = `npm audit --omit=dev: ${JSON.stringify(v)}`;
} catch (err) {
  const body = String(err.stdout ?? "");
  let parsed = null;
  try {
    parsed = JSON.parse(body);
  } catch {}
  audit = parsed?.metadata?.vulnerabilities
    ? `npm audit --omit=dev found: ${JSON.stringify(parsed.metadata.vulnerabilities)}`
    : `npm audit could not run here: the registry this machine reaches answered ${parsed?.statusCode ?? "an error"} to the audit endpoint`;
}
const pkg = JSON.parse(readFileSync("package.json", "utf8"));
const deps = Object.entries(pkg.dependencies)
  .map(([k, v]) => `${k}@${v}`)
  .join(", ");

const h = f["hostile-razorpay"];
const c = f["hostile-courier"];
const r = f["faults-and-races"] ?? {};
const p = f["providers-and-backlog"] ?? {};
const j = (v) => `\`${JSON.stringify(v)}\``;
const BUDGET = { locks: 25_000, payments: 28_000 };

// Every sentence below comes from a figure this run reported; a figure that is missing leaves its
// line out (and fails the command), and a figure that breaks its invariant fails the command too.
const misses = [];
const check = (ok, what) => {
  if (!ok) misses.push(what);
  return ok;
};
const fivexx = (statuses) =>
  Object.entries(statuses ?? {})
    .filter(([s]) => Number(s) >= 500)
    .reduce((n, [, k]) => n + k, 0);
const lines = [];
const section = (title, body) => {
  const kept = body.filter(Boolean);
  if (kept.length > 0) lines.push(`## ${title}`, "", ...kept, "");
};

section("1. Hostile webhook input (fast-check)", [
  h &&
    `- POST /api/webhooks/razorpay, seed ${h.seed}: ${h.requests} generated and mutated requests; statuses ${j(h.statuses)}; ` +
      `${fivexx(h.statuses)} answered 5xx; rows written without a valid signature: ${h.unsignedWrites}; ` +
      `${h.distinctValidEvents} distinct valid events delivered ${h.validDeliveries} times → ${h.ordersConfirmed} orders confirmed, each once.`,
  c &&
    `- POST /api/webhooks/courier, seed ${c.seed}: ${c.requests} requests; statuses ${j(c.statuses)}; ` +
      `${fivexx(c.statuses)} answered 5xx; rows written without the right x-api-key: ${c.unkeyedWrites}.`,
]);
check(h && fivexx(h.statuses) === 0 && h.unsignedWrites === 0, "razorpay: a 5xx or an unsigned write");
check(c && fivexx(c.statuses) === 0 && c.unkeyedWrites === 0, "courier: a 5xx or an unkeyed write");

const fb = r.dropBeforeCommit;
const fa = r.dropAfterCommit;
const fm = r.dropMidCleanup;
section("2. Database faults (the test proxy drops the connection at a chosen query)", [
  fb &&
    `- Before the settlement reaches Postgres: answered ${fb.firstStatus}; rows it wrote: ${fb.rowsWrittenByTheDroppedDelivery}, stock it took: ${fb.stockTakenByIt}; the redelivery: ${fb.redelivery}; stock taken in all: ${fb.stockTakenInAll}.`,
  fa &&
    `- After the settlement committed, before its answer: answered ${fa.firstStatus}; the redelivery: ${fa.redelivery}; stock taken in all: ${fa.stockTakenInAll}; confirmations: ${fa.confirmations}.`,
  fm &&
    `- Mid-cleanup: the run was recorded ${fm.runStatus} ("${fm.error}"); live locks ${fm.liveLocksBefore} before, ${fm.liveLocksAfter} after; expired locks left after the next run: ${fm.expiredLeftAfterNextRun}.`,
]);
check(fb && fb.rowsWrittenByTheDroppedDelivery === 0 && fb.stockTakenInAll === 1, "drop before commit");
check(fa && fa.redelivery === "duplicate" && fa.stockTakenInAll === 1 && fa.confirmations === 1, "drop after commit");
check(fm && fm.liveLocksAfter === fm.liveLocksBefore && fm.expiredLeftAfterNextRun === 0, "drop mid-cleanup");

const s50 = r.sameWebhook50;
const t3 = r.threeWay;
const t10 = r.tenInvocations;
const ws = r.writesDuringSweep;
section("3. Races", [
  s50 &&
    `- The same webhook ${s50.deliveries} times at once: ${s50.confirmed} confirmed, ${s50.duplicates} duplicates; stock taken ${s50.stockTaken}; notifications ${s50.notifications}; emails ${s50.emails}.`,
  t3 &&
    `- Webhook + reconciler + admin run-now on one payment: stock taken ${t3.stockTaken}; confirmations ${t3.confirmations}.`,
  t10 &&
    `- ${t10.invocations} invocations of one slot at once: ${t10.ran} ran; ${t10.duplicateFiresRecorded} duplicate fires recorded.`,
  ws &&
    `- Storefront writes during a cleanup sweep: ${ws.storefrontWritesWhileSweeping} storefront writes landed while the sweep ran; ${ws.extendedByStorefront} locks extended, ${ws.extendedSurvived} of them survived; ${ws.deletedBeforeTheStorefrontGotThere} were deleted while still expired, before their extension; live locks deleted: ${ws.liveLocksDeleted}.`,
]);
check(
  s50 && s50.confirmed === 1 && s50.stockTaken === 1 && s50.notifications === 1 && s50.emails === 1,
  "same webhook 50×",
);
check(t3 && t3.stockTaken === 1 && t3.confirmations === 1, "three-way race");
check(t10 && t10.ran === 1, "ten invocations");
check(
  ws &&
    ws.storefrontWritesWhileSweeping > 0 &&
    ws.liveLocksDeleted === 0 &&
    ws.extendedSurvived === ws.extendedByStorefront,
  "sweep race",
);

const ro = p.razorpayOutage;
const rs = p.resendOutage;
section("4. Provider faults", [
  ro &&
    `- Razorpay answering 500 to every call: ${ro.failedRuns} runs failed; alerts ${j(ro.alerts)}; after recovery ${ro.confirmedAfterRecovery} confirmed, ${ro.confirmationEmails} confirmation emails.`,
  rs &&
    `- Resend failing (500/429) for ${rs.failedAttempts} attempts (retried per attempt: ${j(rs.retriedPerAttempt)}), then recovering: ${rs.sent} of ${rs.emails} emails sent, ${rs.distinctSubjectsSent} distinct; dead-lettered: ${rs.deadLettered}.`,
]);
check(ro && Object.values(ro.alerts).every((n) => n === 1), "razorpay outage alerts once each");
check(rs && rs.sent === rs.emails && rs.distinctSubjectsSent === rs.emails && rs.deadLettered === 0, "resend outage");

const lb = p.locksBacklog;
const pb = p.paymentsBacklog;
const eb = p.emailBacklog;
section("5. Backlogs", [
  lb &&
    `- ${lb.locks} expired locks: drained in ${lb.runs} runs; slowest run ${lb.maxRunMs} ms of its ${BUDGET.locks} ms budget; longest statement ${lb.longestBatchMs} ms.`,
  pb &&
    `- ${pb.payments} stale payments: ${pb.runs} runs; slowest ${pb.maxRunMs} ms of its ${BUDGET.payments} ms budget; ${pb.confirmed} confirmed.`,
  eb &&
    `- ${eb.emails} queued emails: ${eb.sent} sent in ${eb.queueBatches} queue batches with ${eb.providerCalls} provider calls in ${eb.totalMs} ms; slowest batch ${eb.maxBatchMs} ms.`,
]);
check(lb && lb.maxRunMs < BUDGET.locks, "locks backlog within budget");
check(pb && pb.maxRunMs < BUDGET.payments && pb.confirmed === pb.payments, "payments backlog");
check(eb && eb.sent === eb.emails, "email backlog all sent");

const lg = p.logs;
section("6. Logs and dependencies", [
  lg &&
    `- ${lg.linesChecked} log and health lines checked: full email addresses found ${lg.fullEmailsFound}, configured secrets found ${lg.secretsFound}.`,
  `- Production dependencies: ${deps}. ${audit}.`,
]);
check(lg && lg.fullEmailsFound === 0 && lg.secretsFound === 0, "logs");

const md = `# Reliability

Generated by \`npm run test:chaos\` (CHAOS_RUNS=${runs}) on ${new Date().toISOString().slice(0, 10)} in ${seconds} s on ${engine}.
Test run: **${passed ? "passed" : "FAILED"}**; invariants checked from this run's figures: **${misses.length === 0 ? "all held" : `broken: ${misses.join("; ")}`}**.
Every figure below was counted in this run; a line whose figure was not reported is left out.

${lines.join("\n")}`;
writeFileSync("docs/RELIABILITY.md", md);
console.log(md);
process.exit(passed && misses.length === 0 ? 0 : 1);
