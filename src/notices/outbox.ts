import { eq, sql } from "drizzle-orm";
import * as z from "zod/mini";
import type { Executor } from "../db/executor";
import { users } from "../db/schema";
import type { AppDeps } from "../lib/deps";

import type { EmailKind } from "./kinds";

export type { EmailKind } from "./kinds";

export interface EmailDraft {
  /** What the email is, e.g. `order-confirmed/<orderId>`: one key, one email, ever. */
  key: string;
  kind: EmailKind;
  to: string[];
  payload: Record<string, unknown>;
}

/** The queue message: only a pointer; the row holds the truth (and survives a lost message). */
export const EmailMessage = z.object({ emailId: z.string().check(z.minLength(1), z.maxLength(100)) });
export type EmailMessage = z.infer<typeof EmailMessage>;

/**
 * Records emails inside the caller's transaction. A key seen before is ignored, so re-running the
 * business step that wants the email never produces a second one. Returns the ids newly recorded.
 */
export async function recordEmails(tx: Executor, drafts: EmailDraft[], now: Date): Promise<string[]> {
  const wanted = drafts.filter((d) => d.to.length > 0);
  if (wanted.length === 0) return [];
  const res = await tx.execute<{ id: string }>(sql`
    insert into emails (idempotency_key, kind, to_addresses, payload, enqueued_at, created_at, updated_at)
    select d.key, d.kind, array(select jsonb_array_elements_text(d.to_addresses)), d.payload, ${now}, ${now}, ${now}
    from jsonb_to_recordset(${JSON.stringify(wanted.map((d) => ({ key: d.key, kind: d.kind, to_addresses: d.to, payload: d.payload })))}::jsonb)
      as d(key text, kind text, to_addresses jsonb, payload jsonb)
    on conflict (idempotency_key) do nothing
    returning id`);
  return res.rows.map((r) => r.id);
}

/**
 * Puts recorded emails on EMAIL_QUEUE, after the transaction that recorded them committed. Rows are
 * stamped enqueued_at when recorded; should this send be lost, deliver-order-events re-queues them.
 */
export async function enqueueEmails(deps: Pick<AppDeps, "emailQueue">, ids: readonly string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += 100) {
    const chunk = ids.slice(i, i + 100);
    await deps.emailQueue.sendBatch(chunk.map((emailId) => ({ body: { emailId } satisfies EmailMessage })));
  }
}

/** ADMIN_EMAIL when set, else every is_admin user. */
export async function adminRecipients(deps: Pick<AppDeps, "db" | "config">): Promise<string[]> {
  if (deps.config.ADMIN_EMAIL.length > 0) return deps.config.ADMIN_EMAIL;
  const rows = await deps.db
    .select({ email: users.email })
    .from(users)
    .where(eq(users.isAdmin, true))
    .orderBy(users.email)
    .limit(50);
  return rows.map((r) => r.email);
}
