import { and, eq, inArray, type SQL, sql } from "drizzle-orm";
import { sendOpsAlert } from "../alerts/ops-alert";
import { emails } from "../db/schema";
import { textArray } from "../db/sql-helpers";
import { sha256Hex } from "../lib/crypto";
import type { AppDeps } from "../lib/deps";
import { errorMessage } from "../lib/errors";
import { EmailMessage } from "../notices/outbox";
import { type OutgoingEmail, resendSender, type SendOutcome } from "./resend-sender";
import { RenderError, renderEmail } from "./templates/render";

/** How long a consumer holds an email it is sending; longer than any send can take. */
const LEASE_SECONDS = 120;

/** Exponential backoff from 30 s, capped at an hour, never sooner than the provider asked. */
export function retryDelaySeconds(attempts: number, retryAfterSeconds?: number): number {
  const exp = Math.min(3600, 30 * 2 ** Math.max(0, attempts - 1));
  return Math.max(exp, Math.ceil(retryAfterSeconds ?? 0));
}

/** Kinds addressed to the operators: a failure of one of them is not answered with another email. */
const OPS_KINDS = new Set(["task-alert", "payment-review", "oversell", "low-stock", "daily-sales-report"]);

type ClaimedRow = {
  id: string;
  idempotency_key: string;
  kind: string;
  to_addresses: string[];
  payload: Record<string, unknown>;
  attempts: number;
  resends: number;
};

/**
 * The key Resend sees. Resend replays a key's first answer for 24 h, errors included, so an
 * operator's resend of a failed email is a new request: the email's key plus its resend number.
 */
export function providerKey(row: Pick<ClaimedRow, "idempotency_key" | "resends">): string {
  return row.resends > 0 ? `${row.idempotency_key}/resend-${row.resends}` : row.idempotency_key;
}

interface Result {
  id: string;
  status: "sent" | "queued" | "failed";
  providerId: string | null;
  error: string | null;
}

export interface ConsumerCounts {
  sent: number;
  retried: number;
  failed: number;
  duplicates: number;
  invalid: number;
  providerCalls: number;
}

/**
 * The EMAIL_QUEUE consumer. Each message names an emails row; the row is claimed with a lease so a
 * message delivered twice (or a re-queued copy) sends one email. First attempts go out through the
 * batch endpoint, retries one by one with the email's own Idempotency-Key.
 */
/**
 * Takes the batch's queued emails under a lease, in one statement by primary key (its plan is checked
 * on 120k emails in test/tasks/index-plans.test.ts). A row another delivery holds, or one already
 * sent, failed or dead, is not returned.
 */
export function emailClaim(ids: readonly string[], now: Date): SQL {
  return sql`
    update emails set attempts = attempts + 1, enqueued_at = ${now}, updated_at = ${now},
                      locked_until = ${new Date(now.getTime() + LEASE_SECONDS * 1000)}
    where id = any(${textArray(ids)}) and status = 'queued' and (locked_until is null or locked_until < ${now})
    returning id, idempotency_key, kind, to_addresses, payload, attempts, resends`;
}

