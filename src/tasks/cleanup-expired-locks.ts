import { sql } from "drizzle-orm";
import { z } from "zod";
import type { Task } from "./types";

const Settings = z.object({
  batchSize: z.number().int().min(100).max(50_000).default(5_000),
  /** Stop starting new batches after this long; the rest waits for the next slot. */
  softBudgetMs: z.number().int().min(1_000).max(25_000).default(20_000),
});

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
  async run(deps, now) {
    const { batchSize, softBudgetMs } = Settings.parse(deps.settings);
    if (deps.dryRun) {
      const res = await deps.db.execute<{ n: number }>(
        sql`select count(*)::int as n from inventory_locks where expires_at < ${now}`,
      );
      return { wouldDelete: res.rows[0]?.n ?? 0 };
    }
    const started = deps.clock().getTime();
    let deleted = 0;
    let batches = 0;
    let longestBatchMs = 0;
    for (;;) {
      const t0 = deps.clock().getTime();
      const res = await deps.db.execute(sql`
        delete from inventory_locks
        where id in (
          select id from inventory_locks
          where expires_at < ${now}
          order by expires_at
          limit ${batchSize}
          for update skip locked
        )`);
      const n = res.rowCount ?? 0;
      const t1 = deps.clock().getTime();
      deleted += n;
      batches += 1;
      longestBatchMs = Math.max(longestBatchMs, t1 - t0);
      if (n < batchSize) return { deleted, batches, longestBatchMs, backlogRemains: false };
      if (deps.signal.aborted || t1 - started > softBudgetMs) {
        return { deleted, batches, longestBatchMs, backlogRemains: true };
      }
    }
  },
};
