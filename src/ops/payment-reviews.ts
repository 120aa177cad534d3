import { and, count, desc, eq, isNotNull } from "drizzle-orm";
import { orders, payments } from "../db/schema";
import type { AppDeps } from "../lib/deps";
import { Refusal } from "./refusal";

const reviewColumns = {
  id: payments.id,
  orderNumber: orders.orderNumber,
  status: payments.status,
  amount: payments.amount,
  razorpayPaymentId: payments.razorpayPaymentId,
  transactionId: payments.transactionId,
  reason: payments.reviewReason,
  flaggedAt: payments.updatedAt,
  resolvedAt: payments.reviewResolvedAt,
  resolvedBy: payments.reviewResolvedBy,
  note: payments.reviewNote,
};

/** Payments flagged for a person (mismatch, capture of a cancelled order, unknown id), oldest first. */
export function flaggedPayments(deps: Pick<AppDeps, "db">, limit = 100) {
  return deps.db
    .select(reviewColumns)
    .from(payments)
    .innerJoin(orders, eq(orders.id, payments.orderId))
    .where(eq(payments.needsReview, true))
    .orderBy(payments.updatedAt)
    .limit(limit);
}

/** The reviews cleared lately: who said what, when. */
export function resolvedReviews(deps: Pick<AppDeps, "db">, limit = 20) {
  return deps.db
    .select(reviewColumns)
    .from(payments)
    .innerJoin(orders, eq(orders.id, payments.orderId))
    .where(isNotNull(payments.reviewResolvedAt))
    .orderBy(desc(payments.reviewResolvedAt))
    .limit(limit);
}

/**
 * Clears a payment's review flag, recording who, when and why. The flag's reason stays (the history);
 * a second click finds nothing flagged and changes nothing. The order is not touched: a payment that
 * is still pending is asked about again by the reconciler (and flagged again if Razorpay still does not know it).
 */
export async function resolveReview(
  deps: Pick<AppDeps, "db">,
  paymentId: string,
  who: string,
  note: string,
  now: Date,
): Promise<boolean> {
  const why = note.trim();
  if (why === "") throw new Refusal("invalid", "say why the payment needs no more review");
  if (why.length > 500) throw new Refusal("invalid", "the note is longer than 500 characters");
  const done = await deps.db
    .update(payments)
    .set({ needsReview: false, reviewResolvedAt: now, reviewResolvedBy: who, reviewNote: why, updatedAt: now })
    .where(and(eq(payments.id, paymentId), eq(payments.needsReview, true)))
    .returning({ id: payments.id });
  if (done.length > 0) return true;
  const [row] = await deps.db.select({ id: payments.id }).from(payments).where(eq(payments.id, paymentId));
  if (!row) throw new Refusal("unknown", `no payment ${paymentId}`);
  return false;
}

/** How many payments wait for a person (payments_review_idx). */
export async function flaggedCount(deps: Pick<AppDeps, "db">): Promise<number> {
  const [row] = await deps.db.select({ n: count() }).from(payments).where(eq(payments.needsReview, true));
  return row?.n ?? 0;
}
