import { sql } from "drizzle-orm";
import * as z from "zod";
import { enqueueEmails } from "../email/outbox";
import { parseSettings } from "./settings";
import type { Task } from "./types";

const Settings = z.object({
  batchSize: z.number().int().min(10).max(1_000).default(200),
  /** A queued email whose message has not been seen for this long is put on the queue again. */
  requeueAfterMinutes: z
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(15),
  softBudgetMs: z.number().int().min(1_000).max(25_000).default(20_000),
});

/** Queued emails whose message was lost, oldest first; emails_status_created_idx drives it. */
export const requeueStaleEmails = (now: Date, stale: Date) => sql`
  update emails set enqueued_at = ${now}, updated_at = ${now}
  where id = any(array(
    select id from emails
    where status = 'queued' and (enqueued_at is null or enqueued_at < ${stale})
    order by created_at limit 500 for update skip locked))
  returning id`;

/**
 * Delivers order events the storefront or admin panel wrote (the Worker's own changes are
 * delivered at once), and re-queues emails whose queue message was lost.
 */
export const deliverOrderEvents: Task = {
  name: "deliver-order-events",
  cron: "* * * * *",
  schedule: "every minute",
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
    const started = deps.clock().getTime();
    let delivered = 0;
    let emailsQueued = 0;
    for (;;) {
      const res = await deps.db.execute<{ r_seq: number; r_email_id: string | null }>(
        sql`select r_seq, r_email_id from ora_deliver_order_events(null, ${now}, ${s.batchSize})`,
      );
      const ids = res.rows.flatMap((r) => (r.r_email_id ? [r.r_email_id] : []));
      await enqueueEmails(deps, ids);
      delivered += res.rows.length;
      emailsQueued += ids.length;
      if (res.rows.length < s.batchSize || deps.signal.aborted) break;
      if (deps.clock().getTime() - started > s.softBudgetMs) break;
    }
    const stale = new Date(now.getTime() - s.requeueAfterMinutes * 60_000);
    const requeued = await deps.db.execute<{ id: string }>(requeueStaleEmails(now, stale));
    await enqueueEmails(
      deps,
      requeued.rows.map((r) => r.id),
    );
    return { delivered, emailsQueued, requeued: requeued.rows.length };
  },
};