export async function consumeEmailBatch(
  deps: AppDeps,
  batch: MessageBatch<unknown>,
  now: Date,
): Promise<ConsumerCounts> {
  const counts: ConsumerCounts = { sent: 0, retried: 0, failed: 0, duplicates: 0, invalid: 0, providerCalls: 0 };
  const byEmail = new Map<string, Message<unknown>[]>();
  for (const msg of batch.messages) {
    const parsed = EmailMessage.safeParse(msg.body);
    if (!parsed.success) {
      // It can never succeed: straight to the dead-letter queue, whose consumer records and alerts.
      await deps.env.EMAIL_DLQ.send({ invalid: msg.body, reason: parsed.error.issues[0]?.message ?? "invalid" });
      msg.ack();
      counts.invalid++;
      continue;
    }
    const list = byEmail.get(parsed.data.emailId) ?? [];
    list.push(msg);
    byEmail.set(parsed.data.emailId, list);
  }
  const ids = [...byEmail.keys()];
  if (ids.length === 0) return counts;

  const claimed = await deps.db.execute<ClaimedRow>(emailClaim(ids, now));
  const claimedIds = new Set(claimed.rows.map((r) => r.id));
  const unclaimed = ids.filter((id) => !claimedIds.has(id));
  if (unclaimed.length > 0) {
    const states = await deps.db
      .select({ id: emails.id, status: emails.status })
      .from(emails)
      .where(inArray(emails.id, unclaimed));
    const status = new Map(states.map((r) => [r.id, r.status]));
    for (const id of unclaimed) {
      for (const msg of byEmail.get(id) ?? []) {
        if (status.get(id) === "queued") {
          msg.retry({ delaySeconds: LEASE_SECONDS }); // another delivery holds it right now
        } else {
          msg.ack(); // already sent, failed or dead; or the row is gone
          counts.duplicates++;
        }
      }
    }
  }

  const results: Result[] = [];
  const outgoing: { row: ClaimedRow; email: OutgoingEmail }[] = [];
  for (const row of claimed.rows) {
    try {
      const r = renderEmail(row.kind, row.payload, deps.config.BUSINESS_TIMEZONE);
      outgoing.push({
        row,
        email: {
          emailId: row.id,
          idempotencyKey: providerKey(row),
          from: deps.config.EMAIL_FROM,
          to: row.to_addresses,
          subject: r.subject,
          html: r.html,
          text: r.text,
        },
      });
    } catch (err) {
      const error = err instanceof RenderError ? `render: ${err.message}` : `render: ${errorMessage(err)}`;
      results.push({ id: row.id, status: "failed", providerId: null, error });
    }
  }

  const sender = resendSender(deps);
  const outcomes = new Map<string, SendOutcome>();
  const firstTries = outgoing.filter((o) => o.row.attempts === 1);
  const retries = outgoing.filter((o) => o.row.attempts > 1);
  for (let i = 0; i < firstTries.length; i += 100) {
    const chunk = firstTries.slice(i, i + 100);
    if (chunk.length === 1) {
      retries.push(...chunk);
      continue;
    }
    const keys = chunk.map((c) => c.email.idempotencyKey).sort();
    counts.providerCalls++;
    const res = await sender.batch(
      chunk.map((c) => c.email),
      `batch/${await sha256Hex(keys.join("\n"))}`,
    );
    res.forEach((outcome, j) => {
      const c = chunk[j];
      if (!c) return;
      // A batch is refused whole for one bad member: send the members one by one instead.
      if (outcome.kind === "permanent") retries.push(c);
      else outcomes.set(c.row.id, outcome);
    });
  }
  for (const c of retries) {
    counts.providerCalls++;
    outcomes.set(c.row.id, await sender.one(c.email));
  }

  for (const { row } of outgoing) {
    const outcome = outcomes.get(row.id);
    if (!outcome) continue;
    if (outcome.kind === "sent")
      results.push({ id: row.id, status: "sent", providerId: outcome.providerId, error: null });
    else if (outcome.kind === "permanent")
      results.push({ id: row.id, status: "failed", providerId: null, error: outcome.error });
    else results.push({ id: row.id, status: "queued", providerId: null, error: outcome.error });
  }

  await deps.db.execute(sql`
    update emails e set status = r.status, provider_id = coalesce(r.provider_id, e.provider_id),
      last_error = r.error, locked_until = null, updated_at = ${now},
      sent_at = case when r.status = 'sent' then ${now} else e.sent_at end
    from jsonb_to_recordset(${JSON.stringify(results.map((r) => ({ id: r.id, status: r.status, provider_id: r.providerId, error: r.error })))}::jsonb)
      as r(id text, status text, provider_id text, error text)
    where e.id = r.id`);

  const failed: { row: ClaimedRow; error: string }[] = [];
  for (const r of results) {
    const msgs = byEmail.get(r.id) ?? [];
    const [first, ...dupes] = msgs;
    for (const d of dupes) {
      d.ack();
      counts.duplicates++;
    }
    if (!first) continue;
    if (r.status === "queued") {
      const outcome = outcomes.get(r.id);
      const retryAfter = outcome?.kind === "transient" ? outcome.retryAfterSeconds : undefined;
      first.retry({ delaySeconds: retryDelaySeconds(first.attempts, retryAfter) });
      counts.retried++;
    } else {
      first.ack();
      if (r.status === "sent") counts.sent++;
      else {
        counts.failed++;
        const row = claimed.rows.find((c) => c.id === r.id);
        if (row) failed.push({ row, error: r.error ?? "failed" });
      }
    }
  }

  for (const f of failed) {
    await sendOpsAlert(
      deps,
      {
        key: `email-failed/${f.row.id}`,
        title: `Email could not be sent: ${f.row.kind}`,
        message: `${f.row.idempotency_key} was refused and will not be retried: ${f.error}`,
        severity: "warning",
        details: { email: f.row.idempotency_key, kind: f.row.kind },
      },
      now,
      { email: !OPS_KINDS.has(f.row.kind) },
    );
  }
  deps.log.info("email.batch", { queue: batch.queue, size: batch.messages.length, ...counts });
  return counts;
}

/** The dead-letter consumer: the email is recorded dead and the operators told; nothing is dropped silently. */
export async function consumeDeadLetters(deps: AppDeps, batch: MessageBatch<unknown>, now: Date): Promise<number> {
  const ids: string[] = [];
  const invalid: unknown[] = [];
  for (const msg of batch.messages) {
    const parsed = EmailMessage.safeParse(msg.body);
    if (parsed.success) ids.push(parsed.data.emailId);
    else invalid.push(msg.body);
  }
  const dead =
    ids.length === 0
      ? []
      : await deps.db
          .update(emails)
          .set({
            status: "dead",
            lockedUntil: null,
            updatedAt: now,
            lastError: sql`coalesce(${emails.lastError}, 'retries exhausted')`,
          })
          .where(and(inArray(emails.id, ids), eq(emails.status, "queued")))
          .returning({
            id: emails.id,
            idempotency_key: emails.idempotencyKey,
            kind: emails.kind,
            last_error: emails.lastError,
          });
  if (dead.length > 0 || invalid.length > 0) {
    const names = dead.map((d) => d.idempotency_key).slice(0, 10);
    await sendOpsAlert(
      deps,
      {
        key: `email-dead/${await sha256Hex(JSON.stringify([...ids, ...invalid.map((b) => JSON.stringify(b))]))}`,
        title: `${dead.length + invalid.length} email(s) dead-lettered`,
        message:
          `Retries exhausted for: ${names.join(", ")}${dead.length > 10 ? ", …" : ""}` +
          (invalid.length > 0 ? ` (+${invalid.length} unreadable message(s))` : "") +
          (dead[0]?.last_error ? `. Last error: ${dead[0].last_error}` : ""),
        severity: "critical",
        details: { dead: dead.length, invalid: invalid.length },
      },
      now,
      { email: dead.some((d) => !OPS_KINDS.has(d.kind)) },
    );
  }
  batch.ackAll();
  deps.log.warn("email.dead_letters", { dead: dead.length, invalid: invalid.length });
  return dead.length;
}
