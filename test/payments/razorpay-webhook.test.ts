import { describe, expect, it } from "vitest";
import { eventBody, paymentEntity, rzpId, signedRequest } from "../../harness/razorpay";
import { callWorker, RecordingQueue, type TestDatabase, testEnv } from "../../harness/worker";
import { type Checkout, checkout, orderState } from "../helpers/checkout";
import { count } from "../helpers/factories";
import { fileSetup } from "../helpers/file-setup";

let db: TestDatabase;
let queue: RecordingQueue;

fileSetup({
  setDb: (d) => {
    db = d;
  },
});

/** The idempotency keys of the emails put on the queue. */
async function queuedKeys(q: RecordingQueue): Promise<string[]> {
  const ids = q.sent.map((m) => (m.body as { emailId: string }).emailId);
  const rows = await db.query<{ id: string; idempotency_key: string }>(
    "select id, idempotency_key from emails where id = any($1)",
    [ids],
  );
  const key = new Map(rows.map((r) => [r.id, r.idempotency_key]));
  return ids.map((id) => key.get(id) ?? `missing:${id}`).sort();
}

async function send(req: Request, q = new RecordingQueue()): Promise<Response> {
  queue = q;
  const res = await callWorker(testEnv(db, { EMAIL_QUEUE: q }), req);
  return res;
}

const captured = (c: Checkout, paymentId = rzpId("pay"), amount = c.amount) =>
  eventBody("payment.captured", {
    payment: { entity: paymentEntity({ id: paymentId, orderId: c.razorpayOrderId, amount, status: "captured" }) },
  });
const failed = (c: Checkout, paymentId = rzpId("pay")) =>
  eventBody("payment.failed", {
    payment: {
      entity: paymentEntity({
        id: paymentId,
        orderId: c.razorpayOrderId,
        amount: c.amount,
        status: "failed",
        errorDescription: "Payment was declined by the bank",
      }),
    },
  });

describe("razorpay webhook: signature", () => {
  it("accepts a valid signature and confirms the order", async () => {
    const c = await checkout(db, { stock: 10, quantity: 2 });
    const res = await send(await signedRequest(captured(c), { eventId: rzpId("evt") }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "processed", outcome: "confirmed" });
    expect(await orderState(db, c)).toMatchObject({
      order_status: "CONFIRMED",
      payment_status: "CAPTURED",
      stock: 8,
      locks: 0,
    });
  });

  const refused: [string, (body: string) => Promise<Request>][] = [
    ["missing", (b) => signedRequest(b, { signature: null })],
    ["wrong", (b) => signedRequest(b, { signature: "0".repeat(64) })],
    ["made with the wrong secret", (b) => signedRequest(b, { secret: "not-the-secret" })],
    ["not hex", (b) => signedRequest(b, { signature: "z".repeat(64) })],
    [
      "over the body with one byte changed",
      async (b) => {
        const req = await signedRequest(b);
        const sig = req.headers.get("x-razorpay-signature") ?? "";
        return signedRequest(b.replace('"captured"', '"Captured"'), { signature: sig });
      },
    ],
    [
      "computed over re-serialised JSON",
      async (b) => {
        const pretty = JSON.stringify(JSON.parse(b), null, 2);
        const sig = (await signedRequest(pretty)).headers.get("x-razorpay-signature") ?? "";
        return signedRequest(b, { signature: sig });
      },
    ],
  ];
  for (const [name, make] of refused) {
    it(`refuses a signature ${name} with 401 and writes nothing`, async () => {
      const c = await checkout(db);
      const before = await count(db, "webhook_events");
      const res = await send(await make(captured(c)));
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: { code: "unauthorized" } });
      expect(await count(db, "webhook_events")).toBe(before);
      expect(await orderState(db, c)).toMatchObject({ order_status: "PENDING", payment_status: "PENDING", locks: 1 });
    });
  }
});

describe("razorpay webhook: bad input", () => {
  it("answers 400 to malformed JSON with a valid signature, writing nothing", async () => {
    const before = await count(db, "webhook_events");
    const res = await send(await signedRequest('{"event": "payment.captured", "payload": {'));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: "bad_request" } });
    expect(await count(db, "webhook_events")).toBe(before);
  });

  it("answers 400 to a known event whose payload lacks the payment, writing nothing", async () => {
    const before = await count(db, "webhook_events");
    const attempts = await count(db, "payment_attempts");
    const res = await send(
      await signedRequest(eventBody("payment.captured", { order: {} }), { eventId: rzpId("evt") }),
    );
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/payment/);
    expect(await count(db, "webhook_events")).toBe(before);
    expect(await count(db, "payment_attempts")).toBe(attempts);
  });

  it("answers 413 to a body over 1 MiB", async () => {
    const huge = JSON.stringify({ event: "x", payload: { pad: "a".repeat(1024 * 1024) } });
    const res = await send(await signedRequest(huge));
    expect(res.status).toBe(413);
  });

  it("records an event it does not handle as ignored and answers 200", async () => {
    const id = rzpId("evt");
    const res = await send(await signedRequest(eventBody("payment.authorized", {}), { eventId: id }));
    expect(await res.json()).toEqual({ status: "processed", outcome: "ignored" });
    expect(await db.query("select outcome from webhook_events where event_id = $1", [id])).toEqual([
      { outcome: "ignored" },
    ]);
  });
});

