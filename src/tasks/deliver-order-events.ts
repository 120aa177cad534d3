import { sql } from "drizzle-orm";
import * as z from "zod/mini";
import type { Executor } from "../db/executor";
import { noticeCtes } from "../notices/notice-store";
import { noticeForEvent, type OrderSnapshot, orderNotice } from "../notices/order-notices";
import { enqueueEmails } from "../notices/outbox";
import { batchUntilBudget } from "./batched-delete";
import { parseSettings } from "./settings";
import type { Task } from "./types";

const Settings = z.object({
  batchSize: z._default(z.int().check(z.minimum(10), z.maximum(1_000)), 200),
  /** A queued email whose message has not been seen for this long is put on the queue again. */
  requeueAfterMinutes: z._default(z.int().check(z.minimum(1), z.maximum(24 * 60)), 15),
  softBudgetMs: z._default(z.int().check(z.minimum(1_000), z.maximum(25_000)), 20_000),
});

/** Queued emails whose message was lost, oldest first; emails_status_created_idx drives it. */
export const requeueStaleEmails = (now: Date, stale: Date) => sql`
  update emails set enqueued_at = ${now}, updated_at = ${now}
  where id = any(array(
    select id from emails
    where status = 'queued' and (enqueued_at is null or enqueued_at < ${stale})
    order by created_at limit 500 for update skip locked))
  returning id`;

/** The oldest undelivered order events with the orders they speak of; order_events_pending_idx. */
export const pendingOrderEvents = (limit: number) => sql`
  select e.seq, e.event_type, e.to_status,
    (select json_build_object(
       'id', o.id, 'orderNumber', o.order_number, 'userId', o.user_id, 'email', u.email, 'name', u.name,
       'totalAmount', o.total_amount, 'currency', o.currency, 'trackingNumber', o.tracking_number,
       'createdAt', o.created_at,
       'items', coalesce((select json_agg(json_build_object('name', p.name, 'sku', p.sku,
                            'quantity', oi.quantity, 'unitPrice', oi.unit_price))
                          from order_items oi join products p on p.id = oi.product_id
                          where oi.order_id = o.id), '[]'))
     from orders o join users u on u.id = o.user_id where o.id = e.order_id) as order
  from order_events e
  where e.delivered_at is null
  order by e.seq
  limit ${limit}`;

/**
 * One batch: the notices in TypeScript (notices/order-notices.ts), then one statement that records them and
 * marks the events delivered. Two runners on one batch record each notice once (its key).
 */
async function deliverBatch(db: Executor, now: Date, limit: number) {
  const res = await db.execute<{ seq: number; event_type: string; to_status: string; order: OrderSnapshot | null }>(
    pendingOrderEvents(limit),
  );
  const notices = res.rows.flatMap((e) => {
    const type = noticeForEvent(e.event_type, e.to_status);
    return type && e.order ? [orderNotice(type, { ...e.order, totalAmount: Number(e.order.totalAmount) }, now)] : [];
  });
  if (res.rows.length === 0) return { delivered: 0, emailIds: [] as string[] };
  const seqs = res.rows.map((r) => Number(r.seq));
  const written = noticeCtes(
    sql`done`,
    notices.map((n) => n.notification),
    notices.map((n) => n.email),
    now,
  );
  const out = await db.execute<{ email_ids: string[] }>(sql`
    with done as (
      update order_events set delivered_at = ${now}, attempts = attempts + 1
      where seq = any(array(select jsonb_array_elements_text(${JSON.stringify(seqs)}::jsonb)::bigint))
        and delivered_at is null
      returning seq)${written.ctes.length > 0 ? sql`, ${sql.join(written.ctes, sql`, `)}` : sql``}
    select array(${written.emailIds ?? sql`select null::text where false`}) as email_ids`);
  return { delivered: res.rows.length, emailIds: out.rows[0]?.email_ids ?? [] };
}

/**
 * Delivers order events the storefront or admin panel wrote (the Worker's own changes are
 * delivered at once), and re-queues emails whose queue message was lost.
 */
export const deliverOrderEvents: Task = {
  name: "deliver-order-events",
  cron: "* * * * *",
  priority: "MEDIUM",
  description: "Deliver pending order events: the customer's notification row and email",
  budgetMs: 25_000,
  deletes: false,
  settingsSchema: Settings,
  async run(deps, now) {
    const s = parseSettings(Settings, deps.settings, this.name);
    if (deps.dryRun) {
      const res = await deps.db.execute<{ n: number }>(
        sql`select count(*)::int as n from order_events where delivered_at is null`,
      );
      return { pending: res.rows[0]?.n ?? 0, dryRun: true };
    }
    let delivered = 0;
    let emailsQueued = 0;
    await batchUntilBudget(deps, s.softBudgetMs, async () => {
      const batch = await deliverBatch(deps.db, now, s.batchSize);
      await enqueueEmails(deps, batch.emailIds);
      delivered += batch.delivered;
      emailsQueued += batch.emailIds.length;
      return { more: batch.delivered >= s.batchSize };
    });
    const stale = new Date(now.getTime() - s.requeueAfterMinutes * 60_000);
    const requeued = await deps.db.execute<{ id: string }>(requeueStaleEmails(now, stale));
    await enqueueEmails(
      deps,
      requeued.rows.map((r) => r.id),
    );
    return { delivered, emailsQueued, requeued: requeued.rows.length };
  },
};
