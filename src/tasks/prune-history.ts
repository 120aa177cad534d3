import { sql } from "drizzle-orm";
import * as z from "zod/mini";
import { DAY_MS } from "../lib/time";
import { countDoomed, deleteInBatches } from "./batched-delete";
import { parseSettings } from "./settings";
import type { Task } from "./types";

const Settings = z.object({
  runDays: z._default(z.int().check(z.minimum(7), z.maximum(365)), 30),
  webhookDays: z._default(z.int().check(z.minimum(7), z.maximum(365)), 30),
  /** Sent emails hold customers' addresses and order details: keep them no longer than needed. */
  emailDays: z._default(z.int().check(z.minimum(7), z.maximum(365)), 30),
  eventDays: z._default(z.int().check(z.minimum(1), z.maximum(365)), 7),
  batchSize: z._default(z.int().check(z.minimum(100), z.maximum(50_000)), 5_000),
  softBudgetMs: z._default(z.int().check(z.minimum(1_000), z.maximum(25_000)), 15_000),
});

/** The worker's own bookkeeping must not grow without bound (a run a minute is 500k rows a year). */
export const pruneHistory: Task = {
  name: "prune-history",
  cron: "30 20 * * *",
  priority: "LOW",
  description: "Delete the worker's own old run history, webhook log, delivered events and settled emails",
  budgetMs: 25_000,
  deletes: true,
  internal: true,
  settingsSchema: Settings,
  async run(deps, now) {
    const s = parseSettings(Settings, deps.settings, this.name);
    const before = (days: number) => new Date(now.getTime() - days * DAY_MS);
    const targets = [
      { name: "cronRuns", table: "cron_runs", where: sql`started_at < ${before(s.runDays)} and status <> 'running'` },
      { name: "webhookEvents", table: "webhook_events", where: sql`received_at < ${before(s.webhookDays)}` },
      { name: "orderEvents", table: "order_events", where: sql`delivered_at < ${before(s.eventDays)}` },
      { name: "emails", table: "emails", where: sql`created_at < ${before(s.emailDays)} and status <> 'queued'` },
      { name: "incidents", table: "incidents", where: sql`resolved_at < ${before(s.runDays)}` },
      { name: "paymentChecks", table: "payment_checks", where: sql`checked_at < ${before(s.webhookDays)}` },
    ];
    const result: Record<string, number> = {};
    for (const { name, table, where } of targets) {
      const t = sql.raw(table);
      if (deps.dryRun) {
        result[name] = await countDoomed(deps, t, where);
        continue;
      }
      const r = await deleteInBatches(
        deps,
        s.batchSize,
        s.softBudgetMs,
        (limit) => sql`delete from ${t} where ctid = any(array(select ctid from ${t} where ${where} limit ${limit}))`,
      );
      result[name] = r.deleted;
    }
    return deps.dryRun ? { wouldDelete: result } : { deleted: result };
  },
};
