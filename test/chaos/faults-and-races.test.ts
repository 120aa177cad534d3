import { describe, expect, it } from "vitest";
import { eventBody, paymentEntity, razorpayStub, rzpId, signedRequest } from "../../harness/razorpay";
import {
  ADMIN_AUTH,
  callWorker,
  RecordingQueue,
  type TestDatabase,
  type TestDeps,
  taskDeps,
  testDeps,
  testEnv,
} from "../../harness/worker";
import { runCron } from "../../src/scheduler/dispatch";
import { runTask } from "../../src/scheduler/run-task";
import { cleanupExpiredLocks } from "../../src/tasks/cleanup-expired-locks";
import { reconcileStalePayments } from "../../src/tasks/reconcile-stale-payments";
import { dbFault, reportFigure } from "../helpers/chaos";
import { type Checkout, checkout, orderState } from "../helpers/checkout";
import { count, insertProduct } from "../helpers/factories";
import { describeOnPostgres, fileSetup } from "../helpers/file-setup";

const KEY = `rzp_test_chaos_${Date.now().toString(36)}`;
const stub = razorpayStub(KEY);
let db: TestDatabase;
let deps: TestDeps;
const figures: Record<string, unknown> = {};

fileSetup({
  setDb: (d) => {
    db = d;
  },
  reset: async () => {
    await dbFault(db, { mode: "none" });
  },
  deps: () => {
    deps = testDeps(db, { env: { RAZORPAY_KEY_ID: KEY } });
    return deps;
  },
  after: async () => {
    await reportFigure("faults-and-races", figures);
  },
});

const captured = (c: Checkout, payId: string) =>
  eventBody("payment.captured", {
    payment: { entity: paymentEntity({ id: payId, orderId: c.razorpayOrderId, amount: c.amount, status: "captured" }) },
  });

async function deliver(body: string, eventId: string) {
  const res = await callWorker(
    testEnv(db, { EMAIL_QUEUE: new RecordingQueue() }),
    await signedRequest(body, { eventId }),
  );
  return res;
}

/** The invariants every scenario must leave behind for one checkout of quantity 1 from 10 in stock. */
async function confirmedOnce(c: Checkout) {
  expect(await orderState(db, c)).toMatchObject({
    order_status: "CONFIRMED",
    payment_status: "CAPTURED",
    stock: 9,
    locks: 0,
  });
  expect(await count(db, "notifications", "dedupe_key = $1", [`order-confirmed/${c.orderId}`])).toBe(1);
  expect(await count(db, "emails", "idempotency_key = $1", [`order-confirmed/${c.orderId}`])).toBe(1);
}

