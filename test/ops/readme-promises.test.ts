// What the README promises and no other test showed: history pruning, the lost-message re-queue,
// removing an override, a multi-product settlement racing another, a shop outside IST, and the 503
// of an overdue HIGH task through the endpoint itself.
import { describe, expect, it } from "vitest";
import { eventBody, paymentEntity, rzpId, signedRequest } from "../../harness/razorpay";
import {
  ADMIN_AUTH,
  callWorker,
  RecordingQueue,
  type TestDatabase,
  taskDeps,
  testDeps,
  testEnv,
} from "../../harness/worker";
import { dailySalesReport } from "../../src/tasks/daily-sales-report";
import { deliverOrderEvents } from "../../src/tasks/deliver-order-events";
import { pruneHistory } from "../../src/tasks/prune-history";
import { count, insertOrder, insertOrderItem, insertPayment, insertProduct, insertUser } from "../helpers/factories";
import { fileSetup } from "../helpers/file-setup";

let db: TestDatabase;
fileSetup({
  setDb: (d) => {
    db = d;
  },
});

const NOW = new Date("2026-11-28T20:30:00Z");
const daysAgo = (d: number) => new Date(NOW.getTime() - d * 86_400_000);

const call = (method: string, path: string, env: Record<string, unknown> = {}, body?: unknown) =>
  callWorker(testEnv(db, env), path, { method, headers: { authorization: ADMIN_AUTH }, body });

describe("prune-history", () => {
  it("deletes only the worker's own rows past their age, keeps running runs and queued emails, and a dry run deletes nothing", async () => {
    await db.query(
      `insert into cron_runs (task_name, scheduled_at, status, started_at) values
         ('t-old', $1, 'succeeded', $1), ('t-old-running', $1, 'running', $1), ('t-new', $2, 'succeeded', $2);
       insert into webhook_events (provider, event_id, event_type, received_at) values
         ('razorpay', 'evt_prune_old', 'x', $1), ('razorpay', 'evt_prune_new', 'x', $2);
       insert into emails (idempotency_key, kind, to_addresses, payload, status, created_at) values
         ('prune/sent-old', 'task-alert', '{a@b.c}', '{}', 'sent', $1),
         ('prune/queued-old', 'task-alert', '{a@b.c}', '{}', 'queued', $1),
         ('prune/sent-new', 'task-alert', '{a@b.c}', '{}', 'sent', $2)`
        .replace(/\$1/g, `'${daysAgo(40).toISOString()}'`)
        .replace(/\$2/g, `'${daysAgo(2).toISOString()}'`),
    );
    const deps = testDeps(db, { now: NOW });
    const dry = await pruneHistory.run(taskDeps(deps, { dryRun: true }), NOW);
    expect(dry).toMatchObject({ wouldDelete: { cronRuns: 1, webhookEvents: 1, emails: 1 } });
    expect(await count(db, "cron_runs", "task_name like 't-%'")).toBe(3);
    const real = await pruneHistory.run(taskDeps(deps), NOW);
    expect(real).toMatchObject({ deleted: { cronRuns: 1, webhookEvents: 1, emails: 1 } });
    expect(
      (
        await db.query<{ task_name: string }>("select task_name from cron_runs where task_name like 't-%' order by 1")
      ).map((r) => r.task_name),
    ).toEqual(["t-new", "t-old-running"]);
    expect(await count(db, "webhook_events", "event_id like 'evt_prune_%'")).toBe(1);
    expect(
      (
        await db.query<{ k: string }>(
          "select idempotency_key as k from emails where idempotency_key like 'prune/%' order by 1",
        )
      ).map((r) => r.k),
    ).toEqual(["prune/queued-old", "prune/sent-new"]);
    await deps.close();
  });
});

describe("deliver-order-events", () => {
  it("puts back on the queue an email whose message was lost, once it has been quiet for 15 minutes", async () => {
    // Only this test's emails: earlier tests' orders (in any order) have their events delivered.
    await db.query("delete from emails; update order_events set delivered_at = now() where delivered_at is null");
    await db.query(
      `insert into emails (idempotency_key, kind, to_addresses, payload, status, enqueued_at, created_at) values
         ('lost/1', 'task-alert', '{a@b.c}', '{}', 'queued', $1, $1),
         ('recent/1', 'task-alert', '{a@b.c}', '{}', 'queued', $2, $2),
         ('sent/1', 'task-alert', '{a@b.c}', '{}', 'sent', $1, $1)`,
      [new Date(NOW.getTime() - 20 * 60_000), new Date(NOW.getTime() - 5 * 60_000)],
    );
    const deps = testDeps(db, { now: NOW });
    const result = await deliverOrderEvents.run(taskDeps(deps), NOW);
    expect(result).toMatchObject({ requeued: 1 });
    const [lost] = await db.query<{ id: string }>("select id from emails where idempotency_key = 'lost/1'");
    expect(deps.queue.sent.map((m) => (m.body as { emailId: string }).emailId)).toEqual([lost?.id]);
    // Re-queued means quiet again for another 15 minutes: the next minute does not send it twice.
    deps.queue.sent.length = 0;
    await deliverOrderEvents.run(taskDeps(deps), new Date(NOW.getTime() + 60_000));
    expect(deps.queue.sent).toHaveLength(0);
    await deps.close();
  });
});

