import { sql } from "drizzle-orm";
import * as z from "zod/mini";
import { forEachLimited } from "../lib/concurrency";
import { errorMessage } from "../lib/errors";
import { adminRecipients, enqueueEmails, recordEmails } from "../notices/outbox";
import { checkOf, type PaymentCheck, recordChecks } from "../payments/checks";
import { razorpayClient } from "../payments/razorpay-api";
import { type Answer, askAbout, type ReconcileOutcome, settleAnswer } from "../payments/reconcile-one";
import { parseSettings } from "./settings";
import type { Task } from "./types";

const Settings = z.object({
  staleMinutes: z._default(z.int().check(z.minimum(1), z.maximum(24 * 60)), 10),
  /** Only failed attempts this long after checkout: the order is abandoned (failed, locks released). */
  abandonMinutes: z._default(z.int().check(z.minimum(10), z.maximum(7 * 24 * 60)), 60),
  maxPerRun: z._default(z.int().check(z.minimum(1), z.maximum(5_000)), 600),
  concurrency: z._default(z.int().check(z.minimum(1), z.maximum(6)), 6),
  callTimeoutMs: z._default(z.int().check(z.minimum(200), z.maximum(20_000)), 5_000),
  softBudgetMs: z._default(z.int().check(z.minimum(1_000), z.maximum(25_000)), 20_000),
});

/** The reconciler's settings as stored (an operator's "Ask Razorpay now" honours them too). */
export const reconcilerSettings = (raw: Record<string, unknown>) =>
  parseSettings(Settings, raw, "reconcile-stale-payments");

interface StalePayment {
  id: string;
  order_id: string;
  transaction_id: string;
  razorpay_payment_id: string | null;
  order_created_at: string | Date;
  [key: string]: unknown;
}

/**
 * Payments of PENDING orders past the stale age (PENDING, or FAILED after a failed attempt: the
 * customer may still retry), oldest order first; orders_pending_created_idx drives it.
 */
export const stalePaymentsQuery = (cutoff: Date, limit: number) => sql`
  select p.id, p.order_id, p.transaction_id, p.razorpay_payment_id, o.created_at as order_created_at
  from orders o
  cross join lateral (
    select p.* from payments p
    where p.order_id = o.id and p.status in ('PENDING', 'FAILED') and p.needs_review = false
    order by p.created_at desc limit 1) p
  where o.status = 'PENDING' and o.created_at < ${cutoff}
  order by o.created_at
  limit ${limit}`;

/**
 * Asks Razorpay about payments whose webhook never came. Captured → confirm; only failed attempts
 * after the abandonment window → fail; authorized or nothing yet → leave. Provider trouble (429, 5xx,
 * timeouts, garbage) changes nothing and is counted; an id Razorpay does not know is flagged.
 */
