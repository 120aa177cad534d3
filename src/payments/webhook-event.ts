import * as z from "zod";
import { RazorpayPayment } from "./razorpay-api";

const Entity = <T extends z.ZodType>(schema: T) => z.object({ entity: schema });

const RazorpayOrder = z.looseObject({
  id: z.string().startsWith("order_"),
  amount: z.number().int().nonnegative(),
  amount_paid: z.number().int().nonnegative().optional(),
  currency: z.string().length(3),
  status: z.string(),
});

const RazorpayRefund = z.looseObject({
  id: z.string().startsWith("rfnd_"),
  payment_id: z.string().startsWith("pay_"),
  amount: z.number().int().nonnegative(),
  currency: z.string().length(3).optional(),
});

/** The envelope every Razorpay webhook shares; `payload` is checked per event below. */
export const RazorpayEnvelope = z.looseObject({
  entity: z.literal("event").optional(),
  event: z.string().min(1).max(100),
  payload: z.record(z.string(), z.unknown()),
  created_at: z.number().optional(),
});

const PaymentPayload = z.looseObject({ payment: Entity(RazorpayPayment) });
const OrderPaidPayload = z.looseObject({ payment: Entity(RazorpayPayment), order: Entity(RazorpayOrder) });
const RefundPayload = z.looseObject({ refund: Entity(RazorpayRefund), payment: Entity(RazorpayPayment).optional() });

export type SettleCommand =
  | {
      action: "confirm";
      paymentId: string;
      razorpayOrderId: string | null;
      amount: number;
      currency: string;
      method: string | null;
    }
  | { action: "fail"; paymentId: string; razorpayOrderId: string | null; reason: string }
  | {
      action: "refund";
      paymentId: string;
      razorpayOrderId: string | null;
      amount: number;
      amountRefunded: number | null;
    }
  | { action: "ignore" };

export type ParsedEvent = { ok: true; type: string; command: SettleCommand } | { ok: false; message: string };

function describe(err: z.ZodError): string {
  return err.issues
    .slice(0, 3)
    .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
    .join("; ");
}

function confirmCommand(pay: RazorpayPayment, razorpayOrderId: string | null): SettleCommand {
  return {
    action: "confirm",
    paymentId: pay.id,
    razorpayOrderId,
    amount: pay.amount,
    currency: pay.currency,
    method: pay.method ?? null,
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
        command: confirmCommand(p.data.payment.entity, p.data.payment.entity.order_id ?? null),
      };
    }
    case "order.paid": {
      const p = OrderPaidPayload.safeParse(payload);
      if (!p.success) return { ok: false, message: describe(p.error) };
      return { ok: true, type: event, command: confirmCommand(p.data.payment.entity, p.data.order.entity.id) };
    }
    case "payment.failed": {
      const p = PaymentPayload.safeParse(payload);
      if (!p.success) return { ok: false, message: describe(p.error) };
      const pay = p.data.payment.entity;
      return {
        ok: true,
        type: event,
        command: {
          action: "fail",
          paymentId: pay.id,
          razorpayOrderId: pay.order_id ?? null,
          reason: pay.error_description ?? pay.error_reason ?? "payment failed",
        },
      };
    }
    case "refund.processed": {
      const p = RefundPayload.safeParse(payload);
      if (!p.success) return { ok: false, message: describe(p.error) };
      const refund = p.data.refund.entity;
      const pay = p.data.payment?.entity;
      return {
        ok: true,
        type: event,
        command: {
          action: "refund",
          paymentId: refund.payment_id,
          razorpayOrderId: pay?.order_id ?? null,
          amount: refund.amount,
          amountRefunded: pay?.amount_refunded ?? null,
        },
      };
    }
    default:
      return { ok: true, type: event, command: { action: "ignore" } };
  }
}
