// Ordinary Razorpay histories delivered through the real webhook, on real Postgres, in every order
// (and with a redelivery): each ends in one state, whatever the order of delivery.
import { describe, expect, it } from "vitest";
import { eventBody, paymentEntity, rzpId, signedRequest } from "../../harness/razorpay";
import { callWorker, RecordingQueue, type TestDatabase, testEnv } from "../../harness/worker";
import { type Checkout, checkout } from "../helpers/checkout";
import { fileSetup } from "../helpers/file-setup";

let db: TestDatabase;
fileSetup({
  setDb: (d) => {
    db = d;
  },
});

type Event = (c: Checkout) => string;
/** Razorpay ids are unique across orders: each checkout gets its own. */
const own = (c: Checkout, id: string) => `${id}_${c.razorpayOrderId.slice(6)}`;
const pay = (c: Checkout, id: string, status: string, amountRefunded = 0) =>
  paymentEntity({
    id: own(c, id),
    orderId: c.razorpayOrderId,
    amount: c.amount,
    status,
    amountRefunded,
    errorDescription: status === "failed" ? "Declined" : undefined,
  });
const failed =
  (id: string): Event =>
  (c) =>
    eventBody("payment.failed", { payment: { entity: pay(c, id, "failed") } });
const captured =
  (id: string): Event =>
  (c) =>
    eventBody("payment.captured", { payment: { entity: pay(c, id, "captured") } });
const orderPaid =
  (id: string): Event =>
  (c) =>
    eventBody("order.paid", {
      payment: { entity: pay(c, id, "captured") },
      order: {
        entity: {
          id: c.razorpayOrderId,
          entity: "order",
          amount: c.amount,
          amount_paid: c.amount,
          currency: "INR",
          status: "paid",
        },
      },
    });
/** A refund of `part` of the amount; `soFar` is Razorpay's running total after it. */
const refunded =
  (id: string, refundId: string, part: number, soFar: number): Event =>
  (c) =>
    eventBody("refund.processed", {
      refund: {
        entity: {
          id: own(c, refundId),
          entity: "refund",
          payment_id: own(c, id),
          amount: Math.round(c.amount * part),
          currency: "INR",
        },
      },
      payment: { entity: pay(c, id, soFar >= 1 ? "refunded" : "captured", Math.round(c.amount * soFar)) },
    });

function permutations<T>(xs: T[]): T[][] {
  if (xs.length <= 1) return [xs];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
}

async function deliver(body: string, eventId: string): Promise<void> {
  const res = await callWorker(
    testEnv(db, { EMAIL_QUEUE: new RecordingQueue() }),
    await signedRequest(body, { eventId }),
  );
  expect(res.status).toBe(200);
}

async function endState(c: Checkout) {
  const [s] = await db.query<Record<string, unknown>>(
    `select o.status as order, p.status as payment, p.refunded_amount, p.failure_reason, pr.stock,
            (select count(*)::int from inventory_locks l where l.order_id = o.id) as locks,
            (select coalesce(array_agg(type order by type), '{}') from notifications n
              where n.metadata->>'orderId' = o.id and n.type <> 'ORDER_PLACED') as notices,
            (select coalesce(array_agg(kind order by kind), '{}') from emails e
              where e.payload->>'orderId' = o.id and e.idempotency_key not like 'order-placed/%') as emails
     from orders o join payments p on p.id = $2 join products pr on pr.id = $3 where o.id = $1`,
    [c.orderId, c.paymentRowId, c.productId],
  );
  return s;
}