describe("database faults", () => {
  it("connection dropped before the settlement reaches Postgres: 5xx, nothing written; the redelivery confirms once", async () => {
    const c = await checkout(db, { stock: 10 });
    const body = captured(c, rzpId("pay"));
    await dbFault(db, { mode: "drop-before", at: 1 });
    const failed = await deliver(body, "evt_fault_before");
    expect(failed.status).toBe(500);
    const between = await orderState(db, c);
    expect(between).toMatchObject({ order_status: "PENDING", payment_status: "PENDING", stock: 10 });
    const eventsBetween = await count(db, "webhook_events", "event_id = 'evt_fault_before'");
    expect(eventsBetween).toBe(0);
    const redelivery = ((await (await deliver(body, "evt_fault_before")).json()) as { outcome: string }).outcome;
    expect(redelivery).toBe("confirmed");
    await confirmedOnce(c);
    figures.dropBeforeCommit = {
      firstStatus: failed.status,
      rowsWrittenByTheDroppedDelivery: eventsBetween,
      stockTakenByIt: 10 - between.stock,
      redelivery,
      stockTakenInAll: 10 - (await orderState(db, c)).stock,
    };
  });

  it("connection dropped after the settlement committed: 5xx, and the redelivery is a harmless duplicate", async () => {
    const c = await checkout(db, { stock: 10 });
    const body = captured(c, rzpId("pay"));
    // Round trip 1 reads the order; round trip 2 is the one statement that applies everything.
    await dbFault(db, { mode: "drop-after", at: 2 });
    const failed = await deliver(body, "evt_fault_after");
    expect(failed.status).toBe(500);
    const redelivery = ((await (await deliver(body, "evt_fault_after")).json()) as { outcome: string }).outcome;
    expect(redelivery).toBe("duplicate");
    await confirmedOnce(c);
    figures.dropAfterCommit = {
      firstStatus: failed.status,
      redelivery,
      stockTakenInAll: 10 - (await orderState(db, c)).stock,
      confirmations: await count(db, "notifications", "dedupe_key = $1", [`order-confirmed/${c.orderId}`]),
    };
  });

  it("connection dropped mid-cleanup: the run is recorded failed, nothing half-done, the next run finishes", async () => {
    const product = await insertProduct(db);
    await db.query("delete from inventory_locks");
    await db.query(
      `insert into inventory_locks (product_id, quantity, expires_at)
       select $1, 1, now() - interval '1 hour' - (g || ' seconds')::interval from generate_series(1, 3000) g`,
      [product],
    );
    await db.query(
      `insert into inventory_locks (product_id, quantity, expires_at)
       select $1, 1, now() + interval '1 hour' from generate_series(1, 500) g`,
      [product],
    );
    // Small batches force a sweep. Round trips: the claim (with the settings), the index batch, the
    // relation size, then page sweeps: drop the connection at the second sweep statement.
    await db.query(
      `insert into task_settings (task_name, settings) values ('cleanup-expired-locks', '{"batchSize": 1000, "pagesPerBatch": 10}')
       on conflict (task_name) do update set settings = excluded.settings`,
    );
    await dbFault(db, { mode: "drop-before", at: 5 });
    const now = new Date();
    deps.setNow(now);
    const rec = await runTask(
      deps,
      { ...cleanupExpiredLocks, settingsSchema: cleanupExpiredLocks.settingsSchema },
      {
        slot: now,
        trigger: "cron",
      },
    );
    const [run] = await db.query<{ status: string; error: string }>(
      "select status, error from cron_runs where id = $1",
      [rec.runId],
    );
    expect(run?.status).toBe("failed");
    const live = await count(db, "inventory_locks", "expires_at > now()");
    expect(live).toBe(500);
    await db.query("update task_settings set settings = '{}' where task_name = 'cleanup-expired-locks'");
    const next = await cleanupExpiredLocks.run(
      taskDeps(deps, { settings: { batchSize: 1000, pagesPerBatch: 10 } }),
      new Date(),
    );
    expect(next.backlogRemains).toBe(false);
    expect(await count(db, "inventory_locks", "expires_at < now()")).toBe(0);
    expect(await count(db, "inventory_locks", "expires_at > now()")).toBe(500);
    figures.dropMidCleanup = {
      runStatus: run?.status,
      error: run?.error?.split("\n")[0],
      liveLocksBefore: 500,
      liveLocksAfter: await count(db, "inventory_locks", "expires_at > now()"),
      expiredLeftAfterNextRun: await count(db, "inventory_locks", "expires_at < now()"),
    };
  });
});

