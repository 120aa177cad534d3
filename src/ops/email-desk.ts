import { and, desc, eq, inArray, sql } from "drizzle-orm";
import { emails } from "../db/schema";
import { EMAIL_STATUSES, type EmailStatus } from "../db/statuses";
import type { AppDeps } from "../lib/deps";
import { enqueueEmails } from "../notices/outbox";
import { Refusal } from "./refusal";

export { EMAIL_STATUSES, type EmailStatus };

/** The newest emails in one state (emails_status_created_idx): who, what, and why it failed. */
export function listEmails(deps: Pick<AppDeps, "db">, status: EmailStatus, limit = 100) {
  return deps.db
    .select({
      id: emails.id,
      kind: emails.kind,
      to: emails.toAddresses,
      status: emails.status,
      attempts: emails.attempts,
      resends: emails.resends,
      lastError: emails.lastError,
      createdAt: emails.createdAt,
      sentAt: emails.sentAt,
      updatedAt: emails.updatedAt,
      title: sql<string | null>`${emails.payload}->>'title'`,
      orderNumber: sql<string | null>`${emails.payload}->>'orderNumber'`,
    })
    .from(emails)
    .where(eq(emails.status, status))
    .orderBy(desc(emails.createdAt))
    .limit(limit);
}

export type ResendResult = { kind: "requeued" } | { kind: "unchanged"; status: string };

/**
 * Puts a failed or dead email back on the queue, once: only the request that moves it out of
 * failed/dead re-queues it (a double click finds it queued and does nothing). The resend is a new
 * request to Resend (consumer.providerKey), so Resend's replay of the old error does not answer it.
 */
export async function resendEmail(deps: AppDeps, id: string, now: Date): Promise<ResendResult> {
  const moved = await deps.db
    .update(emails)
    .set({
      status: "queued",
      attempts: 0,
      resends: sql`${emails.resends} + 1`,
      lastError: null,
      lockedUntil: null,
      enqueuedAt: now,
      updatedAt: now,
    })
    .where(and(eq(emails.id, id), inArray(emails.status, ["failed", "dead"])))
    .returning({ id: emails.id });
  if (moved.length > 0) {
    await enqueueEmails(deps, [id]);
    return { kind: "requeued" };
  }
  const [row] = await deps.db.select({ status: emails.status }).from(emails).where(eq(emails.id, id));
  if (!row) throw new Refusal("unknown", `no email ${id}`);
  return { kind: "unchanged", status: row.status };
}
