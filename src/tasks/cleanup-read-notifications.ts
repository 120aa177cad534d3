import { sql } from "drizzle-orm";
import * as z from "zod/mini";
import { DAY_MS } from "../lib/time";
import { countDoomed, deleteInBatches } from "./batched-delete";
import { parseSettings } from "./settings";
import type { Task } from "./types";

const Settings = z.object({
  retentionDays: z._default(z.int().check(z.minimum(1), z.maximum(3650)), 30),
  batchSize: z._default(z.int().check(z.minimum(100), z.maximum(50_000)), 5_000),
  softBudgetMs: z._default(z.int().check(z.minimum(1_000), z.maximum(25_000)), 20_000),
});

const doomed = (cutoff: Date) => sql`is_read = true and created_at <= ${cutoff}`;

/** One bounded batch; the partial index notifications_read_created_idx drives it. */
export const readNotificationsBatch = (cutoff: Date, limit: number) => sql`
  delete from notifications
  where ctid = any(array(
    select ctid from notifications where ${doomed(cutoff)} order by created_at limit ${limit} for update skip locked
  ))`;

/** Read notifications are deleted once `retentionDays` old; unread ones are never touched. */
export const cleanupReadNotifications: Task = {
  name: "cleanup-read-notifications",
  cron: "30 20 * * *",
  priority: "LOW",
  description: "Delete read notifications older than the retention (default 30 days); unread ones stay",
  budgetMs: 25_000,
  deletes: true,
  settingsSchema: Settings,
  async run(deps, now) {
    const { retentionDays, batchSize, softBudgetMs } = parseSettings(Settings, deps.settings, this.name);
    const cutoff = new Date(now.getTime() - retentionDays * DAY_MS);
    if (deps.dryRun) {
      return { wouldDelete: await countDoomed(deps, sql`notifications`, doomed(cutoff)), cutoff: cutoff.toISOString() };
    }
    const result = await deleteInBatches(deps, batchSize, softBudgetMs, (limit) =>
      readNotificationsBatch(cutoff, limit),
    );
    return { ...result, cutoff: cutoff.toISOString() };
  },
};
