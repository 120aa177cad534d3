import type { AppDeps } from "../lib/deps";
import type { ApiFailure, ApiResult, RazorpayClient, RazorpayPayment } from "./razorpay-api";
import { settle } from "./settle";

export type PendingPayment = {
  id: string;
  transaction_id: string;
  razorpay_payment_id: string | null;
  order_created_at: string | Date;
};

export type ReconcileOutcome =
  | "confirmed"
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
 * What Razorpay says of one PENDING payment, and the settlement that follows: captured → confirm;
 * only failed attempts past the abandonment time → fail; authorized or nothing yet → leave. Provider
 * trouble changes nothing. Shared by the reconcile task and the admin API.
 */
export async function reconcileOne(
  deps: AppDeps,
  api: RazorpayClient,
  p: PendingPayment,
  now: Date,
  abandonBefore: number,
  dryRun: boolean,
): Promise<ReconcileStep> {
  const rzpId = p.razorpay_payment_id ?? p.transaction_id;
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
  const captured = attempts.find((a) => a.status === "captured" || a.status === "refunded");
  if (captured) {
    if (dryRun) return { outcome: "confirmed", razorpayId: rzpId, apiCalls, detail: "dry run: would confirm" };
    const r = await settle(
      deps,
      {
        action: "confirm",
        paymentId: captured.id,
        razorpayOrderId: captured.order_id ?? (rzpId.startsWith("order_") ? rzpId : null),
        amount: captured.amount,
        currency: captured.currency,
        method: captured.method ?? null,
      },
      now,
    );
    const outcome =
      r.outcome === "confirmed" || r.outcome === "captured"
        ? "confirmed"
        : r.outcome === "amount_mismatch" || r.outcome === "duplicate_capture"
          ? "mismatched"
          : "already_settled";
    return { outcome, razorpayId: rzpId, apiCalls, detail: r.outcome };
  }
  if (attempts.some((a) => a.status === "authorized")) return { outcome: "authorized", razorpayId: rzpId, apiCalls };
  const failedAttempts = attempts.filter((a) => a.status === "failed");
  if (failedAttempts.length === 0 || failedAttempts.length < attempts.length) {
    return { outcome: "no_attempt", razorpayId: rzpId, apiCalls };
  }
  if (new Date(p.order_created_at).getTime() > abandonBefore) {
    return { outcome: "failed_within_window", razorpayId: rzpId, apiCalls };
  }
  if (dryRun) return { outcome: "failed", razorpayId: rzpId, apiCalls, detail: "dry run: would fail" };
  const last = failedAttempts.at(-1);
  const r = await settle(
    deps,
    {
      action: "fail",
      paymentId: last?.id ?? rzpId,
      razorpayOrderId: rzpId.startsWith("order_") ? rzpId : (last?.order_id ?? null),
      reason: last?.error_description ?? "abandoned: only failed attempts",
    },
    now,
  );
  return {
    outcome: r.outcome === "failed" || r.outcome === "failed_attempt" ? "failed" : "already_settled",
    razorpayId: rzpId,
    apiCalls,
  };
}
