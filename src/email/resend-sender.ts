import { Resend } from "resend";
import { requireSecret } from "../lib/config";
import { withDeadline } from "../lib/deadline";
import type { AppDeps } from "../lib/deps";
import { errorMessage } from "../lib/errors";

export interface OutgoingEmail {
  emailId: string;
  idempotencyKey: string;
  from: string;
  to: string[];
  subject: string;
  html: string;
  text: string;
}

export type SendOutcome =
  | { kind: "sent"; providerId: string }
  | { kind: "transient"; error: string; retryAfterSeconds?: number }
  | { kind: "permanent"; error: string };

interface ResendError {
  name: string;
  message: string;
  statusCode: number | null;
}

const CALL_TIMEOUT_MS = 15_000;

function classify(error: ResendError, headers: Record<string, string> | null): SendOutcome {
  const status = error.statusCode;
  const message = `${status ?? "network"} ${error.name}: ${error.message}`;
  const retryAfter = Number(headers?.["retry-after"]);
  const transient =
    status === null || status === 429 || status >= 500 || error.name === "concurrent_idempotent_requests";
  if (!transient) return { kind: "permanent", error: message };
  return { kind: "transient", error: message, ...(retryAfter > 0 ? { retryAfterSeconds: retryAfter } : {}) };
}

const withTimeout = <T>(work: Promise<T>) =>
  withDeadline<T | "timeout">(
    CALL_TIMEOUT_MS,
    () => work,
    () => "timeout",
  );

/** Resend through its SDK, with baseUrl passed explicitly; the SDK never throws and never retries. */
export function resendSender(deps: Pick<AppDeps, "env" | "config">) {
  const resend = new Resend(requireSecret(deps.env, "RESEND_API_KEY"), { baseUrl: deps.config.RESEND_API_BASE });
  const payload = (e: OutgoingEmail) => ({ from: e.from, to: e.to, subject: e.subject, html: e.html, text: e.text });

  return {
    /** One email, with its own Idempotency-Key: a replay within 24 h is answered, not re-sent. */
    async one(e: OutgoingEmail): Promise<SendOutcome> {
      try {
        const res = await withTimeout(resend.emails.send(payload(e), { idempotencyKey: e.idempotencyKey }));
        if (res === "timeout") return { kind: "transient", error: `timeout after ${CALL_TIMEOUT_MS} ms` };
        if (res.error) return classify(res.error, res.headers);
        return { kind: "sent", providerId: res.data.id };
      } catch (err) {
        return { kind: "transient", error: errorMessage(err) };
      }
    },

    /**
     * Up to 100 emails in one call. The batch key is derived from its members' keys, so the same
     * batch retried is replayed by Resend rather than sent again.
     */
    async batch(emails: OutgoingEmail[], batchKey: string): Promise<SendOutcome[]> {
      try {
        const res = await withTimeout(resend.batch.send(emails.map(payload), { idempotencyKey: batchKey }));
        if (res === "timeout")
          return emails.map(() => ({ kind: "transient", error: `timeout after ${CALL_TIMEOUT_MS} ms` }));
        if (res.error) {
          const outcome = classify(res.error, res.headers);
          return emails.map(() => outcome);
        }
        const ids = res.data.data;
        return emails.map((_, i) => {
          const id = ids[i]?.id;
          return id ? { kind: "sent", providerId: id } : { kind: "transient", error: "batch answer missing an id" };
        });
      } catch (err) {
        const outcome: SendOutcome = { kind: "transient", error: errorMessage(err) };
        return emails.map(() => outcome);
      }
    },
  };
}
