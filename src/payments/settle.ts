import { sql } from "drizzle-orm";
import * as z from "zod";
import { enqueueEmails } from "../email/outbox";
import type { AppDeps } from "../lib/deps";
import type { SettleCommand } from "./webhook-event";

export const SettleResult = z.object({
  outcome: z.string(),
  orderId: z.string().nullish(),
  orderNumber: z.string().nullish(),
  review: z.string().nullish(),
  oversold: z
    .array(z.object({ productId: z.string(), name: z.string(), sku: z.string(), stock: z.number() }))
    .default([]),
  emailIds: z.array(z.string()).default([]),
});
export type SettleResult = z.infer<typeof SettleResult>;

/**
 * Confirms, fails or refunds in one statement (ora_settle_payment). With an event id the webhook
 * dedupe happens in the same transaction. Emails it recorded are queued after it committed; if that
 * send is lost, deliver-order-events re-queues them.
 */
export async function settle(
  deps: AppDeps,
  command: SettleCommand,
  now: Date,
  event?: { id: string; type: string },
): Promise<SettleResult> {
  const c = command;
  const paymentId = c.action === "ignore" ? null : c.paymentId;
  const rzpOrder = c.action === "ignore" ? null : c.razorpayOrderId;
  const amount = c.action === "confirm" || c.action === "refund" ? c.amount : null;
  const res = await deps.db.execute<{ r: unknown }>(sql`
    select ora_settle_payment(
      ${c.action}, ${event?.id ?? null}, ${event?.type ?? null}, ${paymentId}, ${rzpOrder},
      ${amount}::bigint, ${c.action === "confirm" ? c.currency : null}, ${c.action === "confirm" ? c.method : null},
      ${c.action === "fail" ? c.reason : null}, ${c.action === "refund" ? c.amountRefunded : null}::bigint,
      array(select jsonb_array_elements_text(${JSON.stringify(deps.config.ADMIN_EMAIL)}::jsonb)),
      ${now}
    ) as r`);
  const result = SettleResult.parse(res.rows[0]?.r);
  await enqueueEmails(deps, result.emailIds);
  return result;
}