export const reconcileStalePayments: Task = {
  name: "reconcile-stale-payments",
  cron: "*/10 * * * *",
  priority: "HIGH",
  description: "Ask Razorpay about PENDING payments older than 10 minutes and confirm or fail them",
  budgetMs: 28_000,
  deletes: false,
  settingsSchema: Settings,
  async run(deps, now) {
    const s = parseSettings(Settings, deps.settings, this.name);
    const cutoff = new Date(now.getTime() - s.staleMinutes * 60_000);
    const rows = (await deps.db.execute<StalePayment>(stalePaymentsQuery(cutoff, s.maxPerRun))).rows;
    const c = {
      stale: rows.length,
      checked: 0,
      confirmed: 0,
      refunded: 0,
      alreadySettled: 0,
      failed: 0,
      authorized: 0,
      noAttempt: 0,
      failedWithinWindow: 0,
      flagged: 0,
      mismatched: 0,
      rateLimited: 0,
      serverErrors: 0,
      timeouts: 0,
      networkErrors: 0,
      badResponses: 0,
      clientErrors: 0,
      deferred: 0,
      apiCalls: 0,
      errors: 0,
    };
    if (rows.length === 0) return c;
    const api = razorpayClient(deps, s.callTimeoutMs);
    const started = deps.clock().getTime();
    const flagged: { id: string; razorpayId: string; reason: string }[] = [];
    const checks: PaymentCheck[] = [];

    const COUNTER: Record<ReconcileOutcome, keyof typeof c | null> = {
      confirmed: "confirmed",
      refunded: "refunded",
      already_settled: "alreadySettled",
      mismatched: "mismatched",
      failed: "failed",
      authorized: "authorized",
      no_attempt: "noAttempt",
      failed_within_window: "failedWithinWindow",
      unknown_id: null,
      rate_limited: "rateLimited",
      server_error: "serverErrors",
      timeout: "timeouts",
      network: "networkErrors",
      bad_response: "badResponses",
      client_error: "clientErrors",
    };
    const settle = async (p: StalePayment, answer: Answer) => {
      const step = await settleAnswer(deps, p, answer, now, s.abandonMinutes * 60_000, deps.dryRun);
      c.checked++;
      c.apiCalls += step.apiCalls;
      checks.push(checkOf(p, step, "reconciler", now));
      if (step.outcome === "unknown_id")
        flagged.push({ id: p.id, razorpayId: step.razorpayId, reason: step.detail ?? "unknown id" });
      const key = COUNTER[step.outcome];
      if (key) c[key]++;
    };

    // Each lane asks Razorpay and hands the answer on: its settlement (two round trips, queued on the
    // pool) runs while the lane asks the next question, so `concurrency` calls stay in flight.
    const settling: Promise<void>[] = [];
    const { started: begun } = await forEachLimited(
      rows,
      s.concurrency,
      async (p) => {
        const guarded = async (work: () => Promise<void>) => {
          try {
            await work();
          } catch (err) {
            c.errors++;
            deps.log.error("reconcile.payment_error", { paymentId: p.id, error: errorMessage(err) });
          }
        };
        let answer: Answer | undefined;
        await guarded(async () => {
          answer = await askAbout(api, p);
        });
        const asked = answer;
        if (asked) settling.push(guarded(() => settle(p, asked)));
      },
      () => !deps.signal.aborted && deps.clock().getTime() - started < s.softBudgetMs,
    );
    await Promise.all(settling);
    c.deferred = rows.length - begun;
    // Kept even when every check failed: the order page shows what we asked and what came back.
    if (!deps.dryRun) await recordChecks(deps.db, checks);
    const providerErrors =
      c.rateLimited + c.serverErrors + c.timeouts + c.networkErrors + c.badResponses + c.clientErrors;
    if (c.checked > 0 && providerErrors === c.checked) {
      // Nothing got through: a run that "succeeded" would hide an outage from the watchdog.
      throw new Error(
        `Razorpay unreachable: all ${c.checked} checks failed (429: ${c.rateLimited}, 5xx: ${c.serverErrors}, timeouts: ${c.timeouts}, network: ${c.networkErrors}, unreadable: ${c.badResponses}, other 4xx: ${c.clientErrors}); nothing was changed`,
      );
    }

    if (flagged.length > 0 && !deps.dryRun) {
      const recipients = await adminRecipients(deps);
      const ids = await deps.db.transaction(async (tx) => {
        const updated = await tx.execute<{ id: string }>(sql`
          update payments p set needs_review = true, review_reason = f.reason, updated_at = ${now}
          from jsonb_to_recordset(${JSON.stringify(flagged)}::jsonb) as f(id text, reason text)
          where p.id = f.id and p.status in ('PENDING', 'FAILED')
          returning p.id`);
        c.flagged = updated.rows.length;
        return recordEmails(
          tx,
          flagged.map((f) => ({
            key: `payment-review/${f.id}/unknown-id`,
            kind: "payment-review" as const,
            to: recipients,
            payload: { paymentId: f.razorpayId, reason: f.reason, at: now.toISOString() },
          })),
          now,
        );
      });
      await enqueueEmails(deps, ids);
    } else {
      c.flagged = flagged.length;
    }
    return c;
  },
};