describe("razorpay webhook: exactly once", () => {
  it("a redelivery of the same event id answers 200 and changes nothing", async () => {
    const c = await checkout(db, { stock: 5 });
    const body = captured(c);
    const eventId = rzpId("evt");
    await send(await signedRequest(body, { eventId }));
    const again = await send(await signedRequest(body, { eventId }));
    expect(await again.json()).toEqual({ status: "duplicate", outcome: "duplicate" });
    expect(queue.sent).toHaveLength(0);
    expect((await orderState(db, c)).stock).toBe(4);
    expect(
      await count(db, "notifications", "metadata->>'orderId' = $1 and type = 'ORDER_CONFIRMED'", [c.orderId]),
    ).toBe(1);
  });

  it("the same event twenty times at once: one confirmation, one decrement, one notification, one email", async () => {
    const c = await checkout(db, { stock: 5, quantity: 2 });
    const body = captured(c);
    const eventId = rzpId("evt");
    const q = new RecordingQueue();
    const results = await Promise.all(
      Array.from({ length: 20 }, async () => (await send(await signedRequest(body, { eventId }), q)).json()),
    );
    expect(results.filter((r) => (r as { outcome: string }).outcome === "confirmed")).toHaveLength(1);
    expect(results.filter((r) => (r as { outcome: string }).outcome === "duplicate")).toHaveLength(19);
    expect(await orderState(db, c)).toMatchObject({ order_status: "CONFIRMED", stock: 3 });
    expect(await count(db, "notifications", "dedupe_key = $1", [`order-confirmed/${c.orderId}`])).toBe(1);
    expect(await count(db, "emails", "idempotency_key = $1", [`order-confirmed/${c.orderId}`])).toBe(1);
    // The confirmation goes out with the settlement, once; the outbox (ORDER_PLACED) is the minute task's.
    expect(await queuedKeys(q)).toEqual([`order-confirmed/${c.orderId}`]);
  });

  it("the same capture under twenty different event ids still confirms once", async () => {
    const c = await checkout(db, { stock: 5 });
    const payId = rzpId("pay");
    const outcomes = await Promise.all(
      Array.from(
        { length: 20 },
        async () =>
          (
            (await (await send(await signedRequest(captured(c, payId), { eventId: rzpId("evt") }))).json()) as {
              outcome: string;
            }
          ).outcome,
      ),
    );
    expect(outcomes.filter((o) => o === "confirmed")).toHaveLength(1);
    expect(outcomes.filter((o) => o === "unchanged")).toHaveLength(19);
    expect((await orderState(db, c)).stock).toBe(4);
  });
});

