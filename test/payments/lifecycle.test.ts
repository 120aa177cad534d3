// The payment lifecycle as a pure function: every order state × every kind of event (the table of
// docs/PAYMENTS.md), then random lifecycles delivered in random orders with redeliveries.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type Attempt,
  type Decision,
  decide,
  type Fact,
  ORDER_STATUSES,
  type OrderFacts,
  type OrderStatus,
} from "../../src/payments/lifecycle";

const TOTAL = 250_000;
const CREATED = new Date("2026-11-28T10:00:00Z");
const LATER = new Date("2026-11-28T11:30:00Z");
const SOON = new Date("2026-11-28T10:20:00Z");

const attempt = (id: string, status: Attempt["status"], extra: Partial<Attempt> = {}): Attempt => ({
  id,
  status,
  amount: TOTAL,
  currency: "INR",
  method: "upi",
  amountRefunded: status === "refunded" ? TOTAL : 0,
  failureReason: status === "failed" ? "declined" : null,
  ...extra,
});

const order = (status: OrderStatus, o: Partial<OrderFacts> = {}): OrderFacts => ({
  status,
  totalAmount: TOTAL,
  currency: "INR",
  createdAt: CREATED,
  stockTaken: !["PENDING", "CANCELLED"].includes(status),
  stockReturned: false,
  abandonedByUs: false,
  attempts: [],
  refunds: [],
  ...o,
});

/** The kinds of event Razorpay sends (and the reconciler's view), each as facts. */
const EVENTS: Record<string, Fact[]> = {
  "payment.failed": [{ kind: "attempt", attempt: attempt("pay_1", "failed") }],
  "payment.captured": [{ kind: "attempt", attempt: attempt("pay_1", "captured") }],
  "payment.captured (wrong amount)": [
    { kind: "attempt", attempt: attempt("pay_1", "captured", { amount: TOTAL - 100 }) },
  ],
  "refund.processed (partial)": [
    {
      kind: "refund",
      refund: { id: "rfnd_1", paymentId: "pay_1", amount: 1000 },
      attempt: attempt("pay_1", "captured", { amountRefunded: 1000 }),
    },
  ],
  "refund.processed (full)": [
    {
      kind: "refund",
      refund: { id: "rfnd_1", paymentId: "pay_1", amount: TOTAL },
      attempt: attempt("pay_1", "refunded"),
    },
  ],
};

type Row = Pick<Decision, "outcome" | "orderStatus" | "takeStock" | "returnStock" | "notices">;
const row = (d: Decision): Row => ({
  outcome: d.outcome,
  orderStatus: d.orderStatus,
  takeStock: d.takeStock,
  returnStock: d.returnStock,
  notices: d.notices,
});

const R = (outcome: Row["outcome"], orderStatus: OrderStatus | null, extra: Partial<Row> = {}): Row => ({
  outcome,
  orderStatus,
  takeStock: false,
  returnStock: false,
  notices: [],
  ...extra,
});

const confirmed = R("confirmed", "CONFIRMED", { takeStock: true, notices: ["ORDER_CONFIRMED"] });
const mismatch = R("amount_mismatch", null);

type Column = Record<keyof typeof EVENTS, Row>;
const beforeShipping: Column = {
  "payment.failed": R("attempt_failed", null),
  "payment.captured": R("unchanged", null),
  "payment.captured (wrong amount)": mismatch,
  "refund.processed (partial)": R("partial_refund", null),
  "refund.processed (full)": R("refunded", "REFUNDED", { returnStock: true }),
};
const afterShipping: Column = { ...beforeShipping, "refund.processed (full)": R("refunded", "REFUNDED") };

/** Every order state × every event: the expected next state and effects. */
const TABLE: Record<OrderStatus | "CANCELLED (by us)", Column> = {
  PENDING: {
    "payment.failed": R("attempt_failed", null),
    "payment.captured": confirmed,
    "payment.captured (wrong amount)": mismatch,
    "refund.processed (partial)": { ...confirmed },
    "refund.processed (full)": R("refunded", "REFUNDED"),
  },
  "CANCELLED (by us)": {
    "payment.failed": R("attempt_failed", null),
    "payment.captured": { ...confirmed, outcome: "revived" },
    "payment.captured (wrong amount)": mismatch,
    "refund.processed (partial)": { ...confirmed, outcome: "revived" },
    "refund.processed (full)": R("refunded", "REFUNDED"),
  },
  CANCELLED: {
    "payment.failed": R("attempt_failed", null),
    "payment.captured": R("captured_after_cancel", null),
    "payment.captured (wrong amount)": mismatch,
    "refund.processed (partial)": R("captured_after_cancel", null),
    "refund.processed (full)": R("unchanged", null),
  },
  CONFIRMED: beforeShipping,
  PROCESSING: beforeShipping,
  SHIPPED: afterShipping,
  DELIVERED: afterShipping,
  RETURN_REQUESTED: afterShipping,
  RETURN_APPROVED: afterShipping,
  REFUNDED: {
    "payment.failed": R("attempt_failed", null),
    "payment.captured": R("unchanged", null),
    "payment.captured (wrong amount)": mismatch,
    "refund.processed (partial)": R("partial_refund", null),
    "refund.processed (full)": R("unchanged", null),
  },
};