const HISTORIES: { name: string; events: Event[]; expected: Record<string, unknown> }[] = [
  {
    name: "a failed attempt, then a retry captured (payment.captured + order.paid)",
    events: [failed("pay_a"), captured("pay_b"), orderPaid("pay_b")],
    expected: { order: "CONFIRMED", payment: "CAPTURED", stock: 4, locks: 0, notices: ["ORDER_CONFIRMED"] },
  },
  {
    name: "two failed attempts, nothing else yet",
    events: [failed("pay_a"), failed("pay_b")],
    expected: { order: "PENDING", payment: "FAILED", stock: 5, locks: 1, notices: [] },
  },
  {
    name: "captured, then two partial refunds adding up to the whole",
    events: [captured("pay_a"), refunded("pay_a", "rfnd_1", 0.5, 0.5), refunded("pay_a", "rfnd_2", 0.5, 1)],
    expected: { order: "REFUNDED", payment: "REFUNDED", stock: 5, locks: 0 },
  },
  {
    name: "captured, then a partial refund",
    events: [captured("pay_a"), refunded("pay_a", "rfnd_1", 0.25, 0.25)],
    expected: { order: "CONFIRMED", payment: "CAPTURED", stock: 4, locks: 0, notices: ["ORDER_CONFIRMED"] },
  },
];

describe("payment histories in every delivery order, through the webhook", () => {
  for (const h of HISTORIES) {
    it(h.name, async () => {
      const states: Record<string, unknown>[] = [];
      for (const order of permutations(h.events)) {
        const c = await checkout(db, { stock: 5 });
        const ids = order.map(() => rzpId("evt"));
        for (const [i, e] of order.entries()) await deliver(e(c), ids[i] as string);
        // A redelivery under the same id, and the first event again under a new id.
        await deliver((order[0] as Event)(c), ids[0] as string);
        await deliver((order[0] as Event)(c), rzpId("evt"));
        const s = await endState(c);
        expect(s).toMatchObject(h.expected);
        states.push({ ...s, refunded_amount: Number(s?.refunded_amount) / c.amount });
      }
      // Refund-first orders never send "Order Confirmed" (money already returned is no sale), so the
      // customer notices are compared apart from that one (docs/PAYMENTS.md, "the one difference").
      const comparable = states.map(({ notices, emails, ...rest }) => ({
        ...rest,
        cancelled: (notices as string[]).filter((n) => n === "ORDER_CANCELLED"),
        reviews: (emails as string[]).filter((k) => k === "payment-review"),
      }));
      for (const s of comparable) expect(s).toEqual(comparable[0]);
    });
  }

  it("a full refund that arrives before its capture: refunded, stock untouched, never confirmed", async () => {
    const c = await checkout(db, { stock: 5 });
    await deliver(refunded("pay_a", "rfnd_1", 1, 1)(c), rzpId("evt"));
    await deliver(captured("pay_a")(c), rzpId("evt"));
    expect(await endState(c)).toMatchObject({
      order: "REFUNDED",
      payment: "REFUNDED",
      stock: 5,
      locks: 0,
      notices: [],
    });
  });

  it("a full refund before shipping restocks once; after shipping it does not touch stock", async () => {
    const before = await checkout(db, { stock: 5 });
    await deliver(captured("pay_a")(before), rzpId("evt"));
    await deliver(refunded("pay_a", "rfnd_1", 1, 1)(before), rzpId("evt"));
    await deliver(refunded("pay_a", "rfnd_1", 1, 1)(before), rzpId("evt"));
    expect(await endState(before)).toMatchObject({ order: "REFUNDED", stock: 5 });

    const after = await checkout(db, { stock: 5 });
    await deliver(captured("pay_b")(after), rzpId("evt"));
    await db.query("update orders set status = 'SHIPPED' where id = $1", [after.orderId]);
    await deliver(refunded("pay_b", "rfnd_2", 1, 1)(after), rzpId("evt"));
    expect(await endState(after)).toMatchObject({ order: "REFUNDED", stock: 4 });
  });

  it("a capture of an order someone else cancelled is recorded and the admins alerted, not revived", async () => {
    const c = await checkout(db, { stock: 5 });
    await db.query("update orders set status = 'CANCELLED' where id = $1", [c.orderId]);
    await deliver(captured("pay_a")(c), rzpId("evt"));
    expect(await endState(c)).toMatchObject({ order: "CANCELLED", stock: 5, emails: ["payment-review"] });
  });
});
