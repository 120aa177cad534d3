import { createMessageBatch, getQueueResult } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { paymentEntity, razorpayStub, rzpId, signedRequest } from "../../harness/razorpay";
import { resendStub } from "../../harness/resend";
import {
  callWorker,
  RecordingQueue,
  type TestDatabase,
  taskDeps,
  testCtx,
  testDeps,
  testEnv,
} from "../../harness/worker";
import worker from "../../src/index";
import { recordEmails } from "../../src/notices/outbox";
import { findTask } from "../../src/ops/registry";
import { runTask } from "../../src/scheduler/run-task";
import { cleanupExpiredLocks } from "../../src/tasks/cleanup-expired-locks";
import { reconcileStalePayments } from "../../src/tasks/reconcile-stale-payments";
import { chaosRuns, reportFigure } from "../helpers/chaos";
import { checkout } from "../helpers/checkout";
import { count, insertProduct } from "../helpers/factories";
import { fileSetup } from "../helpers/file-setup";
import { alertSink } from "../helpers/sink";

const full = chaosRuns() >= 10_000;
const RZP = `rzp_test_providers_${Date.now().toString(36)}`;
const RESEND = `re_providers_${Date.now().toString(36)}`;
const razorpay = razorpayStub(RZP);
const resend = resendStub(RESEND);
// A sink per test: what one test posted is never counted by another, in any order.
let sinks = 0;
let sink = alertSink(`providers-${Date.now().toString(36)}-0`);
let db: TestDatabase;
const figures: Record<string, unknown> = {};

fileSetup({
  setDb: (d) => {
    db = d;
  },
  seed: async () => {
    await razorpay.reset();
    await resend.reset();
  },
  reset: async () => {
    sink = alertSink(`providers-${Date.now().toString(36)}-${++sinks}`);
    // Each test starts from a quiet shop, whichever ran before it: nothing pending, queued or open.
    await db.query(`update orders set status = 'CONFIRMED' where status = 'PENDING';
      update payments set status = 'CAPTURED' where status in ('PENDING', 'FAILED');
      update emails set status = 'sent' where status = 'queued';
      update order_events set delivered_at = now() where delivered_at is null;
      delete from cron_runs; delete from incidents; delete from inventory_locks`);
  },
  after: async () => {
    await reportFigure("providers-and-backlog", figures);
  },
});