describe("the lifecycle table: every order state × every event", () => {
  it("covers every order status", () => {
    expect(
      Object.keys(TABLE)
        .filter((k) => k !== "CANCELLED (by us)")
        .sort(),
    ).toEqual([...ORDER_STATUSES].sort());
  });
  for (const [state, events] of Object.entries(TABLE)) {
    for (const [event, expected] of Object.entries(events)) {
      it(`${state} + ${event}`, () => {
        const byUs = state === "CANCELLED (by us)";
        const o = order(byUs ? "CANCELLED" : (state as OrderStatus), { abandonedByUs: byUs });
        expect(row(decide(o, EVENTS[event] as Fact[], { now: SOON, abandon: null }))).toEqual(expected);
      });
    }
  }

  it("only the reconciler abandons, only with nothing but failed attempts, only after the window", () => {
    const failedOnly = order("PENDING", { attempts: [attempt("pay_1", "failed")] });
    const ctx = { now: LATER, abandon: { afterMs: 60 * 60_000 } };
    expect(row(decide(failedOnly, [], ctx))).toEqual(R("abandoned", "CANCELLED", { notices: ["ORDER_CANCELLED"] }));
    expect(decide(failedOnly, [], { ...ctx, now: SOON }).orderStatus).toBeNull();
    expect(decide(failedOnly, [], { ...ctx, abandon: null }).orderStatus).toBeNull();
    const stillPaying = order("PENDING", { attempts: [attempt("pay_1", "failed"), attempt("pay_2", "authorized")] });
    expect(decide(stillPaying, [], ctx).orderStatus).toBeNull();
    expect(decide(order("PENDING"), [], ctx).orderStatus).toBeNull(); // nothing known yet
  });

  it("refunds add up per refund id; the same refund twice counts once", () => {
    const o = order("CONFIRMED", { attempts: [attempt("pay_1", "captured")] });
    const half = (id: string): Fact => ({
      kind: "refund",
      refund: { id, paymentId: "pay_1", amount: TOTAL / 2 },
      attempt: null,
    });
    const once = decide(o, [half("rfnd_a"), half("rfnd_a")], { now: SOON, abandon: null });
    expect(once.outcome).toBe("partial_refund");
    expect(once.payment.refundedAmount).toBe(TOTAL / 2);
    const both = decide(o, [half("rfnd_a"), half("rfnd_b")], { now: SOON, abandon: null });
    expect(both).toMatchObject({ outcome: "refunded", orderStatus: "REFUNDED", returnStock: true });
    expect(both.payment).toMatchObject({ status: "REFUNDED", refundedAmount: TOTAL });
  });

  it("stock goes back at most once, and only if it was taken", () => {
    const refund = EVENTS["refund.processed (full)"] as Fact[];
    expect(decide(order("CONFIRMED", { stockReturned: true }), refund, { now: SOON, abandon: null }).returnStock).toBe(
      false,
    );
    expect(decide(order("CONFIRMED", { stockTaken: false }), refund, { now: SOON, abandon: null }).returnStock).toBe(
      false,
    );
  });

  it("two live captures on one order are flagged for review", () => {
    const o = order("CONFIRMED", { attempts: [attempt("pay_1", "captured")] });
    const d = decide(o, [{ kind: "attempt", attempt: attempt("pay_2", "captured") }], { now: SOON, abandon: null });
    expect(d.review?.reason).toBe("captured_twice");
  });
});

// ── Convergence: random lifecycles, delivered in random orders, with redeliveries ──────────────

interface World {
  o: OrderFacts;
  stockMoves: number;
  taken: number;
  returned: number;
  notices: string[];
}

/** Applies a decision the way the database does, to a model of the order. */
function apply(w: World, d: Decision): World {
  const attempts = new Map(w.o.attempts.map((a) => [a.id, a]));
  for (const a of d.attempts) attempts.set(a.id, a);
  return {
    o: {
      ...w.o,
      status: d.orderStatus ?? w.o.status,
      stockTaken: w.o.stockTaken || d.takeStock,
      stockReturned: w.o.stockReturned || d.returnStock,
      abandonedByUs: d.markAbandoned
        ? true
        : d.orderStatus === "CONFIRMED" || d.orderStatus === "REFUNDED"
          ? false
          : w.o.abandonedByUs,
      attempts: [...attempts.values()],
      refunds: [...w.o.refunds, ...d.refunds],
    },
    stockMoves: w.stockMoves + (d.takeStock === d.returnStock ? 0 : d.takeStock ? -1 : 1),
    taken: w.taken + (d.takeStock ? 1 : 0),
    returned: w.returned + (d.returnStock ? 1 : 0),
    notices: [...w.notices, ...d.notices],
  };
}

