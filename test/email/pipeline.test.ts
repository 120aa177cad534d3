import { createMessageBatch, getQueueResult } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { resendStub } from "../../harness/resend";
import {
  RecordingQueue,
  type TestDatabase,
  type TestDeps,
  taskDeps,
  testCtx,
  testDeps,
  testEnv,
} from "../../harness/worker";
import { retryDelaySeconds } from "../../src/email/consumer";
import worker from "../../src/index";
import { recordEmails } from "../../src/notices/outbox";
import { deliverOrderEvents } from "../../src/tasks/deliver-order-events";
import { count, insertOrder, insertOrderItem, insertProduct, insertUser } from "../helpers/factories";
import { fileSetup } from "../helpers/file-setup";

const API_KEY = `re_pipeline_${Date.now().toString(36)}`;
const stub = resendStub(API_KEY);
let db: TestDatabase;
let deps: TestDeps;
let seq = 0;

fileSetup({
  setDb: (d) => {
    db = d;
  },
  reset: async () => {
    await stub.reset();
  },
  deps: () => {
    deps = testDeps(db, { env: { RESEND_API_KEY: API_KEY } });
    return deps;
  },
});

/** Hands queued message bodies to the Worker's queue handler as one batch, as the runtime would. */
async function consume(
  bodies: unknown[],
  opts: { attempts?: number; queue?: string; dlq?: RecordingQueue; env?: Record<string, unknown> } = {},
) {
  const batch = createMessageBatch(
    opts.queue ?? "ora-email",
    bodies.map((body) => ({ id: `msg-${++seq}`, timestamp: new Date(), attempts: opts.attempts ?? 1, body })),
  );
  const ctx = testCtx();
  const env = testEnv(db, {
    RESEND_API_KEY: API_KEY,
    EMAIL_QUEUE: new RecordingQueue(),
    EMAIL_DLQ: opts.dlq ?? new RecordingQueue(),
    ...opts.env,
  });
  await worker.queue(batch, env, ctx);
  return getQueueResult(batch, ctx);
}

/** A batch that records retry delays (getQueueResult reports retries without them). */
async function consumeSpying(bodies: unknown[], attempts = 1) {
  const retries: { body: unknown; delaySeconds: number | undefined }[] = [];
  const acks: unknown[] = [];
  const messages = bodies.map((body) => ({
    id: `msg-${++seq}`,
    timestamp: new Date(),
    attempts,
    body,
    ack: () => acks.push(body),
    retry: (o?: { delaySeconds?: number }) => retries.push({ body, delaySeconds: o?.delaySeconds }),
  }));
  const batch = {
    queue: "ora-email",
    messages,
    ackAll: () => acks.push(...bodies),
    retryAll: () => retries.push(...bodies.map((body) => ({ body, delaySeconds: undefined }))),
  } as unknown as MessageBatch<unknown>;
  const ctx = testCtx();
  await worker.queue(batch, testEnv(db, { RESEND_API_KEY: API_KEY, EMAIL_QUEUE: new RecordingQueue() }), ctx);
  return { retries, acks };
}

/** Runs deliver-order-events and returns what it put on the queue. */
async function deliverPending() {
  const before = deps.queue.sent.length;
  await deliverOrderEvents.run(taskDeps(deps), new Date());
  return deps.queue.sent.slice(before).map((m) => m.body);
}

async function emailRow(key: string) {
  const [row] = await db.query<{
    status: string;
    provider_id: string | null;
    attempts: number;
    last_error: string | null;
  }>("select status, provider_id, attempts, last_error from emails where idempotency_key = $1", [key]);
  return row;
}

