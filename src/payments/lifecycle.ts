// The payment lifecycle (docs/CONTRACT.md §6, docs/PAYMENTS.md) as one pure function: what Razorpay
// has told us (facts about attempts and refunds) plus the order's state give the order's next state
// and the effects that get it there. The outcome depends on the set of facts, never on the order in
// which they arrived, so any permutation or redelivery converges.

export { ORDER_STATUSES, type OrderStatus, type PaymentStatus } from "../db/statuses";

import type { OrderStatus, PaymentStatus } from "../db/statuses";

/** How far one attempt got; a later fact never moves it back (a failure never undoes a capture). */
export const ATTEMPT_STATUSES = ["created", "failed", "authorized", "captured", "refunded"] as const;
export type AttemptStatus = (typeof ATTEMPT_STATUSES)[number];
const rank = (s: AttemptStatus) => ATTEMPT_STATUSES.indexOf(s);
const isCaptured = (s: AttemptStatus) => rank(s) >= rank("captured");

export interface Attempt {
  id: string;
  status: AttemptStatus;
  amount: number;
  currency: string;
  method: string | null;
  /** Razorpay's cumulative amount_refunded as last reported. */
  amountRefunded: number;
  failureReason: string | null;
}

export interface Refund {
  id: string;
  paymentId: string;
  amount: number;
}

/** One thing Razorpay told us: an attempt as it stands, or a refund (with its attempt when sent). */
export type Fact = { kind: "attempt"; attempt: Attempt } | { kind: "refund"; refund: Refund; attempt: Attempt | null };

export interface OrderFacts {
  status: OrderStatus;
  totalAmount: number;
  currency: string;
  createdAt: Date;
  /** Marks this worker left: stock taken and given back at most once; abandoned by us, not by a person. */
  stockTaken: boolean;
  stockReturned: boolean;
  abandonedByUs: boolean;
  attempts: Attempt[];
  refunds: Refund[];
}

export interface DecideContext {
  now: Date;
  /** Only the reconciler abandons, and only once only failed attempts exist this long after checkout. */
  abandon: { afterMs: number } | null;
}

export type ReviewReason = "amount_mismatch" | "captured_twice" | "captured_after_cancel";

export type Outcome =
  | "confirmed"
  | "revived"
  | "refunded"
  | "partial_refund"
  | "attempt_failed"
  | "abandoned"
  | ReviewReason
  | "unchanged";

export type Notice = "ORDER_CONFIRMED" | "ORDER_CANCELLED";

export interface PaymentProjection {
  status: PaymentStatus;
  /** The attempt the payment row speaks for (null while Razorpay has told us of none). */
  attemptId: string | null;
  amount: number | null;
  method: string | null;
  refundedAmount: number;
  failureReason: string | null;
}

export interface Decision {
  outcome: Outcome;
  /** Facts after merging what arrived: attempts changed or new, refunds new. */
  attempts: Attempt[];
  refunds: Refund[];
  /** The order's new status, when it changes. */
  orderStatus: OrderStatus | null;
  takeStock: boolean;
  returnStock: boolean;
  releaseLocks: boolean;
  markAbandoned: boolean;
  notices: Notice[];
  review: { reason: ReviewReason; attemptId: string; message: string } | null;
  payment: PaymentProjection;
}

const SHIPPED_OR_LATER: readonly OrderStatus[] = [
  "SHIPPED",
  "DELIVERED",
  "RETURN_REQUESTED",
  "RETURN_APPROVED",
] as const;

/** Which of two reports of one attempt leads: the furthest status, then a fixed tie-break, so
 * the merge is commutative (the same facts in any order give the same attempt). */
function leads(x: Attempt, y: Attempt): boolean {
  if (rank(x.status) !== rank(y.status)) return rank(x.status) > rank(y.status);
  const kx = `${x.failureReason ?? ""}\u0000${x.method ?? ""}`;
  const ky = `${y.failureReason ?? ""}\u0000${y.method ?? ""}`;
  return kx >= ky;
}

function mergeAttempt(old: Attempt | undefined, next: Attempt): Attempt {
  if (!old) return next;
  const [ahead, behind] = leads(next, old) ? [next, old] : [old, next];
  return {
    ...ahead,
    method: ahead.method ?? behind.method,
    amountRefunded: Math.max(old.amountRefunded, next.amountRefunded),
    failureReason: ahead.failureReason ?? behind.failureReason,
  };
}

const sameAttempt = (a: Attempt, b: Attempt | undefined) =>
  b !== undefined &&
  a.status === b.status &&
  a.amount === b.amount &&
  a.currency === b.currency &&
  a.method === b.method &&
  a.amountRefunded === b.amountRefunded &&
  a.failureReason === b.failureReason;

/** Folds new facts into the known ones; returns everything known and what is new or changed. */
export function mergeFacts(known: { attempts: Attempt[]; refunds: Refund[] }, incoming: Fact[]) {
  const attempts = new Map(known.attempts.map((a) => [a.id, a]));
  const refunds = new Map(known.refunds.map((r) => [r.id, r]));
  for (const f of incoming) {
    const a = f.kind === "attempt" ? f.attempt : f.attempt;
    if (a) attempts.set(a.id, mergeAttempt(attempts.get(a.id), a));
    if (f.kind === "refund" && !refunds.has(f.refund.id)) refunds.set(f.refund.id, f.refund);
  }
  const before = new Map(known.attempts.map((a) => [a.id, a]));
  const knownRefunds = new Set(known.refunds.map((r) => r.id));
  return {
    all: { attempts: [...attempts.values()], refunds: [...refunds.values()] },
    changedAttempts: [...attempts.values()].filter((a) => !sameAttempt(a, before.get(a.id))),
    newRefunds: [...refunds.values()].filter((r) => !knownRefunds.has(r.id)),
  };
}