describeOnPostgres("races", () => {
  it("the same webhook 50 times at once: one confirmation, one decrement, one notification, one email", async () => {
    const c = await checkout(db, { stock: 10 });
    const body = captured(c, rzpId("pay"));
    const outcomes = await Promise.all(
      Array.from(
        { length: 50 },
        async () => ((await (await deliver(body, "evt_race_50")).json()) as { outcome: string }).outcome,
      ),
    );
    expect(outcomes.filter((o) => o === "confirmed")).toHaveLength(1);
    expect(outcomes.filter((o) => o === "duplicate")).toHaveLength(49);
    await confirmedOnce(c);
    figures.sameWebhook50 = {
      deliveries: outcomes.length,
      confirmed: outcomes.filter((o) => o === "confirmed").length,
      duplicates: outcomes.filter((o) => o === "duplicate").length,
      stockTaken: 10 - (await orderState(db, c)).stock,
      notifications: await count(db, "notifications", "dedupe_key = $1", [`order-confirmed/${c.orderId}`]),
      emails: await count(db, "emails", "idempotency_key = $1", [`order-confirmed/${c.orderId}`]),
    };
  });

  it("webhook, reconciler and admin run-now on one payment at once: one confirmation", async () => {
    await stub.reset();
    const c = await checkout(db, { stock: 10, createdAt: new Date(Date.now() - 30 * 60_000) });
    const payId = rzpId("pay");
    await stub.seed([paymentEntity({ id: payId, orderId: c.razorpayOrderId, amount: c.amount, status: "captured" })]);
    const admin = async () => {
      const res = await callWorker(
        testEnv(db, { EMAIL_QUEUE: new RecordingQueue(), RAZORPAY_KEY_ID: KEY }),
        "/api/admin/tasks/reconcile-stale-payments/run",
        { method: "POST", headers: { authorization: ADMIN_AUTH } },
      );
      return res.status;
    };
    const [hook, , adminStatus] = await Promise.all([
      deliver(captured(c, payId), "evt_three_way"),
      reconcileStalePayments.run(taskDeps(deps), new Date()),
      admin(),
    ]);
    expect(hook.status).toBe(200);
    expect(adminStatus).toBe(200);
    await confirmedOnce(c);
    figures.threeWay = {
      stockTaken: 10 - (await orderState(db, c)).stock,
      confirmations: await count(db, "notifications", "dedupe_key = $1", [`order-confirmed/${c.orderId}`]),
    };
  });

  it("ten invocations of one slot at once run it once", async () => {
    const slot = Date.parse("2026-11-28T11:00:00Z");
    const all = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const d = testDeps(db);
        const r = await runCron(d, [cleanupExpiredLocks], "*/5 * * * *", slot);
        await d.close();
        return r[0]?.outcome;
      }),
    );
    expect(all.filter((o) => o === "succeeded")).toHaveLength(1);
    const [run] = await db.query<{ duplicate_fires: number }>(
      "select duplicate_fires from cron_runs where task_name = 'cleanup-expired-locks' and scheduled_at = $1",
      [new Date(slot)],
    );
    expect(run?.duplicate_fires).toBe(9);
    figures.tenInvocations = {
      invocations: all.length,
      ran: all.filter((o) => o === "succeeded").length,
      duplicateFiresRecorded: run?.duplicate_fires,
    };
  });

  it("storefront writes during a cleanup sweep: no live lock is ever deleted", async () => {
    const product = await insertProduct(db);
    await db.query("delete from inventory_locks");
    await db.query(
      `insert into inventory_locks (product_id, quantity, expires_at)
       select $1, 1, now() - interval '10 minutes' from generate_series(1, 60000) g`,
      [product],
    );
    // Checkouts extend the locks at the end of the heap and take new ones while the sweep runs.
    const extended = await db.query<{ id: string }>("select id from inventory_locks order by ctid desc limit 2000");
    const ids = extended.map((r) => r.id);
    let extendedNow = 0;
    let sweepFinished = false;
    let writesWhileSweeping = 0;
    const storefront = (async () => {
      const writer = await createTestDatabaseClone(db);
      for (let i = 0; i < ids.length; i += 100) {
        const r = await writer.query(
          "update inventory_locks set expires_at = now() + interval '15 minutes' where id = any($1)",
          [ids.slice(i, i + 100)],
        );
        extendedNow += r.rowCount ?? 0;
        await writer.query(
          "insert into inventory_locks (product_id, quantity, expires_at) select $1, 1, now() + interval '15 minutes' from generate_series(1, 20)",
          [product],
        );
        if (!sweepFinished) writesWhileSweeping++;
      }
      await writer.close();
    })();
    const sweep = cleanupExpiredLocks
      .run(taskDeps(deps, { settings: { batchSize: 1000, pagesPerBatch: 10 } }), new Date())
      .finally(() => {
        sweepFinished = true;
      });
    const [, swept] = await Promise.all([storefront, sweep]);
    // The race was real: the storefront wrote while the sweep was still deleting.
    expect(writesWhileSweeping).toBeGreaterThan(0);
    expect(swept.deleted).toBeGreaterThan(0);
    const survivors = await count(db, "inventory_locks", "id = any($1)", [ids]);
    const liveNow = await count(db, "inventory_locks", "expires_at > now()");
    // Every extended lock survives unless the sweep deleted it before it was extended (then the
    // extension touched nothing); no lock live at deletion time may be missing.
    const [{ lost }] = (await db.query<{ lost: number }>(
      "select (select count(*) from unnest($1::text[]) x(id) where not exists (select 1 from inventory_locks l where l.id = x.id))::int as lost",
      [ids],
    )) as [{ lost: number }];
    // Every lock the storefront actually extended (its UPDATE found it) is still there and live; the
    // only ones gone are those the sweep deleted while they were still expired, before the update.
    expect(survivors).toBe(extendedNow);
    expect(lost).toBe(ids.length - extendedNow);
    expect(liveNow).toBe(extendedNow + 20 * Math.ceil(ids.length / 100));
    figures.writesDuringSweep = {
      expiredAtStart: 60000,
      extendedByStorefront: extendedNow,
      extendedSurvived: survivors,
      deletedBeforeTheStorefrontGotThere: lost,
      newLocksDuringSweep: 20 * Math.ceil(ids.length / 100),
      storefrontWritesWhileSweeping: writesWhileSweeping,
      liveLocksDeleted: extendedNow + 20 * Math.ceil(ids.length / 100) - liveNow,
    };
  });
});

/** A second, independent connection to the same database (the storefront). */
async function createTestDatabaseClone(db: TestDatabase) {
  const { Pool } = await import("@neondatabase/serverless");
  const pool = new Pool({ connectionString: db.url, max: 1 });
  pool.on("error", () => {});
  return {
    query: (text: string, params: unknown[] = []) => pool.query(text, params),
    close: () => pool.end(),
  };
}