describe("schedule override removal", () => {
  it("DELETE …/schedule removes the override: the task runs on its own cron again", async () => {
    expect((await call("PUT", "/api/admin/tasks/check-low-stock/schedule", {}, { cron: "15 9 * * *" })).status).toBe(
      200,
    );
    const res = await call("DELETE", "/api/admin/tasks/check-low-stock/schedule");
    expect(res.status).toBe(200);
    const { task } = (await res.json()) as { task: { schedule: { override: string | null; description: string } } };
    expect(task.schedule.override).toBeNull();
    expect(task.schedule.description).toBe("hourly at :30 IST");
    expect(await count(db, "task_settings", "task_name = 'check-low-stock' and schedule_override is not null")).toBe(0);
  });
});

describe("settlement of orders sharing several products", () => {
  it("two captures at once, items listed in opposite orders: both confirm, stock taken once each, no deadlock", async () => {
    const a = await insertProduct(db, { stock: 10 });
    const b = await insertProduct(db, { stock: 10 });
    const user = await insertUser(db);
    const orders: { id: string; orderNumber: string; rzp: string }[] = [];
    for (const products of [
      [a, b],
      [b, a],
    ]) {
      const rzp = rzpId("order");
      const o = await insertOrder(db, { userId: user, totalAmount: 2 * 250_000, razorpayOrderId: rzp });
      for (const p of products) await insertOrderItem(db, { orderId: o.id, productId: p, quantity: 1 });
      await insertPayment(db, { orderId: o.id, transactionId: rzp, amount: 2 * 250_000 });
      orders.push({ ...o, rzp });
    }
    const q = new RecordingQueue();
    const deliver = async (o: (typeof orders)[number]) => {
      const body = eventBody("payment.captured", {
        payment: {
          entity: paymentEntity({ id: rzpId("pay"), orderId: o.rzp, amount: 2 * 250_000, status: "captured" }),
        },
      });
      const res = await callWorker(
        testEnv(db, { EMAIL_QUEUE: q }),
        await signedRequest(body, { eventId: rzpId("evt") }),
      );
      return res.json() as Promise<{ outcome: string }>;
    };
    const results = await Promise.all([...orders, ...orders].map(deliver));
    expect(results.filter((r) => r.outcome === "confirmed")).toHaveLength(2);
    const stock = await db.query<{ stock: number }>("select stock from products where id = any($1) order by id", [
      [a, b],
    ]);
    expect(stock.map((s) => s.stock)).toEqual([8, 8]);
  });
});

describe("a shop outside IST", () => {
  it("with BUSINESS_TIMEZONE=America/New_York the report's day is New York's calendar day", async () => {
    const user = await insertUser(db);
    // 28 Nov 23:30 in New York is 29 Nov 04:30 UTC: the 28th's sale, not the 29th's.
    await insertOrder(db, {
      userId: user,
      status: "CONFIRMED",
      totalAmount: 700_00,
      createdAt: "2026-11-29T04:30:00Z",
    });
    await insertOrder(db, {
      userId: user,
      status: "CONFIRMED",
      totalAmount: 900_00,
      createdAt: "2026-11-29T05:30:00Z",
    });
    const slot = new Date("2026-11-29T04:59:00Z"); // 23:59 New York time on the 28th
    const deps = testDeps(db, { now: slot, env: { BUSINESS_TIMEZONE: "America/New_York" } });
    await db.query("delete from sales_reports");
    const result = await dailySalesReport.run(taskDeps(deps), slot);
    expect(result).toMatchObject({ reportsSent: 1 });
    const [email] = await db.query<{ payload: { date: string; today: { revenue: number } } }>(
      "select payload from emails where kind = 'daily-sales-report' order by created_at desc limit 1",
    );
    expect(email?.payload.date).toBe("2026-11-28");
    expect(email?.payload.today.revenue).toBe(700_00);
    await deps.close();
  });
});

describe("/api/health/cron through the endpoint", () => {
  it("answers 503 when a HIGH task is overdue (its slot passed with no success), 200 once it ran", async () => {
    await db.query("delete from cron_runs; delete from task_settings");
    // The endpoint reads the real clock: history is laid out relative to it.
    const slot = (minutesAgo: number) => {
      const t = Date.now() - minutesAgo * 60_000;
      return new Date(t - (t % (5 * 60_000)));
    };
    const record = (task: string, at: Date) =>
      db.query(
        "insert into cron_runs (task_name, scheduled_at, status, started_at, finished_at) values ($1, $2, 'succeeded', $2, $2)",
        [task, at],
      );
    // Installed long ago; the locks cleanup last succeeded 30 minutes back and has missed slots since.
    await record("watchdog", slot(120));
    await record("reconcile-stale-payments", slot(0));
    await record("cleanup-expired-locks", slot(30));
    const get = () => call("GET", "/api/health/cron");
    const late = await get();
    expect(late.status).toBe(503);
    const body = (await late.json()) as { status: string; tasks: Record<string, { overdue: boolean }> };
    expect(body.status).toBe("unhealthy");
    expect(body.tasks["cleanup-expired-locks"]?.overdue).toBe(true);
    for (let m = 25; m >= 0; m -= 5) await record("cleanup-expired-locks", slot(m));
    expect((await get()).status).toBe(200);
  });
});
