import type { AppDeps } from "../lib/deps";
import type { ApiFailure, ApiResult, RazorpayClient, RazorpayPayment } from "./razorpay-api";
import { type SettleOutcome, settle } from "./settle";
import { attemptFact } from "./webhook-event";

export type PendingPayment = {
  id: string;
  order_id: string;
  transaction_id: string;
  razorpay_payment_id: string | null;
  order_created_at: string | Date;
};

export type ReconcileOutcome =
  | "confirmed"
  | "refunded"
  | "already_settled"
  | "mismatched"
  | "failed"
  | "authorized"
  | "no_attempt"
  | "failed_within_window"
  | "unknown_id"
  | Exclude<ApiFailure["kind"], "not_found">;

export interface ReconcileStep {
  outcome: ReconcileOutcome;
  razorpayId: string;
  apiCalls: number;
  detail?: string;
}

/**
 * What Razorpay says of one stale payment, settled through the same path as the webhook (its facts
 * are the attempts the API lists, with their statuses and amount_refunded); only here may an order
 * be abandoned. Provider trouble changes nothing. Shared by the reconcile task and the admin API.
 */
export async function reconcileOne(
  deps: AppDeps,
  api: RazorpayClient,
  p: PendingPayment,
  now: Date,
  abandonAfterMs: number,
  dryRun: boolean,
): Promise<ReconcileStep> {
  // The Razorpay order when we have it: it lists every attempt, so a retry after a failed or merely
  // authorized attempt is seen; one payment id tells only of that attempt.
  const rzpId = p.transaction_id.startsWith("order_") ? p.transaction_id : (p.razorpay_payment_id ?? p.transaction_id);
  let result: ApiResult<RazorpayPayment[]>;
  let apiCalls = 1;
  if (rzpId.startsWith("pay_")) {
    const one = await api.fetchPayment(rzpId);
    result = one.ok ? { ok: true, value: [one.value] } : one;
  } else if (rzpId.startsWith("order_")) {
    result = await api.fetchOrderPayments(rzpId);
  } else {
    apiCalls = 0;
    result = { ok: false, kind: "not_found", message: `transaction_id ${rzpId} is not a Razorpay id` };
  }
  if (!result.ok) {
    if (result.kind === "not_found") {
      return {
        outcome: "unknown_id",
        razorpayId: rzpId,
        apiCalls,
        detail: `Razorpay does not know ${rzpId}: ${result.message}`,
      };
    }
    return { outcome: result.kind, razorpayId: rzpId, apiCalls, detail: result.message };
  }
  const attempts = result.value;
  const razorpayOrderId = rzpId.startsWith("order_") ? rzpId : (attempts[0]?.order_id ?? null);
  const r = await settle(
    deps,
    {
      facts: attempts.map((a) => ({ kind: "attempt" as const, attempt: attemptFact(a) })),
      lookup: { razorpayOrderId, paymentId: rzpId.startsWith("pay_") ? rzpId : null, orderId: p.order_id },
      abandon: { afterMs: abandonAfterMs },
    },
    now,
    null,
    dryRun,
  );
  return { outcome: reconcileOutcome(r.outcome, attempts), razorpayId: rzpId, apiCalls, detail: r.outcome };
}

/** What one check came to, in the reconciler's counters. */
function reconcileOutcome(o: SettleOutcome, attempts: RazorpayPayment[]): ReconcileOutcome {
  switch (o) {
    case "confirmed":
    case "revived":
      return "confirmed";
    case "refunded":
    case "partial_refund":
      return "refunded";
    case "amount_mismatch":
    case "captured_twice":
    case "captured_after_cancel":
      return "mismatched";
    case "abandoned":
      return "failed";
    case "duplicate":
    case "ignored":
    case "unknown_order":
      return "already_settled";
    case "attempt_failed":
    case "unchanged":
      if (attempts.some((a) => a.status === "captured" || a.status === "refunded")) return "already_settled";
      if (attempts.some((a) => a.status === "authorized")) return "authorized";
      if (attempts.length > 0 && attempts.every((a) => a.status === "failed")) return "failed_within_window";
      return "no_attempt";
  }
}
