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

/** What Razorpay answered about one payment: its attempts, or why there is no answer. */
export interface Answer {
  razorpayId: string;
  apiCalls: number;
  result: ApiResult<RazorpayPayment[]>;
}

/**
 * Asks Razorpay about one stale payment: the Razorpay order when we have it (it lists every
 * attempt, so a retry after a failed or merely authorized attempt is seen), else the payment.
 */
export async function askAbout(api: RazorpayClient, p: PendingPayment): Promise<Answer> {
  const razorpayId = p.transaction_id.startsWith("order_")
    ? p.transaction_id
    : (p.razorpay_payment_id ?? p.transaction_id);
  if (razorpayId.startsWith("pay_")) {
    const one = await api.fetchPayment(razorpayId);
    return { razorpayId, apiCalls: 1, result: one.ok ? { ok: true, value: [one.value] } : one };
  }
  if (razorpayId.startsWith("order_")) {
    return { razorpayId, apiCalls: 1, result: await api.fetchOrderPayments(razorpayId) };
  }
  const message = `transaction_id ${razorpayId} is not a Razorpay id`;
  return { razorpayId, apiCalls: 0, result: { ok: false, kind: "not_found", message } };
}

/**
 * Settles what Razorpay answered through the same path as the webhook (the facts are the attempts
 * the API lists, with their statuses and amount_refunded); only here may an order be abandoned.
 * Provider trouble changes nothing.
 */
export async function settleAnswer(
  deps: AppDeps,
  p: PendingPayment,
  answer: Answer,
  now: Date,
  abandonAfterMs: number,
  dryRun: boolean,
): Promise<ReconcileStep> {
  const { razorpayId: rzpId, apiCalls, result } = answer;
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

/** One payment: ask, then settle. Shared by the admin API and the console's "Ask Razorpay now". */
export async function reconcileOne(
  deps: AppDeps,
  api: RazorpayClient,
  p: PendingPayment,
  now: Date,
  abandonAfterMs: number,
  dryRun: boolean,
): Promise<ReconcileStep> {
  return settleAnswer(deps, p, await askAbout(api, p), now, abandonAfterMs, dryRun);
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
