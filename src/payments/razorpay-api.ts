import * as z from "zod/mini";
import { requireSecret } from "../lib/config";
import type { AppDeps } from "../lib/deps";
import { describeIssues, type Schema } from "../lib/validation";

/** The fields of a Razorpay payment entity the worker reads; everything else passes through. */
export const RazorpayPayment = z.looseObject({
  id: z.string().check(z.startsWith("pay_")),
  amount: z.int().check(z.nonnegative()),
  currency: z.string().check(z.minLength(3), z.maxLength(3)),
  status: z.enum(["created", "authorized", "captured", "refunded", "failed"]),
  order_id: z.nullish(z.string()),
  method: z.nullish(z.string()),
  amount_refunded: z.nullish(z.int().check(z.nonnegative())),
  error_description: z.nullish(z.string()),
  error_reason: z.nullish(z.string()),
  created_at: z.optional(z.number()),
});
export type RazorpayPayment = z.infer<typeof RazorpayPayment>;

const Collection = z.object({ items: z.array(RazorpayPayment) });

export type ApiFailure =
  | { kind: "not_found"; message: string }
  | { kind: "rate_limited"; message: string; retryAfterSeconds?: number }
  | { kind: "server_error"; status: number; message: string }
  | { kind: "client_error"; status: number; message: string }
  | { kind: "timeout"; message: string }
  | { kind: "network"; message: string }
  | { kind: "bad_response"; message: string };

export type ApiResult<T> = { ok: true; value: T } | ({ ok: false } & ApiFailure);

export interface RazorpayClient {
  fetchPayment(paymentId: string): Promise<ApiResult<RazorpayPayment>>;
  fetchOrderPayments(orderId: string): Promise<ApiResult<RazorpayPayment[]>>;
}

/** Razorpay's REST API over fetch (its SDK hard-codes the host, so a stub could not stand in). */
export function razorpayClient(deps: Pick<AppDeps, "env" | "config" | "fetch">, timeoutMs: number): RazorpayClient {
  const keyId = requireSecret(deps.env, "RAZORPAY_KEY_ID");
  const keySecret = requireSecret(deps.env, "RAZORPAY_KEY_SECRET");
  const auth = `Basic ${btoa(`${keyId}:${keySecret}`)}`;
  const base = deps.config.RAZORPAY_API_BASE.replace(/\/+$/, "");

  async function get<T>(path: string, schema: Schema<T>): Promise<ApiResult<T>> {
    let res: Response;
    try {
      res = await deps.fetch(`${base}${path}`, {
        headers: { authorization: auth, accept: "application/json" },
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      const name = err instanceof Error ? err.name : "";
      if (name === "TimeoutError" || name === "AbortError") {
        return { ok: false, kind: "timeout", message: `no answer within ${timeoutMs} ms` };
      }
      return { ok: false, kind: "network", message: err instanceof Error ? err.message : String(err) };
    }
    let body: unknown;
    try {
      body = await res.json();
    } catch {
      return res.status >= 500
        ? { ok: false, kind: "server_error", status: res.status, message: "unreadable error body" }
        : { ok: false, kind: "bad_response", message: `HTTP ${res.status} with a body that is not JSON` };
    }
    if (res.status === 429) {
      const ra = Number(res.headers.get("retry-after"));
      return { ok: false, kind: "rate_limited", message: "rate limited", ...(ra > 0 ? { retryAfterSeconds: ra } : {}) };
    }
    if (res.status >= 500)
      return { ok: false, kind: "server_error", status: res.status, message: `HTTP ${res.status}` };
    if (!res.ok) {
      const description = z.object({ error: z.object({ description: z.optional(z.string()) }) }).safeParse(body).data
        ?.error.description;
      // Razorpay answers an unknown id with 400 BAD_REQUEST_ERROR, not 404.
      if ((res.status === 400 || res.status === 404) && /does not exist/i.test(description ?? "")) {
        return { ok: false, kind: "not_found", message: description ?? "id does not exist" };
      }
      return { ok: false, kind: "client_error", status: res.status, message: description ?? `HTTP ${res.status}` };
    }
    const parsed = schema.safeParse(body);
    return parsed.success
      ? { ok: true, value: parsed.data }
      : { ok: false, kind: "bad_response", message: `unexpected shape: ${describeIssues(parsed.error, 1)}` };
  }

  return {
    fetchPayment: (id) => get(`/v1/payments/${encodeURIComponent(id)}`, RazorpayPayment),
    fetchOrderPayments: async (id) => {
      const r = await get(`/v1/orders/${encodeURIComponent(id)}/payments`, Collection);
      return r.ok ? { ok: true, value: r.value.items } : r;
    },
  };
}
