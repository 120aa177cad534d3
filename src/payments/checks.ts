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