describe("order events → notifications → email", () => {
  it("a status change written straight into the database reaches the customer's inbox", async () => {
    const user = await insertUser(db, { email: "asha@example.test" });
    const product = await insertProduct(db, { name: "Kundan Necklace", price: 1_23_456_00 });
    const order = await insertOrder(db, { userId: user, totalAmount: 2_46_912_00 });
    await insertOrderItem(db, { orderId: order.id, productId: product, quantity: 2, unitPrice: 1_23_456_00 });
    await db.query("update orders set status = 'CONFIRMED' where id = $1", [order.id]); // e.g. the admin panel
    const bodies = await deliverPending();
    expect(bodies).toHaveLength(2); // ORDER_PLACED and ORDER_CONFIRMED
    const result = await consume(bodies);
    expect(result.explicitAcks).toHaveLength(2);
    const { emails, calls } = await stub.emails();
    expect(calls).toEqual({ single: 0, batch: 1 });
    const confirmation = emails.find((e) => e.subject === `Order Confirmation - ${order.orderNumber}`);
    expect(confirmation?.to).toEqual(["asha@example.test"]);
    expect(confirmation?.html).toContain("Kundan Necklace");
    expect(confirmation?.html).toContain("₹2,46,912.00");
    expect(confirmation?.text).toContain("Estimated delivery:");
    expect(await emailRow(`order-confirmed/${order.id}`)).toMatchObject({ status: "sent", attempts: 1 });
    expect((await emailRow(`order-confirmed/${order.id}`))?.provider_id).toBe(confirmation?.id);
  });

  it("writes all six notifications, each once, with the order's id and number", async () => {
    const user = await insertUser(db);
    const a = await insertOrder(db, { userId: user });
    for (const status of ["CONFIRMED", "PROCESSING", "SHIPPED", "DELIVERED", "RETURN_REQUESTED", "RETURN_APPROVED"]) {
      if (status === "SHIPPED") await db.query("update orders set tracking_number = 'AWB-77' where id = $1", [a.id]);
      await db.query("update orders set status = $2 where id = $1", [a.id, status]);
    }
    const b = await insertOrder(db, { userId: user });
    await db.query("update orders set status = 'CANCELLED' where id = $1", [b.id]);
    await deliverPending();
    await deliverPending(); // a second run finds nothing new
    const rows = await db.query<{ type: string; message: string; metadata: { orderId: string; orderNumber: string } }>(
      "select type, message, metadata from notifications where user_id = $1 order by created_at, type",
      [user],
    );
    expect(rows.map((r) => r.type).sort()).toEqual(
      [
        "ORDER_CANCELLED",
        "ORDER_CONFIRMED",
        "ORDER_DELIVERED",
        "ORDER_PLACED",
        "ORDER_PLACED",
        "ORDER_SHIPPED",
        "RETURN_APPROVED",
      ].sort(),
    );
    expect(rows.find((r) => r.type === "ORDER_SHIPPED")?.message).toContain("AWB-77");
    expect(rows.find((r) => r.type === "ORDER_CANCELLED")?.metadata).toEqual({
      orderId: b.id,
      orderNumber: b.orderNumber,
    });
    expect(await count(db, "order_events", "order_id = any($1) and delivered_at is null", [[a.id, b.id]])).toBe(0);
  });
});

