import { desc, eq } from "drizzle-orm";
import { orders, payments, taskSettings } from "../db/schema";
import type { AppDeps } from "../lib/deps";
import { checkOf, recordChecks } from "../payments/checks";
import { razorpayClient } from "../payments/razorpay-api";
import { type PendingPayment, type ReconcileStep, reconcileOne } from "../payments/reconcile-one";
import { reconcilerSettings } from "../tasks/reconcile-stale-payments";

export interface AskResult extends ReconcileStep {
  orderStatus: string | null;
  paymentStatus: string | null;
}

/**
 * An operator's "Ask Razorpay now": what the reconciler does for one payment, whatever its age,
 * settled through the same path as the webhook, and kept on the order's page as a console check.
 */
export async function askRazorpay(deps: AppDeps, payment: PendingPayment, dryRun = false): Promise<AskResult> {
  const [row] = await deps.db
    .select({ settings: taskSettings.settings })
    .from(taskSettings)
    .where(eq(taskSettings.taskName, "reconcile-stale-payments"));
  const s = reconcilerSettings(row?.settings ?? {});
  const now = deps.clock();
  const step = await reconcileOne(
    deps,
    razorpayClient(deps, s.callTimeoutMs),
    payment,
    now,
    s.abandonMinutes * 60_000,
    dryRun,
  );
  if (!dryRun) {
    await recordChecks(deps.db, [checkOf(payment, step, "console", now)]);
  }
  const [after] = await deps.db
    .select({ orderStatus: orders.status, paymentStatus: payments.status })
    .from(payments)
    .innerJoin(orders, eq(orders.id, payments.orderId))
    .where(eq(payments.id, payment.id));
  return { ...step, orderStatus: after?.orderStatus ?? null, paymentStatus: after?.paymentStatus ?? null };
}

/** A payments row as the reconciler reads it, with its order's checkout time. */
const pendingPayment = () =>
  ({
    id: payments.id,
    order_id: payments.orderId,
    transaction_id: payments.transactionId,
    razorpay_payment_id: payments.razorpayPaymentId,
    order_created_at: orders.createdAt,
  }) as const;

/** The payment an order's "Ask Razorpay now" asks about: its newest payments row. */
export async function paymentOfOrder(deps: Pick<AppDeps, "db">, orderId: string): Promise<PendingPayment | null> {
  const [p] = await deps.db
    .select(pendingPayment())
    .from(payments)
    .innerJoin(orders, eq(orders.id, payments.orderId))
    .where(eq(payments.orderId, orderId))
    .orderBy(desc(payments.createdAt))
    .limit(1);
  return p ?? null;
}

/** One payments row by id, as the reconciler reads it. */
export async function paymentById(deps: Pick<AppDeps, "db">, id: string): Promise<PendingPayment | null> {
  const [p] = await deps.db
    .select(pendingPayment())
    .from(payments)
    .innerJoin(orders, eq(orders.id, payments.orderId))
    .where(eq(payments.id, id));
  return p ?? null;
}