/** What has gone back on one attempt: the larger of Razorpay's running total and our refund facts. */
function refundedOf(a: Attempt, refunds: Refund[]): number {
  const sum = refunds.filter((r) => r.paymentId === a.id).reduce((s, r) => s + r.amount, 0);
  return Math.max(a.amountRefunded, sum);
}

/** The order's next state and the effects that get it there. Pure: same inputs, same answer. */
export function decide(order: OrderFacts, incoming: Fact[], ctx: DecideContext): Decision {
  const merged = mergeFacts(order, incoming);
  const { refunds } = merged.all;
  // Sorted by id: whatever the order facts arrived in, the same attempt speaks for the order.
  const attempts = [...merged.all.attempts].sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  const captures = attempts.filter((a) => isCaptured(a.status));
  const matching = captures.filter(
    (a) => a.amount === order.totalAmount && a.currency.toUpperCase() === order.currency.toUpperCase(),
  );
  const mismatched = captures.filter((a) => !matching.includes(a));
  const live = matching.filter((a) => refundedOf(a, refunds) < a.amount);
  const failed = attempts.filter((a) => a.status === "failed");

  let status = order.status;
  let outcome: Outcome = "unchanged";
  let takeStock = false;
  let returnStock = false;
  let releaseLocks = false;
  let markAbandoned = false;
  const notices: Notice[] = [];
  let review: Decision["review"] = null;
  const ours = order.status === "PENDING" || (order.status === "CANCELLED" && order.abandonedByUs);

  if (matching.length > 0) {
    const first = matching[0] as Attempt;
    if (live.length === 0) {
      // Every matching capture is fully refunded. Before shipping the goods go back on the shelf; a
      // refund we learn of before (or with) its capture never confirms and never takes stock.
      if (ours) {
        status = "REFUNDED";
        releaseLocks = true;
        outcome = "refunded";
      } else if (status === "CONFIRMED" || status === "PROCESSING" || SHIPPED_OR_LATER.includes(status)) {
        returnStock = (status === "CONFIRMED" || status === "PROCESSING") && order.stockTaken && !order.stockReturned;
        status = "REFUNDED";
        outcome = "refunded";
      }
    } else if (ours) {
      status = "CONFIRMED";
      takeStock = !order.stockTaken;
      releaseLocks = true;
      notices.push("ORDER_CONFIRMED");
      outcome = order.status === "CANCELLED" ? "revived" : "confirmed";
    } else if (order.status === "CANCELLED") {
      review = {
        reason: "captured_after_cancel",
        attemptId: first.id,
        message: `payment ${first.id} was captured for an order that was cancelled: refund it or restore the order`,
      };
    }
    if (live.length >= 2 && !review) {
      const [a, b] = live as [Attempt, Attempt];
      review = { reason: "captured_twice", attemptId: b.id, message: `captured twice: ${a.id} and ${b.id}` };
    }
  } else if (mismatched.length > 0) {
    const m = mismatched[0] as Attempt;
    review = {
      reason: "amount_mismatch",
      attemptId: m.id,
      message: `amount mismatch: Razorpay ${m.currency.toUpperCase()} ${m.amount} paise, order ${order.currency} ${order.totalAmount} paise`,
    };
  } else if (
    ctx.abandon &&
    order.status === "PENDING" &&
    failed.length > 0 &&
    failed.length === attempts.length &&
    ctx.now.getTime() - order.createdAt.getTime() >= ctx.abandon.afterMs
  ) {
    status = "CANCELLED";
    releaseLocks = true;
    markAbandoned = true;
    notices.push("ORDER_CANCELLED");
    outcome = "abandoned";
  }

  if (review) outcome = review.reason;
  else if (outcome === "unchanged") {
    const newRefund = merged.newRefunds.length > 0 || merged.changedAttempts.some((a) => a.amountRefunded > 0);
    if (newRefund && live.length > 0) outcome = "partial_refund";
    else if (merged.changedAttempts.some((a) => a.status === "failed")) outcome = "attempt_failed";
  }

  return {
    outcome,
    attempts: merged.changedAttempts,
    refunds: merged.newRefunds,
    orderStatus: status === order.status ? null : status,
    takeStock,
    returnStock,
    releaseLocks,
    markAbandoned,
    notices,
    review,
    payment: project(attempts, refunds, { matching, live, captures, failed }),
  };
}

/** The storefront's one payments row, as the facts have it. */
function project(
  attempts: Attempt[],
  refunds: Refund[],
  s: { matching: Attempt[]; live: Attempt[]; captures: Attempt[]; failed: Attempt[] },
): PaymentProjection {
  const chosen = s.live[0] ?? s.matching[0] ?? s.captures[0] ?? s.failed.at(-1) ?? attempts.at(-1) ?? null;
  let status: PaymentStatus = "PENDING";
  if (s.matching.length > 0) status = s.live.length > 0 ? "CAPTURED" : "REFUNDED";
  else if (attempts.length > 0 && s.failed.length === attempts.length) status = "FAILED";
  const lastFailure = [...s.failed].reverse().find((a) => a.failureReason)?.failureReason ?? null;
  return {
    status,
    attemptId: chosen?.id ?? null,
    amount: chosen?.amount ?? null,
    method: chosen?.method ?? null,
    refundedAmount: chosen ? refundedOf(chosen, refunds) : 0,
    failureReason: status === "FAILED" ? (lastFailure ?? "payment failed") : null,
  };
}