describe("provider faults", () => {
  it("Razorpay down for three runs: one alert when it opens, one when it clears, every payment settled once", async () => {
    const deps = testDeps(db, { env: { RAZORPAY_KEY_ID: RZP, ALERT_WEBHOOK_URL: sink.url } });
    const reconcile = findTask("reconcile-stale-payments");
    const watchdog = findTask("watchdog");
    if (!reconcile || !watchdog) throw new Error("registry");
    const cs = [];
    for (let i = 0; i < 5; i++) cs.push(await checkout(db, { createdAt: new Date("2026-11-28T09:30:00Z"), stock: 10 }));
    await razorpay.seed(
      cs.map((c) =>
        paymentEntity({ id: rzpId("pay"), orderId: c.razorpayOrderId, amount: c.amount, status: "captured" }),
      ),
    );
    await db.query(
      "insert into cron_runs (task_name, scheduled_at, status, started_at) values ('watchdog', '2026-11-28T09:00:00Z', 'succeeded', '2026-11-28T09:00:00Z')",
    );
    const at = async (task: typeof reconcile, t: string) => {
      deps.setNow(t);
      return runTask(deps, task, { slot: new Date(t), trigger: "cron" });
    };
    await razorpay.faults([{ kind: "500" }]); // sustained: every call fails
    const outcomes: string[] = [];
    for (const t of ["2026-11-28T10:00:00Z", "2026-11-28T10:10:00Z", "2026-11-28T10:20:00Z"])
      outcomes.push((await at(reconcile, t)).outcome);
    for (const t of ["2026-11-28T10:21:00Z", "2026-11-28T10:22:00Z", "2026-11-28T10:23:00Z"]) await at(watchdog, t);
    await razorpay.faults([]); // recovers
    const recovered = await at(reconcile, "2026-11-28T10:30:00Z");
    for (const t of ["2026-11-28T10:31:00Z", "2026-11-28T10:32:00Z"]) await at(watchdog, t);
    expect(outcomes).toEqual(["failed", "failed", "failed"]);
    expect(recovered).toMatchObject({ outcome: "succeeded", result: expect.objectContaining({ confirmed: 5 }) });
    const lines = (await sink.posts())
      .map((p) => p.text.split("\n")[0] ?? "")
      .filter((l) => l.includes("reconcile-stale-payments"));
    const counts = Object.fromEntries([...new Set(lines)].map((l) => [l, lines.filter((x) => x === l).length]));
    expect(counts["🔴 reconcile-stale-payments failed 3 times in a row"]).toBe(1);
    expect(counts["✅ Resolved: reconcile-stale-payments is succeeding again"]).toBe(1);
    expect(Math.max(...Object.values(counts))).toBe(1);
    for (const c of cs) expect(await count(db, "orders", "id = $1 and status = 'CONFIRMED'", [c.orderId])).toBe(1);
    expect(
      await count(db, "emails", "idempotency_key = any($1)", [cs.map((c) => `order-confirmed/${c.orderId}`)]),
    ).toBe(5);
    await deps.close();
    figures.razorpayOutage = {
      failedRuns: outcomes.filter((o) => o === "failed").length,
      alerts: counts,
      confirmedAfterRecovery: (recovered.result as { confirmed?: number } | undefined)?.confirmed ?? 0,
      confirmationEmails: await count(db, "emails", "idempotency_key like 'order-confirmed/%'"),
    };
  });

  it("Resend failing for four attempts, then recovering: every email sent exactly once, none dead-lettered", async () => {
    const deps = testDeps(db, { env: { RESEND_API_KEY: RESEND } });
    const ids = await recordEmails(
      deps.db,
      Array.from({ length: 20 }, (_, i) => ({
        key: `outage/${i}`,
        kind: "task-alert" as const,
        to: [`ops${i}@ora.test`],
        payload: { title: `Outage ${i}`, message: "m", severity: "info", at: new Date().toISOString() },
      })),
      new Date(),
    );
    const e = testEnv(db, { RESEND_API_KEY: RESEND, EMAIL_QUEUE: new RecordingQueue() });
    const consume = async (attempts: number) => {
      const batch = createMessageBatch(
        "ora-email",
        ids.map((emailId, i) => ({ id: `o${attempts}-${i}`, timestamp: new Date(), attempts, body: { emailId } })),
      );
      const ctx = testCtx();
      await worker.queue(batch, e, ctx);
      return getQueueResult(batch, ctx);
    };
    const kinds: ("500" | "429")[] = ["500", "429", "500", "429"];
    const retried: number[] = [];
    for (let attempt = 1; attempt <= 4; attempt++) {
      await resend.faults([{ kind: kinds[attempt - 1] ?? "500" }]);
      retried.push((await consume(attempt)).retryMessages.length);
      await db.query("update emails set locked_until = null where id = any($1)", [ids]); // time passes
    }
    await resend.faults([]);
    const final = await consume(5);
    expect(retried).toEqual([20, 20, 20, 20]);
    expect(final.explicitAcks).toHaveLength(20);
    const { emails } = await resend.emails();
    const subjects = emails.map((m) => m.subject).filter((s) => s.includes("Outage"));
    expect(subjects).toHaveLength(20);
    expect(new Set(subjects).size).toBe(20);
    expect(await count(db, "emails", "id = any($1) and status = 'sent'", [ids])).toBe(20);
    expect(await count(db, "emails", "status = 'dead'")).toBe(0);
    figures.resendOutage = {
      emails: ids.length,
      failedAttempts: retried.length,
      retriedPerAttempt: retried,
      distinctSubjectsSent: new Set(subjects).size,
      sent: subjects.length,
      deadLettered: await count(db, "emails", "status = 'dead'"),
    };
    await deps.close();
  });
});

