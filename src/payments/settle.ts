import type { AppDeps } from "../lib/deps";
import { type OrderNoticeType, orderNotice } from "../notices/order-notices";
import { type EmailDraft, enqueueEmails } from "../notices/outbox";
import { type Decision, decide, type Fact, type Outcome } from "./lifecycle";
import {
  type Application,
  applySettlement,
  type LoadedOrder,
  loadSettlement,
  recordEvent,
  type SettlementLookup,
} from "./settlement-store";

export type SettleOutcome = Outcome | "duplicate" | "ignored" | "unknown_order";

export interface SettleResult {
  outcome: SettleOutcome;
  orderId: string | null;
  orderNumber: string | null;
  review: string | null;
  emailIds: string[];
}

export interface SettleInput {
  facts: Fact[];
  lookup: SettlementLookup;
  /** The reconciler's permission to abandon (only failed attempts this long after checkout). */
  abandon: { afterMs: number } | null;
}

/** A settlement that lost the race this many times in a row is a bug, not contention. */
const MAX_TRIES = 20;

/** Nothing new and nothing to do: the facts are stored, so whoever stored them applied them. */
const isNoop = (d: Decision) =>
  d.attempts.length === 0 &&
  d.refunds.length === 0 &&
  d.orderStatus === null &&
  !d.takeStock &&
  !d.returnStock &&
  !d.releaseLocks &&
  !d.markAbandoned &&
  d.notices.length === 0;

/** The payments row that speaks for the order: the attempt's own row, else the newest one. */
function paymentRow(order: LoadedOrder, attemptId: string | null, razorpayOrderId: string | null): string | null {
  const rows = order.payments;
  const own = attemptId
    ? rows.find((r) => r.razorpayPaymentId === attemptId || r.transactionId === attemptId)
    : undefined;
  const checkout = razorpayOrderId ? rows.find((r) => r.transactionId === razorpayOrderId) : undefined;
  return (own ?? checkout ?? rows[0])?.id ?? null;
}

/** Decision → the rows it writes: notices in the customer's words, alerts for the admins, stock moves. */
function application(
  order: LoadedOrder,
  d: Decision,
  admins: string[],
  input: SettleInput,
  event: { id: string; type: string } | null,
  now: Date,
): Application {
  const o = order.snapshot;
  const notices = d.notices.map((type: OrderNoticeType) => orderNotice(type, o, now));
  const emails: EmailDraft[] = notices.map((n) => n.email);
  if (d.review) {
    emails.push({
      key: `payment-review/${o.id}/${d.review.attemptId}`,
      kind: "payment-review",
      to: admins,
      payload: {
        orderId: o.id,
        orderNumber: o.orderNumber,
        paymentId: d.review.attemptId,
        reason: `order ${o.orderNumber}: ${d.review.message}`,
        at: now.toISOString(),
      },
    });
  }
  const sign = d.takeStock === d.returnStock ? 0 : d.takeStock ? -1 : 1;
  return {
    orderId: o.id,
    expectedStatus: o.status,
    expectedVersion: order.version,
    decision: d,
    event,
    paymentRowId: paymentRow(order, d.payment.attemptId, input.lookup.razorpayOrderId),
    razorpayOrderId: input.lookup.razorpayOrderId,
    stock: sign === 0 ? [] : order.units.map((u) => ({ productId: u.productId, delta: sign * u.quantity })),
    notifications: notices.map((n) => n.notification),
    emails,
    oversell: d.takeStock
      ? {
          key: `oversell/${o.id}`,
          to: admins,
          payload: { orderId: o.id, orderNumber: o.orderNumber, at: now.toISOString() },
        }
      : null,
    now,
  };
}

/**
 * Settles one order from what Razorpay told us: read the order and its facts, decide (lifecycle.ts),
 * apply every effect in one guarded statement, and read again if someone settled it in between.
 * Webhook, reconciler and the admin console all come through here. Emails recorded are queued after
 * the commit; should that send be lost, deliver-order-events re-queues them.
 */
export async function settle(
  deps: AppDeps,
  input: SettleInput,
  now: Date,
  event: { id: string; type: string } | null = null,
  /** Read and decide, write nothing: the outcome a real run would have now. */
  dryRun = false,
): Promise<SettleResult> {
  for (let attempt = 1; attempt <= MAX_TRIES; attempt++) {
    const loaded = await loadSettlement(deps.db, input.lookup, event?.id ?? null);
    const none = { orderId: null, orderNumber: null, review: null, emailIds: [] };
    if (loaded.seen) return { outcome: "duplicate", ...none };
    const order = loaded.order;
    if (!order) {
      if (!event || dryRun) return { outcome: "unknown_order", ...none };
      const attempts = input.facts.flatMap((f) => (f.attempt ? [f.attempt] : []));
      const refunds = input.facts.flatMap((f) => (f.kind === "refund" ? [f.refund] : []));
      const fresh = await recordEvent(
        deps.db,
        event,
        "unknown_order",
        { attempts, refunds, razorpayOrderId: input.lookup.razorpayOrderId },
        now,
      );
      return { outcome: fresh ? "unknown_order" : "duplicate", ...none };
    }
    const d = decide(
      {
        status: order.snapshot.status,
        totalAmount: order.snapshot.totalAmount,
        currency: order.snapshot.currency,
        createdAt: new Date(order.snapshot.createdAt),
        stockTaken: order.stockTaken,
        stockReturned: order.stockReturned,
        abandonedByUs: order.abandonedByUs,
        attempts: order.attempts,
        refunds: order.refunds,
      },
      input.facts,
      { now, abandon: input.abandon },
    );
    if (dryRun) {
      return {
        outcome: d.outcome,
        orderId: order.snapshot.id,
        orderNumber: order.snapshot.orderNumber,
        review: d.review?.message ?? null,
        emailIds: [],
      };
    }
    const done = {
      orderId: order.snapshot.id,
      orderNumber: order.snapshot.orderNumber,
      review: d.review?.message ?? null,
    };
    if (isNoop(d)) {
      // No guard needed (and no contention with the settlement that did the work): record the event.
      const fresh = event
        ? await recordEvent(
            deps.db,
            event,
            d.outcome,
            { attempts: [], refunds: [], razorpayOrderId: null },
            now,
            done.orderId,
          )
        : true;
      return { outcome: fresh ? d.outcome : "duplicate", ...done, emailIds: [] };
    }
    const admins = deps.config.ADMIN_EMAIL.length > 0 ? deps.config.ADMIN_EMAIL : loaded.admins;
    const applied = await applySettlement(deps.db, application(order, d, admins, input, event, now));
    if (applied.kind === "conflict") continue;
    if (applied.kind === "duplicate") return { outcome: "duplicate", ...none };
    await enqueueEmails(deps, applied.emailIds);
    return {
      outcome: d.outcome,
      orderId: order.snapshot.id,
      orderNumber: order.snapshot.orderNumber,
      review: d.review?.message ?? null,
      emailIds: applied.emailIds,
    };
  }
  throw new Error(
    `settlement of ${input.lookup.razorpayOrderId ?? input.lookup.paymentId} lost ${MAX_TRIES} races in a row`,
  );
}
