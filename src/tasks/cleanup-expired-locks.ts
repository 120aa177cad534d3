import { sql } from "drizzle-orm";
import * as z from "zod";
import { deleteInBatches } from "./batched-delete";
import { parseSettings } from "./settings";
import type { Task } from "./types";

const Settings = z.object({
  batchSize: z.number().int().min(100).max(50_000).default(5_000),
  /** Stop starting new batches after this long; the rest waits for the next slot. */
  softBudgetMs: z.number().int().min(1_000).max(25_000).default(20_000),
});

/**
 * One bounded batch: the index finds the rows, a TID scan deletes them (an `id in (subquery)` plan
 * hash-joins against the whole table on every batch). The row lock keeps each ctid stable meanwhile.
 */
export const expiredLocksBatch = (now: Date, limit: number) => sql`
  delete from inventory_locks
  where ctid = any(array(
    select ctid from inventory_locks
    where expires_at < ${now}
    order by expires_at
    limit ${limit}
    for update skip locked
  ))`;

/**
 * Deletes inventory locks that expired before the slot. Each batch is its own short statement, so a
 * backlog of millions never holds one long transaction; SKIP LOCKED steps around locks a checkout is
 * touching right now, and the row lock re-checks expires_at, so a lock extended meanwhile survives.
 */
export const cleanupExpiredLocks: Task = {
  name: "cleanup-expired-locks",
  cron: "*/5 * * * *",
  schedule: "every 5 minutes",
  priority: "HIGH",
  description: "Delete inventory locks whose expires_at has passed, releasing held stock",
  budgetMs: 25_000,
  deletes: true,
  settingsSchema: Settings,
  async run(deps, now) {
    const { batchSize, softBudgetMs } = parseSettings(Settings, deps.settings, this.name);
    if (deps.dryRun) {
      const res = await deps.db.execute<{ n: number }>(
        sql`select count(*)::int as n from inventory_locks where expires_at < ${now}`,
      );
      return { wouldDelete: res.rows[0]?.n ?? 0 };
    }
    const result = await deleteInBatches(deps, batchSize, softBudgetMs, (limit) => expiredLocksBatch(now, limit));
    return { ...result };
  },
};