describe("backlogs drain over successive runs, each within its budget", () => {
  it(`expired locks: ${full ? "2,000,000" : "200,000"}`, async () => {
    const n = full ? 2_000_000 : 200_000;
    const product = await insertProduct(db);
    await db.query(
      `insert into inventory_locks (product_id, quantity, expires_at)
       select $1, 1, now() - interval '1 minute' - ((g % 86400) || ' seconds')::interval from generate_series(1, ${n}) g`,
      [product],
    );
    await db.query("vacuum analyze inventory_locks");
    const deps = testDeps(db, { realClock: true });
    const runs: { ms: number; deleted: number; longestBatchMs: number }[] = [];
    for (let i = 0; i < 50; i++) {
      const t0 = Date.now();
      // A tight soft budget forces several runs, as a real backlog bigger than one run would.
      const r = (await cleanupExpiredLocks.run(
        taskDeps(deps, { settings: { softBudgetMs: 1_000, pagesPerBatch: 200 } }),
        new Date(),
      )) as {
        deleted: number;
        longestBatchMs: number;
        backlogRemains: boolean;
      };
      runs.push({ ms: Date.now() - t0, deleted: r.deleted, longestBatchMs: r.longestBatchMs });
      if (!r.backlogRemains) break;
    }
    expect(await count(db, "inventory_locks", "expires_at < now()")).toBe(0);
    expect(Math.max(...runs.map((r) => r.ms))).toBeLessThan(cleanupExpiredLocks.budgetMs);
    await deps.close();
    figures.locksBacklog = {
      locks: n,
      runs: runs.length,
      maxRunMs: Math.max(...runs.map((r) => r.ms)),
      longestBatchMs: Math.max(...runs.map((r) => r.longestBatchMs)),
    };
  }, 600_000);

  it(`stale payments: ${full ? "20,000" : "1,800"}`, async () => {
    const n = full ? 20_000 : 1_800;
    await razorpay.reset();
    await db.query("insert into users (id, email) values ('ub', 'backlog@example.test') on conflict do nothing");
    await db.query(
      "insert into products (id, name, sku, price, stock) values ('pb', 'B', 'B1', 1000, 1000000) on conflict do nothing",
    );
    await db.query(
      `insert into orders (id, order_number, user_id, total_amount, razorpay_order_id, created_at)
       select 'ob' || g, 'ORA-B' || g, 'ub', 1000, 'order_bk' || g, now() - interval '30 minutes' from generate_series(1, ${n}) g`,
    );
    await db.query(
      "insert into order_items (order_id, product_id, quantity, unit_price) select id, 'pb', 1, 1000 from orders where id like 'ob%'",
    );
    await db.query(
      "insert into payments (order_id, status, transaction_id, amount, created_at) select id, 'PENDING', razorpay_order_id, 1000, created_at from orders where id like 'ob%'",
    );
    const entities = Array.from({ length: n }, (_, i) =>
      paymentEntity({ id: `pay_bk${i + 1}`, orderId: `order_bk${i + 1}`, amount: 1000, status: "captured" }),
    );
    for (let i = 0; i < entities.length; i += 500) await razorpay.seed(entities.slice(i, i + 500));
    const deps = testDeps(db, { realClock: true, env: { RAZORPAY_KEY_ID: RZP } });
    const runs: number[] = [];
    let confirmed = 0;
    for (let i = 0; i < Math.ceil(n / 600) + 2; i++) {
      const t0 = Date.now();
      const r = (await reconcileStalePayments.run(taskDeps(deps), new Date())) as { stale: number; confirmed: number };
      runs.push(Date.now() - t0);
      confirmed += r.confirmed;
      if (r.stale === 0) break;
    }
    expect(confirmed).toBe(n);
    expect(Math.max(...runs)).toBeLessThan(reconcileStalePayments.budgetMs);
    await deps.close();
    figures.paymentsBacklog = { payments: n, runs: runs.length, maxRunMs: Math.max(...runs), confirmed };
  }, 600_000);

  it(`queued emails: ${full ? "50,000" : "3,000"}`, async () => {
    const n = full ? 50_000 : 3_000;
    await resend.reset();
    const deps = testDeps(db, { env: { RESEND_API_KEY: RESEND } });
    const ids: string[] = [];
    for (let i = 0; i < n; i += 1000) {
      ids.push(
        ...(await recordEmails(
          deps.db,
          Array.from({ length: Math.min(1000, n - i) }, (_, j) => ({
            key: `backlog/${i + j}`,
            kind: "task-alert" as const,
            to: [`ops${i + j}@ora.test`],
            payload: { title: `Backlog ${i + j}`, message: "m", severity: "info", at: new Date().toISOString() },
          })),
          new Date(),
        )),
      );
    }
    const e = testEnv(db, { RESEND_API_KEY: RESEND, EMAIL_QUEUE: new RecordingQueue() });
    const t0 = Date.now();
    let maxBatchMs = 0;
    for (let i = 0; i < ids.length; i += 100) {
      const b0 = Date.now();
      const batch = createMessageBatch(
        "ora-email",
        ids
          .slice(i, i + 100)
          .map((emailId, j) => ({ id: `b${i + j}`, timestamp: new Date(), attempts: 1, body: { emailId } })),
      );
      const ctx = testCtx();
      await worker.queue(batch, e, ctx);
      await getQueueResult(batch, ctx);
      maxBatchMs = Math.max(maxBatchMs, Date.now() - b0);
    }
    const { calls } = await resend.emails();
    expect(await count(db, "emails", "idempotency_key like 'backlog/%' and status = 'sent'")).toBe(n);
    await deps.close();
    figures.emailBacklog = {
      emails: n,
      sent: await count(db, "emails", "idempotency_key like 'backlog/%' and status = 'sent'"),
      queueBatches: Math.ceil(ids.length / 100),
      providerCalls: calls.batch + calls.single,
      totalMs: Date.now() - t0,
      maxBatchMs,
    };
  }, 600_000);
});

