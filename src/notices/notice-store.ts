// Writes notices (notification rows and email rows) as CTEs of a caller's statement, so they commit
// or roll back with the change they announce. Keys make them at-most-once whoever writes first.
import { type SQL, sql } from "drizzle-orm";
import type { NotificationDraft } from "./order-notices";
import type { EmailDraft } from "./outbox";

const json = (v: unknown) => sql`${JSON.stringify(v)}::jsonb`;

/**
 * CTEs inserting the drafts, each row only when `gate` (a CTE name with an `order_id` column, or any
 * relation) yields a row. `emailIds` selects the ids of emails newly recorded.
 */
export function noticeCtes(
  gate: SQL,
  notifications: NotificationDraft[],
  emails: EmailDraft[],
  now: Date,
): { ctes: SQL[]; emailIds: SQL | null } {
  const ctes: SQL[] = [];
  if (notifications.length > 0) {
    ctes.push(sql`notes as (
      insert into notifications (user_id, type, title, message, metadata, dedupe_key, created_at)
      select x."userId", x.type, x.title, x.message, x.metadata, x."dedupeKey", ${now}
      from jsonb_to_recordset(${json(notifications)}) as x("userId" text, type text, title text, message text,
             metadata jsonb, "dedupeKey" text)
      where exists (select 1 from ${gate})
      on conflict (dedupe_key) do nothing returning 1)`);
  }
  const wanted = emails.filter((e) => e.to.length > 0);
  if (wanted.length === 0) return { ctes, emailIds: null };
  ctes.push(sql`mails as (
    insert into emails (idempotency_key, kind, to_addresses, payload, enqueued_at, created_at, updated_at)
    select x.key, x.kind, array(select jsonb_array_elements_text(x."to")), x.payload, ${now}, ${now}, ${now}
    from jsonb_to_recordset(${json(wanted)}) as x(key text, kind text, "to" jsonb, payload jsonb)
    where exists (select 1 from ${gate})
    on conflict (idempotency_key) do nothing returning id)`);
  return { ctes, emailIds: sql`select id from mails` };
}
