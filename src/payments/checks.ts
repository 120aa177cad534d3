import type { Db } from "../db/client";
import { paymentChecks } from "../db/schema";

export type PaymentCheck = typeof paymentChecks.$inferInsert;

/**
 * Keeps what we asked Razorpay about an order and what we learned, for the console's order page.
 * One insert for a whole run's checks (a run can check hundreds).
 */
export async function recordChecks(db: Db, checks: PaymentCheck[]): Promise<void> {
  if (checks.length === 0) return;
  await db.insert(paymentChecks).values(checks);
}

/** One "ask Razorpay" as a check row: which payment, who asked, about which id, what was learned. */
export function checkOf(
  p: { id: string; order_id: string },
  step: { razorpayId: string; outcome: string; detail?: string | undefined },
  source: "reconciler" | "console",
  checkedAt: Date,
): PaymentCheck {
  return {
    orderId: p.order_id,
    paymentId: p.id,
    razorpayId: step.razorpayId,
    source,
    outcome: step.outcome,
    detail: step.detail ?? null,
    checkedAt,
  };
}