describe("security", () => {
  it("logs and health output carry no secrets and no full email addresses", async () => {
    const lines: string[] = [];
    const capture = (...args: unknown[]) => {
      lines.push(args.map(String).join(" "));
    };
    const spies = [
      vi.spyOn(console, "log").mockImplementation(capture),
      vi.spyOn(console, "warn").mockImplementation(capture),
      vi.spyOn(console, "error").mockImplementation(capture),
    ];
    try {
      const e = testEnv(db, { EMAIL_QUEUE: new RecordingQueue() });
      await callWorker(e, await signedRequest('{"event":"x","payload":{}}', { secret: "wrong" }));
      const c = await checkout(db, { stock: 5 });
      await db.query(
        "update users set email = 'priya.sharma@example.com' where id = (select user_id from orders where id = $1)",
        [c.orderId],
      );
      // The Worker's own logger (not the tests' quiet one), as openDeps builds it.
      const { createLogger } = await import("../../src/lib/log");
      const { secretValues } = await import("../../src/lib/config");
      const deps = testDeps(db, { realClock: true, log: createLogger({ service: "ora-jobs" }, secretValues(e)) });
      const failing = {
        ...cleanupExpiredLocks,
        name: "leaky-task",
        run: async () => {
          throw new Error("could not reach priya.sharma@example.com with key whsec_test");
        },
      };
      await runTask(deps, failing, { slot: new Date(), trigger: "manual" });
      await deps.close();
      lines.push(await (await callWorker(e, "/api/health/cron")).text());
    } finally {
      for (const s of spies) s.mockRestore();
    }
    const all = lines.join("\n");
    expect(all).not.toContain("priya.sharma@example.com");
    expect(all).toContain("[redacted]");
    expect(all).toContain("p***@example.com");
    for (const secret of ["whsec_test", "test-admin-token", "test-courier-token", "re_test_key", "rzp_test_secret"]) {
      expect(all).not.toContain(secret);
    }
    figures.logs = {
      linesChecked: lines.length,
      fullEmailsFound: (all.match(/[a-z0-9._%+-]{2,}@example\.com/gi) ?? []).length,
      secretsFound: ["whsec_test", "test-admin-token", "test-courier-token", "re_test_key", "rzp_test_secret"].filter(
        (x) => all.includes(x),
      ).length,
    };
  });
});