/** A lifecycle: some failed attempts, maybe a capture, maybe refunds of it (partial ones summing). */
const lifecycle = fc
  .record({
    failures: fc.integer({ min: 0, max: 3 }),
    captured: fc.boolean(),
    refunds: fc.constantFrom<number[]>([], [TOTAL], [TOTAL / 2], [TOTAL / 2, TOTAL / 2], [1000, TOTAL - 1000]),
    shippedBeforeRefund: fc.boolean(),
  })
  .map(({ failures, captured, refunds, shippedBeforeRefund }) => {
    const facts: Fact[] = [];
    for (let i = 0; i < failures; i++) facts.push({ kind: "attempt", attempt: attempt(`pay_f${i}`, "failed") });
    if (captured) {
      facts.push({ kind: "attempt", attempt: attempt("pay_ok", "captured") });
      let sum = 0;
      refunds.forEach((amount, i) => {
        sum += amount;
        facts.push({
          kind: "refund",
          refund: { id: `rfnd_${i}`, paymentId: "pay_ok", amount },
          attempt: attempt("pay_ok", sum >= TOTAL ? "refunded" : "captured", { amountRefunded: sum }),
        });
      });
    }
    return { facts, captured, refunds, shippedBeforeRefund: shippedBeforeRefund && captured };
  });

describe("convergence", () => {
  it("any permutation with any redeliveries ends in the same state, and the invariants hold", () => {
    fc.assert(
      fc.property(
        lifecycle,
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 12 }),
        ({ facts, captured, refunds }, order1, order2) => {
          const run = (keys: number[]) => {
            // A permutation with redeliveries: the facts in some order, some of them twice or more.
            const deliveries = [
              ...facts.map((f, i) => ({ f, k: keys[i] ?? i })),
              ...keys.slice(facts.length).map((k) => ({ f: facts[k % Math.max(facts.length, 1)], k: k + 0.5 })),
            ]
              .filter((x): x is { f: Fact; k: number } => x.f !== undefined)
              .sort((a, b) => a.k - b.k);
            let w: World = { o: order("PENDING"), stockMoves: 0, taken: 0, returned: 0, notices: [] };
            for (const { f } of deliveries) {
              const d = decide(w.o, [f], { now: SOON, abandon: null });
              w = apply(w, d);
              // Never CONFIRMED without a captured, not fully refunded attempt.
              if (w.o.status === "CONFIRMED") {
                const ok = w.o.attempts.find((a) => a.id === "pay_ok");
                const back = w.o.refunds.reduce((s, r) => s + r.amount, 0);
                expect(ok && ok.status === "captured" && Math.max(back, ok.amountRefunded) < TOTAL).toBe(true);
              }
            }
            // The reconciler looks afterwards, past the abandonment window.
            w = apply(w, decide(w.o, [], { now: LATER, abandon: { afterMs: 60 * 60_000 } }));
            return w;
          };
          const a = run(order1);
          const b = run(order2);
          expect(a.o.status).toBe(b.o.status);
          expect(a.stockMoves).toBe(b.stockMoves);
          expect(decide(a.o, [], { now: SOON, abandon: null }).payment).toEqual(
            decide(b.o, [], { now: SOON, abandon: null }).payment,
          );
          for (const w of [a, b]) {
            expect(w.taken).toBeLessThanOrEqual(1);
            expect(w.returned).toBeLessThanOrEqual(1);
            expect(w.returned).toBeLessThanOrEqual(w.taken);
            expect(new Set(w.notices).size).toBe(w.notices.length);
            // ORDER_CANCELLED only for a real abandonment: nothing captured, only failed attempts.
            if (w.notices.includes("ORDER_CANCELLED")) expect(captured).toBe(false);
            const fullyRefunded = captured && refunds.reduce((s, r) => s + r, 0) >= TOTAL;
            const expected = !captured
              ? facts.length > 0
                ? "CANCELLED"
                : "PENDING"
              : fullyRefunded
                ? "REFUNDED"
                : "CONFIRMED";
            expect(w.o.status).toBe(expected);
            expect(w.stockMoves).toBe(captured && !fullyRefunded ? -1 : 0);
          }
        },
      ),
      { numRuns: 2_000, seed: 42 },
    );
  });
});
