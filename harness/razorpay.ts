import { env } from "cloudflare:workers";
import { hmacSha256Hex } from "../src/lib/crypto";

export const WEBHOOK_SECRET = "whsec_test";

/** Control of this file's partition of the Razorpay stub (partitioned by API key id). */
export function razorpayStub(keyId: string) {
  const control = async (path: string, body?: unknown) => {
    const res = await fetch(`${env.RAZORPAY_API_BASE}/__control/${path}?ns=${encodeURIComponent(keyId)}`, {
      method: body === undefined ? "GET" : "POST",
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
    });
    return res.json() as Promise<Record<string, unknown>>;
  };
  return {
    keyId,
    seed: (payments: Record<string, unknown>[], orders: string[] = []) => control("payments", { payments, orders }),
    faults: (faults: { kind: string; times?: number; ms?: number }[], latencyMs = 0) =>
      control("faults", { faults, latencyMs }),
    /** Holds calls until `size` are in flight at once (proves a client's concurrency without timing). */
    gate: (size: number) => control("faults", { faults: [], gate: size }),
    stats: () => control("stats") as Promise<{ requests: number; maxInFlight: number; byPath: Record<string, number> }>,
    reset: () => control("reset", {}),
  };
}

let n = 0;
export const rzpId = (prefix: "pay" | "order" | "rfnd" | "evt") =>
  `${prefix}_${Date.now().toString(36)}${(++n).toString(36).padStart(4, "0")}`;

export function paymentEntity(p: {
  id: string;
  orderId: string | null;
  amount: number;
  status: string;
  currency?: string;
  method?: string;
  errorDescription?: string;
  amountRefunded?: number;
}) {
  return {
    id: p.id,
    entity: "payment",
    amount: p.amount,
    currency: p.currency ?? "INR",
    status: p.status,
    order_id: p.orderId,
    method: p.method ?? "upi",
    amount_refunded: p.amountRefunded ?? 0,
    captured: p.status === "captured",
    notes: [],
    error_description: p.errorDescription ?? null,
    email: "customer@example.com",
    contact: "+919000000000",
    created_at: 1_764_000_000,
  };
}

export function eventBody(event: string, payload: Record<string, unknown>): string {
  return JSON.stringify({
    entity: "event",
    account_id: "acc_TEST",
    event,
    contains: Object.keys(payload),
    payload,
    created_at: 1_764_000_000,
  });
}

export async function signedRequest(
  body: string | Uint8Array,
  opts: { eventId?: string; secret?: string; signature?: string | null } = {},
): Promise<Request> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  const signature =
    opts.signature === undefined ? await hmacSha256Hex(opts.secret ?? WEBHOOK_SECRET, body) : opts.signature;
  if (signature !== null) headers["x-razorpay-signature"] = signature;
  if (opts.eventId) headers["x-razorpay-event-id"] = opts.eventId;
  return new Request("https://ora-jobs.test/api/webhooks/razorpay", { method: "POST", headers, body });
}