describe("email consumer", () => {
  async function oneEmail(kind = "order-status") {
    const user = await insertUser(db);
    const order = await insertOrder(db, { userId: user });
    await db.query("update orders set status = 'CONFIRMED' where id = $1", [order.id]);
    await deliverPending();
    const [row] = await db.query<{ id: string }>("select id from emails where idempotency_key = $1", [
      `order-confirmed/${order.id}`,
    ]);
    return { id: row?.id ?? "", key: `order-confirmed/${order.id}`, kind };
  }

  it("a message delivered twice (same batch, then again later) sends one email", async () => {
    const e = await oneEmail();
    const first = await consume([{ emailId: e.id }, { emailId: e.id }]);
    expect(first.explicitAcks).toHaveLength(2);
    const again = await consume([{ emailId: e.id }]);
    expect(again.explicitAcks).toHaveLength(1);
    const sent = (await stub.emails()).emails.filter(
      (m) => m.idempotencyKey === e.key || m.subject.includes("Confirmation"),
    );
    expect(sent).toHaveLength(1);
  });

  it("two consumers racing on one email send it once (the row lease)", async () => {
    const e = await oneEmail();
    const [a, b] = await Promise.all([consume([{ emailId: e.id }]), consume([{ emailId: e.id }])]);
    // Whichever interleaving happened: each message was either acked or handed back for a retry
    // (a consumer that met the other's lease waits it out), never dropped; one email went out.
    for (const r of [a, b]) {
      const acked = r.ackAll || r.explicitAcks.length === 1;
      const retried = r.retryBatch.retry || r.retryMessages.length === 1;
      expect(acked !== retried).toBe(true);
    }
    expect((await stub.emails()).emails).toHaveLength(1);
    expect(await emailRow(e.key)).toMatchObject({ status: "sent" });
    // A retried message, delivered again after the lease, finds the email sent and sends nothing.
    await db.query("update emails set locked_until = null where id = $1", [e.id]);
    for (const _ of [...a.retryMessages, ...b.retryMessages]) {
      const again = await consume([{ emailId: e.id }], { attempts: 2 });
      expect(again.retryMessages).toHaveLength(0);
    }
    expect((await stub.emails()).emails).toHaveLength(1);
  });

  it("429 is retried with backoff that honours retry-after, then goes out with its Idempotency-Key", async () => {
    const e = await oneEmail();
    await stub.faults([{ kind: "429", times: 1, retryAfter: 90 }]);
    const first = await consumeSpying([{ emailId: e.id }]);
    expect(first.retries).toEqual([{ body: { emailId: e.id }, delaySeconds: 90 }]);
    expect(await emailRow(e.key)).toMatchObject({ status: "queued", attempts: 1 });
    expect((await emailRow(e.key))?.last_error).toMatch(/429 rate_limit_exceeded/);
    await db.query("update emails set locked_until = null where id = $1", [e.id]);
    const second = await consume([{ emailId: e.id }], { attempts: 2 });
    expect(second.explicitAcks).toHaveLength(1);
    const { emails } = await stub.emails();
    expect(emails).toHaveLength(1);
    expect(emails[0]?.idempotencyKey).toBe(e.key);
    expect(await emailRow(e.key)).toMatchObject({ status: "sent", attempts: 2 });
  });

  it("backoff grows exponentially from 30 s and is capped at an hour", () => {
    expect([1, 2, 3, 4, 8, 20].map((a) => retryDelaySeconds(a))).toEqual([30, 60, 120, 240, 3600, 3600]);
    expect(retryDelaySeconds(1, 300)).toBe(300);
  });

  it("a 500 is retried; a permanent 422 is not: recorded failed and the admins alerted", async () => {
    const e = await oneEmail();
    await stub.faults([{ kind: "500", times: 1 }]);
    expect((await consume([{ emailId: e.id }])).retryMessages).toHaveLength(1);
    await db.query("update emails set locked_until = null where id = $1", [e.id]);
    await stub.faults([{ kind: "422" }]);
    const res = await consume([{ emailId: e.id }], { attempts: 2 });
    expect(res.explicitAcks).toHaveLength(1);
    expect(res.retryMessages).toHaveLength(0);
    expect(await emailRow(e.key)).toMatchObject({ status: "failed" });
    const [alert] = await db.query<{ payload: { title: string; message: string } }>(
      "select payload from emails where idempotency_key = $1",
      [`alert/email-failed/${e.id}`],
    );
    expect(alert?.payload.message).toContain("422 validation_error");
  });

  it("a batch refused for one bad member still sends the others, one by one", async () => {
    const ids = await recordEmails(
      deps.db,
      [1, 2, 3].map((i) => ({
        key: `test-alert/${seq}-${i}`,
        kind: "task-alert" as const,
        to: [i === 2 ? "not-an-address" : `ops${i}@ora.test`],
        payload: { title: `Alert ${i}`, message: "m", severity: "info", at: new Date().toISOString() },
      })),
      new Date(),
    );
    const res = await consume(ids.map((emailId) => ({ emailId })));
    expect(res.explicitAcks).toHaveLength(3);
    const { emails, calls } = await stub.emails();
    expect(calls).toEqual({ batch: 1, single: 3 });
    expect(emails.map((m) => m.to[0]).sort()).toEqual(["ops1@ora.test", "ops3@ora.test"]);
    const statuses = await db.query<{ status: string }>(
      "select status from emails where id = any($1) order by idempotency_key",
      [ids],
    );
    expect(statuses.map((s) => s.status)).toEqual(["sent", "failed", "sent"]);
  });

  it("many emails in one queue batch go out in batch calls of at most 100", async () => {
    const ids = await recordEmails(
      deps.db,
      Array.from({ length: 150 }, (_, i) => ({
        key: `bulk/${seq}/${i}`,
        kind: "task-alert" as const,
        to: [`ops${i}@ora.test`],
        payload: { title: `Bulk ${i}`, message: "m", severity: "info", at: new Date().toISOString() },
      })),
      new Date(),
    );
    const res = await consume(ids.map((emailId) => ({ emailId })));
    expect(res.explicitAcks).toHaveLength(150);
    const { emails, calls } = await stub.emails();
    expect(calls).toEqual({ batch: 2, single: 0 });
    expect(emails).toHaveLength(150);
  });

  it("an invalid message goes to the dead-letter queue, never silently dropped", async () => {
    const dlq = new RecordingQueue();
    const res = await consume([{ nope: true }], { dlq });
    expect(res.explicitAcks).toHaveLength(1);
    expect(dlq.sent).toEqual([{ body: { invalid: { nope: true }, reason: expect.any(String) } }]);
  });

  it("the dead-letter consumer records the email dead and alerts", async () => {
    const e = await oneEmail();
    const res = await consume([{ emailId: e.id }], { queue: "ora-email-dlq" });
    expect(res.ackAll).toBe(true);
    expect(await emailRow(e.key)).toMatchObject({ status: "dead" });
    expect(
      await count(db, "emails", "kind = 'task-alert' and payload->>'title' like '%dead-lettered%'"),
    ).toBeGreaterThan(0);
  });

  it("each batch is handled by the queue it came from as configured, not by a name suffix", async () => {
    const e = await oneEmail();
    // Queues renamed at deploy time: the names come from EMAIL_QUEUE_NAME / EMAIL_DLQ_NAME.
    const renamed = { EMAIL_QUEUE_NAME: "shop-mail", EMAIL_DLQ_NAME: "shop-mail-failures" };
    const unknown = await consume([{ emailId: e.id }], { queue: "ora-email-dlq", env: renamed });
    expect(unknown.retryBatch.retry).toBe(true); // not ours under this configuration: never guessed at
    expect(await emailRow(e.key)).toMatchObject({ status: "queued" });
    const sent = await consume([{ emailId: e.id }], { queue: "shop-mail", env: renamed });
    expect(sent.explicitAcks).toHaveLength(1);
    expect(await emailRow(e.key)).toMatchObject({ status: "sent" });
  });
});

describe("production settings", () => {
  it("local-only settings cannot weaken production: a remote DB_WS_PROXY or plain-http API base is refused by name", async () => {
    const { loadConfig } = await import("../../src/lib/config");
    const base = testEnv(db);
    expect(() => loadConfig({ ...base, DB_WS_PROXY: "proxy.example.com:80" } as Env)).toThrow(/DB_WS_PROXY/);
    expect(() => loadConfig({ ...base, RAZORPAY_API_BASE: "http://api.razorpay.com" } as Env)).toThrow(
      /RAZORPAY_API_BASE/,
    );
    expect(() => loadConfig({ ...base, RESEND_API_BASE: "http://10.0.0.5:8080" } as Env)).toThrow(/RESEND_API_BASE/);
    expect(
      loadConfig({ ...base, DB_WS_PROXY: "127.0.0.1:5433", RESEND_API_BASE: "http://localhost:9000" } as Env),
    ).toMatchObject({
      DB_WS_PROXY: "127.0.0.1:5433",
    });
  });
});
