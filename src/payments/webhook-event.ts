import * as z from "zod/mini";
import { describeIssues } from "../lib/validation";
import { ATTEMPT_STATUSES, type Attempt, type AttemptStatus, type Fact } from "./lifecycle";
import { RazorpayPayment } from "./razorpay-api";
import type { SettlementLookup } from "./settlement-store";

const Entity = <T extends z.ZodMiniType>(schema: T) => z.object({ entity: schema });

const RazorpayOrder = z.looseObject({
  id: z.string().check(z.startsWith("order_")),
  amount: z.int().check(z.nonnegative()),
  amount_paid: z.optional(z.int().check(z.nonnegative())),
  currency: z.string().check(z.length(3)),
  status: z.string(),
});

const RazorpayRefund = z.looseObject({
  id: z.string().check(z.startsWith("rfnd_")),
  payment_id: z.string().check(z.startsWith("pay_")),
  amount: z.int().check(z.nonnegative()),
  currency: z.optional(z.string().check(z.length(3))),
});

/** The envelope every Razorpay webhook shares; `payload` is checked per event below. */
export const RazorpayEnvelope = z.looseObject({
  entity: z.optional(z.literal("event")),
  event: z.string().check(z.minLength(1), z.maxLength(100)),
  payload: z.record(z.string(), z.unknown()),
  created_at: z.optional(z.number()),
});

const PaymentPayload = z.looseObject({ payment: Entity(RazorpayPayment) });
const OrderPaidPayload = z.looseObject({ payment: Entity(RazorpayPayment), order: Entity(RazorpayOrder) });
const RefundPayload = z.looseObject({ refund: Entity(RazorpayRefund), payment: z.optional(Entity(RazorpayPayment)) });

/** What a verified event asks of us: settle with these facts, or nothing (an event we do not act on). */
export type SettleCommand = { action: "settle"; facts: Fact[]; lookup: SettlementLookup } | { action: "ignore" };

export type ParsedEvent = { ok: true; type: string; command: SettleCommand } | { ok: false; message: string };

const describe = (err: { issues: readonly z.core.$ZodIssue[] }) => describeIssues(err, 3);

/** A Razorpay payment entity as a fact about one attempt; `atLeast` is what the event itself proves. */
export function attemptFact(pay: RazorpayPayment, atLeast: AttemptStatus = "created"): Attempt {
  const status = ATTEMPT_STATUSES.indexOf(pay.status) >= ATTEMPT_STATUSES.indexOf(atLeast) ? pay.status : atLeast;
  return {
    id: pay.id,
    status,
    amount: pay.amount,
    currency: pay.currency.toUpperCase(),
    method: pay.method ?? null,
    amountRefunded: pay.amount_refunded ?? 0,
    failureReason:
      status === "failed" ? (pay.error_description ?? pay.error_reason ?? "payment failed").slice(0, 500) : null,
  };
}

function attemptCommand(pay: RazorpayPayment, razorpayOrderId: string | null, atLeast: AttemptStatus): SettleCommand {
  return {
    action: "settle",
    facts: [{ kind: "attempt", attempt: attemptFact(pay, atLeast) }],
    lookup: { razorpayOrderId, paymentId: pay.id },
  };
}

/** Validates a verified webhook body and says what it asks of us. */
export function parseRazorpayEvent(body: unknown): ParsedEvent {
  const env = RazorpayEnvelope.safeParse(body);
  if (!env.success) return { ok: false, message: describe(env.error) };
  const { event, payload } = env.data;
  switch (event) {
    case "payment.captured": {
      const p = PaymentPayload.safeParse(payload);
      if (!p.success) return { ok: false, message: describe(p.error) };
      return {
        ok: true,
        type: event,
        command: attemptCommand(p.data.payment.entity, p.data.payment.entity.order_id ?? null, "captured"),
      };
    }
    case "order.paid": {
      const p = OrderPaidPayload.safeParse(payload);
      if (!p.success) return { ok: false, message: describe(p.error) };
      return {
        ok: true,
        type: event,
        command: attemptCommand(p.data.payment.entity, p.data.order.entity.id, "captured"),
      };
    }
    case "payment.failed": {
      const p = PaymentPayload.safeParse(payload);
      if (!p.success) return { ok: false, message: describe(p.error) };
      const pay = p.data.payment.entity;
      return { ok: true, type: event, command: attemptCommand(pay, pay.order_id ?? null, "failed") };
    }
    case "refund.processed": {
      const p = RefundPayload.safeParse(payload);
      if (!p.success) return { ok: false, message: describe(p.error) };
      const refund = p.data.refund.entity;
      const pay = p.data.payment?.entity;
      // The payment entity, when sent, proves the attempt was captured (a refund needs a capture).
      const attempt = pay ? attemptFact(pay, "captured") : null;
      return {
        ok: true,
        type: event,
        command: {
          action: "settle",
          facts: [
            { kind: "refund", refund: { id: refund.id, paymentId: refund.payment_id, amount: refund.amount }, attempt },
          ],
          lookup: { razorpayOrderId: pay?.order_id ?? null, paymentId: refund.payment_id },
        },
      };
    }
    default:
      return { ok: true, type: event, command: { action: "ignore" } };
  }
}
