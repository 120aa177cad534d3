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
import { reconcileStalePayments } from "../../src/tasks/reconcile-stale-payments";
import { checkout, orderState } from "../helpers/checkout";
import { count } from "../helpers/factories";
import { fileSetup } from "../helpers/file-setup";

const KEY = `rzp_test_reconcile_${Date.now().toString(36)}`;
const stub = razorpayStub(KEY);
let db: TestDatabase;
let deps: TestDeps;
const NOW = new Date("2026-11-28T10:00:00Z");
const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000);

fileSetup({
  setDb: (d) => {
    db = d;
  },
  reset: async () => {
    await stub.reset();
    // Leftovers of earlier tests are settled, so each test sees only its own stale orders.
    await db.query("update payments set status = 'CAPTURED' where status in ('PENDING', 'FAILED')");
    await db.query("update orders set status = 'CONFIRMED' where status = 'PENDING'");
  },
  deps: () => {
    deps = testDeps(db, { now: NOW, env: { RAZORPAY_KEY_ID: KEY } });
    return deps;
  },
});

describe("reconcile-stale-payments", () => {
  it("settles a mix of stale payments by what Razorpay says, and leaves the rest", async () => {
    const byPay = await checkout(db, { createdAt: minutesAgo(30), stock: 5 });
    const payA = rzpId("pay");
    await db.query("update payments set razorpay_payment_id = $1 where id = $2", [payA, byPay.paymentRowId]);
    const byOrder = await checkout(db, { createdAt: minutesAgo(30), stock: 5 });
    const authorized = await checkout(db, { createdAt: minutesAgo(30) });
    const nothingYet = await checkout(db, { createdAt: minutesAgo(30) });
    const abandoned = await checkout(db, { createdAt: minutesAgo(90), stock: 5 });
    const failedButYoung = await checkout(db, { createdAt: minutesAgo(30) });
    const fresh = await checkout(db, { createdAt: minutesAgo(5) });
    await stub.seed(
      [
        paymentEntity({ id: payA, orderId: byPay.razorpayOrderId, amount: byPay.amount, status: "captured" }),
        paymentEntity({ id: rzpId("pay"), orderId: byOrder.razorpayOrderId, amount: byOrder.amount, status: "failed" }),
        paymentEntity({
          id: rzpId("pay"),
          orderId: byOrder.razorpayOrderId,
          amount: byOrder.amount,
          status: "captured",
        }),
        paymentEntity({
          id: rzpId("pay"),
          orderId: authorized.razorpayOrderId,
          amount: authorized.amount,
          status: "authorized",
        }),
        paymentEntity({
          id: rzpId("pay"),
          orderId: abandoned.razorpayOrderId,
          amount: abandoned.amount,
          status: "failed",
          errorDescription: "Card declined",
        }),
        paymentEntity({
          id: rzpId("pay"),
          orderId: failedButYoung.razorpayOrderId,
          amount: failedButYoung.amount,
          status: "failed",
        }),
      ],
      [nothingYet.razorpayOrderId, fresh.razorpayOrderId],
    );
    const result = await reconcileStalePayments.run(taskDeps(deps), NOW);
    expect(result).toMatchObject({
      stale: 6,
      checked: 6,
      confirmed: 2,
      authorized: 1,
      noAttempt: 1,
      failed: 1,
      failedWithinWindow: 1,
      apiCalls: 6,
    });
    expect(await orderState(db, byPay)).toMatchObject({
      order_status: "CONFIRMED",
      payment_status: "CAPTURED",
      stock: 4,
    });
    expect(await orderState(db, byOrder)).toMatchObject({
      order_status: "CONFIRMED",
      payment_status: "CAPTURED",
      stock: 4,
    });
    expect(await orderState(db, authorized)).toMatchObject({ order_status: "PENDING", payment_status: "PENDING" });
    expect(await orderState(db, nothingYet)).toMatchObject({ order_status: "PENDING", payment_status: "PENDING" });
    expect(await orderState(db, abandoned)).toMatchObject({
      order_status: "CANCELLED",
      payment_status: "FAILED",
      locks: 0,
      failure_reason: "Card declined",
    });
    // A failed attempt is recorded, but the customer may still retry: the order stays open.
    expect(await orderState(db, failedButYoung)).toMatchObject({
      order_status: "PENDING",
      payment_status: "FAILED",
      locks: 1,
    });
    expect(await orderState(db, fresh)).toMatchObject({ payment_status: "PENDING" });
    const stats = await stub.stats();
    // Checkouts name their Razorpay order: one call lists every attempt on it.
    expect(stats.byPath).toEqual({ "GET /v1/orders/order_:id/payments": 6 });
  });

  it("asks about the Razorpay order, not the attempt it last heard of: a retry after an authorized attempt confirms", async () => {
    const c = await checkout(db, { createdAt: minutesAgo(30), stock: 5 });
    const first = rzpId("pay");
    const retry = rzpId("pay");
    await db.query("update payments set razorpay_payment_id = $1 where id = $2", [first, c.paymentRowId]);
    await stub.seed([
      paymentEntity({ id: first, orderId: c.razorpayOrderId, amount: c.amount, status: "authorized" }),
      paymentEntity({ id: retry, orderId: c.razorpayOrderId, amount: c.amount, status: "captured" }),
    ]);
    await reconcileStalePayments.run(taskDeps(deps), NOW);
    expect(await orderState(db, c)).toMatchObject({ order_status: "CONFIRMED", payment_status: "CAPTURED", stock: 4 });
  });

  it("a payment whose only Razorpay id is a pay_ id is asked about by that id", async () => {
    const pay = rzpId("pay");
    const c = await checkout(db, { createdAt: minutesAgo(30), transactionId: pay });
    await stub.seed([paymentEntity({ id: pay, orderId: c.razorpayOrderId, amount: c.amount, status: "captured" })]);
    await reconcileStalePayments.run(taskDeps(deps), NOW);
    expect(await orderState(db, c)).toMatchObject({ order_status: "CONFIRMED" });
    expect((await stub.stats()).byPath).toEqual({ "GET /v1/payments/pay_:id": 1 });
  });

  it("a run where Razorpay answers nothing fails (so the watchdog sees the outage) and changes nothing", async () => {
    const c = await checkout(db, { createdAt: minutesAgo(30) });
    await stub.faults([{ kind: "500" }]);
    await expect(reconcileStalePayments.run(taskDeps(deps), NOW)).rejects.toThrow(
      /Razorpay unreachable: all 1 checks failed \(429: 0, 5xx: 1/,
    );
    expect(await orderState(db, c)).toMatchObject({ order_status: "PENDING", payment_status: "PENDING" });
  });

  it("429, 500, timeouts and garbage change nothing and are counted", async () => {
    const cs = await Promise.all([1, 2, 3, 4, 5].map(() => checkout(db, { createdAt: minutesAgo(30) })));
    await stub.seed(
      cs.map((c) =>
        paymentEntity({ id: rzpId("pay"), orderId: c.razorpayOrderId, amount: c.amount, status: "captured" }),
      ),
    );
    await stub.faults([
      { kind: "429", times: 1 },
      { kind: "500", times: 1 },
      { kind: "timeout", times: 1 },
      { kind: "garbage", times: 1 },
    ]);
    // The "timeout" fault never answers; healthy calls get ample time even on a loaded machine.
    const result = await reconcileStalePayments.run(
      taskDeps(deps, { settings: { callTimeoutMs: 1_500, concurrency: 1 } }),
      NOW,
    );
    expect(result).toMatchObject({
      checked: 5,
      confirmed: 1,
      rateLimited: 1,
      serverErrors: 1,
      timeouts: 1,
      badResponses: 1,
    });
    const states = await Promise.all(cs.map((c) => orderState(db, c)));
    expect(states.filter((s) => s.order_status === "PENDING")).toHaveLength(4);
    // The provider recovers: the next run settles the rest.
    const next = await reconcileStalePayments.run(taskDeps(deps), NOW);
    expect(next).toMatchObject({ confirmed: 4 });
  });

  it("flags a payment whose id Razorpay does not know (400 BAD_REQUEST_ERROR) and alerts the admins", async () => {
    const c = await checkout(db, { createdAt: minutesAgo(30), transactionId: rzpId("pay") });
    const result = await reconcileStalePayments.run(taskDeps(deps), NOW);
    expect(result).toMatchObject({ checked: 1, flagged: 1 });
    expect(await orderState(db, c)).toMatchObject({ payment_status: "PENDING", needs_review: true });
    expect(
      await count(db, "emails", "kind = 'payment-review' and idempotency_key = $1", [
        `payment-review/${c.paymentRowId}/unknown-id`,
      ]),
    ).toBe(1);
    // A flagged payment is not asked about again.
    expect((await reconcileStalePayments.run(taskDeps(deps), NOW)).stale).toBe(0);
  });

  it("keeps at most 6 calls in flight and at most maxPerRun payments per run, oldest first", async () => {
    const cs = [];
    for (let i = 0; i < 14; i++) cs.push(await checkout(db, { createdAt: minutesAgo(60 - i) }));
    await stub.seed(
      [],
      cs.map((c) => c.razorpayOrderId),
    );
    // The stub lets calls go only once 6 are waiting at once: reaching 6 proves the concurrency
    // without relying on timing; a 7th would show as 7 in flight.
    await stub.gate(6);
    const result = await reconcileStalePayments.run(taskDeps(deps, { settings: { maxPerRun: 12 } }), NOW);
    expect(result).toMatchObject({ stale: 12, checked: 12, noAttempt: 12 });
    const stats = await stub.stats();
    expect(stats.maxInFlight).toBe(6);
    expect(stats.requests).toBe(12);
  });

  it("webhook and reconciler confirming the same payment at the same moment: one confirmation, one decrement", async () => {
    const c = await checkout(db, { createdAt: minutesAgo(30), stock: 7 });
    const payId = rzpId("pay");
    await stub.seed([paymentEntity({ id: payId, orderId: c.razorpayOrderId, amount: c.amount, status: "captured" })]);
    const q = new RecordingQueue();
    const body = eventBody("payment.captured", {
      payment: {
        entity: paymentEntity({ id: payId, orderId: c.razorpayOrderId, amount: c.amount, status: "captured" }),
      },
    });
    const [res] = await Promise.all([
      signedRequest(body, { eventId: rzpId("evt") }).then((r) => callWorker(testEnv(db, { EMAIL_QUEUE: q }), r)),
      reconcileStalePayments.run(taskDeps(deps), NOW),
    ]);
    expect(res.status).toBe(200);
    expect(await orderState(db, c)).toMatchObject({ order_status: "CONFIRMED", payment_status: "CAPTURED", stock: 6 });
    expect(await count(db, "emails", "idempotency_key = $1", [`order-confirmed/${c.orderId}`])).toBe(1);
    expect(await count(db, "notifications", "dedupe_key = $1", [`order-confirmed/${c.orderId}`])).toBe(1);
  });

  it("the admin API settles one payment now, through the same code, whatever its age", async () => {
    const c = await checkout(db, { createdAt: minutesAgo(2), stock: 5 });
    const payId = rzpId("pay");
    await stub.seed([paymentEntity({ id: payId, orderId: c.razorpayOrderId, amount: c.amount, status: "captured" })]);
    const call = (id: string) =>
      callWorker(
        testEnv(db, { EMAIL_QUEUE: new RecordingQueue(), RAZORPAY_KEY_ID: KEY }),
        `/api/admin/payments/${id}/reconcile`,
        { method: "POST", headers: { authorization: ADMIN_AUTH } },
      );
    const res = await call(c.paymentRowId);
    expect(await res.json()).toMatchObject({ outcome: "confirmed", status: "CAPTURED", orderStatus: "CONFIRMED" });
    expect((await orderState(db, c)).stock).toBe(4);
    // Asking again is harmless: the same facts settle to the same state.
    const again = await call(c.paymentRowId);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ outcome: "already_settled", status: "CAPTURED" });
    expect((await orderState(db, c)).stock).toBe(4);
    expect((await call("no-such-payment")).status).toBe(404);
  });

  it("dry run asks Razorpay but changes nothing", async () => {
    const c = await checkout(db, { createdAt: minutesAgo(30) });
    await stub.seed([
      paymentEntity({ id: rzpId("pay"), orderId: c.razorpayOrderId, amount: c.amount, status: "captured" }),
    ]);
    const result = await reconcileStalePayments.run(taskDeps(deps, { dryRun: true }), NOW);
    expect((await stub.stats()).requests).toBe(1);
    expect(result).toMatchObject({ checked: 1, confirmed: 1, apiCalls: 1 });
    expect(await orderState(db, c)).toMatchObject({ order_status: "PENDING", payment_status: "PENDING", stock: 10 });
    expect(await count(db, "payment_attempts", "order_id = $1", [c.orderId])).toBe(0);
  });

  it("a payment Razorpay reports refunded never confirms and never takes stock", async () => {
    const c = await checkout(db, { createdAt: minutesAgo(30), stock: 5 });
    await stub.seed([
      paymentEntity({
        id: rzpId("pay"),
        orderId: c.razorpayOrderId,
        amount: c.amount,
        status: "refunded",
        amountRefunded: c.amount,
      }),
    ]);
    const result = await reconcileStalePayments.run(taskDeps(deps), NOW);
    expect(result).toMatchObject({ checked: 1, confirmed: 0, refunded: 1 });
    expect(await orderState(db, c)).toMatchObject({
      order_status: "REFUNDED",
      payment_status: "REFUNDED",
      stock: 5,
      locks: 0,
    });
    expect(await count(db, "notifications", "dedupe_key = $1", [`order-confirmed/${c.orderId}`])).toBe(0);
    expect(await count(db, "emails", "idempotency_key = $1", [`order-confirmed/${c.orderId}`])).toBe(0);
  });

  it("abandoned by the reconciler, then a late capture: the order is revived and stock taken once", async () => {
    const c = await checkout(db, { createdAt: minutesAgo(90), stock: 5 });
    const failedId = rzpId("pay");
    await stub.seed([paymentEntity({ id: failedId, orderId: c.razorpayOrderId, amount: c.amount, status: "failed" })]);
    expect(await reconcileStalePayments.run(taskDeps(deps), NOW)).toMatchObject({ failed: 1 });
    expect(await orderState(db, c)).toMatchObject({ order_status: "CANCELLED", locks: 0, stock: 5 });
    expect(await count(db, "notifications", "dedupe_key = $1", [`order-cancelled/${c.orderId}`])).toBe(1);
    const late = eventBody("payment.captured", {
      payment: {
        entity: paymentEntity({ id: failedId, orderId: c.razorpayOrderId, amount: c.amount, status: "captured" }),
      },
    });
    const res = await callWorker(
      testEnv(db, { EMAIL_QUEUE: new RecordingQueue() }),
      await signedRequest(late, { eventId: rzpId("evt") }),
    );
    expect(await res.json()).toMatchObject({ outcome: "revived" });
    expect(await orderState(db, c)).toMatchObject({ order_status: "CONFIRMED", payment_status: "CAPTURED", stock: 4 });
  });
});