describe("razorpay webhook: events", () => {
  it("payment.failed records the failed attempt and nothing else: the customer may retry on the same order", async () => {
    const c = await checkout(db, { stock: 5 });
    const res = await send(await signedRequest(failed(c), { eventId: rzpId("evt") }));
    expect(await res.json()).toMatchObject({ outcome: "attempt_failed" });
    expect(await orderState(db, c)).toMatchObject({
      order_status: "PENDING",
      payment_status: "FAILED",
      locks: 1,
      stock: 5,
      failure_reason: "Payment was declined by the bank",
    });
    expect(await count(db, "notifications", "dedupe_key = $1", [`order-cancelled/${c.orderId}`])).toBe(0);
    expect(queue.sent).toHaveLength(0);
  });

  it("a failed attempt, then a second attempt captured on the same Razorpay order: confirmed, stock taken once", async () => {
    const c = await checkout(db, { stock: 5 });
    await send(await signedRequest(failed(c), { eventId: rzpId("evt") }));
    const res = await send(await signedRequest(captured(c), { eventId: rzpId("evt") }));
    expect(await res.json()).toMatchObject({ outcome: "confirmed" });
    expect(await orderState(db, c)).toMatchObject({
      order_status: "CONFIRMED",
      payment_status: "CAPTURED",
      stock: 4,
      locks: 0,
      failure_reason: null,
    });
    expect(await count(db, "notifications", "dedupe_key = $1", [`order-cancelled/${c.orderId}`])).toBe(0);
  });

  it("failed then captured (late authorisation) still confirms, decrementing once", async () => {
    const c = await checkout(db, { stock: 5 });
    const payId = rzpId("pay");
    await send(await signedRequest(failed(c, payId), { eventId: rzpId("evt") }));
    const res = await send(await signedRequest(captured(c, payId), { eventId: rzpId("evt") }));
    expect(await res.json()).toMatchObject({ outcome: "confirmed" });
    expect(await orderState(db, c)).toMatchObject({ order_status: "CONFIRMED", payment_status: "CAPTURED", stock: 4 });
  });

  it("captured then failed: a failure never undoes a capture", async () => {
    const c = await checkout(db, { stock: 5 });
    const payId = rzpId("pay");
    await send(await signedRequest(captured(c, payId), { eventId: rzpId("evt") }));
    const res = await send(await signedRequest(failed(c, payId), { eventId: rzpId("evt") }));
    expect(await res.json()).toMatchObject({ outcome: "unchanged" });
    expect(await orderState(db, c)).toMatchObject({ order_status: "CONFIRMED", payment_status: "CAPTURED", stock: 4 });
  });

  it("order.paid confirms like payment.captured", async () => {
    const c = await checkout(db, { stock: 5 });
    const payId = rzpId("pay");
    const body = eventBody("order.paid", {
      payment: {
        entity: paymentEntity({ id: payId, orderId: c.razorpayOrderId, amount: c.amount, status: "captured" }),
      },
      order: {
        entity: {
          id: c.razorpayOrderId,
          entity: "order",
          amount: c.amount,
          amount_paid: c.amount,
          currency: "INR",
          status: "paid",
          notes: [],
        },
      },
    });
    const res = await send(await signedRequest(body, { eventId: rzpId("evt") }));
    expect(await res.json()).toMatchObject({ outcome: "confirmed" });
    expect(await orderState(db, c)).toMatchObject({ order_status: "CONFIRMED", razorpay_payment_id: payId });
  });

  it("an amount mismatch does not confirm: the payment is flagged and the admins alerted", async () => {
    const c = await checkout(db, { stock: 5 });
    const res = await send(await signedRequest(captured(c, rzpId("pay"), c.amount - 100), { eventId: rzpId("evt") }));
    expect(await res.json()).toMatchObject({ outcome: "amount_mismatch" });
    expect(await orderState(db, c)).toMatchObject({
      order_status: "PENDING",
      payment_status: "PENDING",
      needs_review: true,
      stock: 5,
    });
    const [alert] = await db.query<{ kind: string; to_addresses: string[]; payload: { reason: string } }>(
      "select kind, to_addresses, payload from emails where payload->>'orderId' = $1 and kind = 'payment-review'",
      [c.orderId],
    );
    expect(alert?.to_addresses).toEqual(["ops@ora.test", "owner@ora.test"]);
    expect(alert?.payload.reason).toMatch(/amount mismatch/);
    expect((await queuedKeys(queue)).filter((k) => k.startsWith("payment-review/"))).toHaveLength(1);
    expect(await count(db, "emails", "idempotency_key = $1", [`order-confirmed/${c.orderId}`])).toBe(0);
  });

  it("a capture after the locks expired still confirms, and an oversell alerts the admins", async () => {
    const c = await checkout(db, { stock: 1, quantity: 2, lock: "expired" });
    await db.query("delete from inventory_locks where order_id = $1", [c.orderId]); // the cleanup task ran
    const res = await send(await signedRequest(captured(c), { eventId: rzpId("evt") }));
    expect(await res.json()).toMatchObject({ outcome: "confirmed" });
    expect(await orderState(db, c)).toMatchObject({ order_status: "CONFIRMED", stock: -1 });
    const [alert] = await db.query<{ payload: { products: { stock: number }[] } }>(
      "select payload from emails where idempotency_key = $1",
      [`oversell/${c.orderId}`],
    );
    expect(alert?.payload.products).toEqual([expect.objectContaining({ stock: -1 })]);
  });

  it("refund.processed: a partial refund is recorded, the full refund marks payment and order REFUNDED", async () => {
    const c = await checkout(db, { stock: 5 });
    const payId = rzpId("pay");
    await send(await signedRequest(captured(c, payId), { eventId: rzpId("evt") }));
    const refund = (amount: number, cumulative: number) =>
      eventBody("refund.processed", {
        refund: {
          entity: { id: rzpId("rfnd"), entity: "refund", payment_id: payId, amount, currency: "INR", notes: [] },
        },
        payment: {
          entity: paymentEntity({
            id: payId,
            orderId: c.razorpayOrderId,
            amount: c.amount,
            status: "captured",
            amountRefunded: cumulative,
          }),
        },
      });
    const partial = await send(await signedRequest(refund(1000_00, 1000_00), { eventId: rzpId("evt") }));
    expect(await partial.json()).toMatchObject({ outcome: "partial_refund" });
    expect(await orderState(db, c)).toMatchObject({
      payment_status: "CAPTURED",
      order_status: "CONFIRMED",
      refunded_amount: 1000_00,
    });
    const rest = c.amount - 1000_00;
    const full = await send(await signedRequest(refund(rest, c.amount), { eventId: rzpId("evt") }));
    expect(await full.json()).toMatchObject({ outcome: "refunded" });
    expect(await orderState(db, c)).toMatchObject({
      payment_status: "REFUNDED",
      order_status: "REFUNDED",
      refunded_amount: c.amount,
    });
  });

  it("a capture for an order nobody knows is recorded and answered 200", async () => {
    const body = eventBody("payment.captured", {
      payment: {
        entity: paymentEntity({ id: rzpId("pay"), orderId: rzpId("order"), amount: 100, status: "captured" }),
      },
    });
    const res = await send(await signedRequest(body, { eventId: rzpId("evt") }));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ outcome: "unknown_order" });
  });
});
