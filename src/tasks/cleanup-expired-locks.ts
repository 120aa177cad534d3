import { sql } from "drizzle-orm";
import * as z from "zod/mini";
import { countDoomed } from "./batched-delete";
import { parseSettings } from "./settings";
import type { Task } from "./types";

const Settings = z.object({
  batchSize: z._default(z.int().check(z.minimum(100), z.maximum(100_000)), 10_000),
  /** Heap pages per statement once a backlog is found (at most ~290 rows a page: well under 1 s). */
  pagesPerBatch: z._default(z.int().check(z.minimum(10), z.maximum(5_000)), 500),
  /** Stop starting new batches after this long; the rest waits for the next slot. */
  softBudgetMs: z._default(z.int().check(z.minimum(1_000), z.maximum(25_000)), 20_000),
});

/** What one sweep statement should take, and the most pages it may cover (about 2.3M rows). */
const SWEEP_TARGET_MS = 150;
const MAX_SWEEP_PAGES = 8_000;

/** Steady state: the locks that expired since the last run, found through inventory_locks_expires_idx. */
export const expiredLocksBatch = (now: Date, limit: number) => sql`
  delete from inventory_locks
  where ctid = any(array(
    select ctid from inventory_locks where expires_at < ${now} order by expires_at limit ${limit}
  ))`;

/**
 * Backlog mode: one range of heap pages, read in physical order like a plain DELETE would (an index
 * walk visits a big backlog in random order, at twice the cost). `expires_at` is rechecked on every
 * row, so a lock extended meanwhile survives.
 */
export const expiredLocksPageRange = (now: Date, firstPage: number, pages: number) => sql`
  delete from inventory_locks
  where ctid >= ('(' || ${firstPage}::int || ',0)')::tid
    and ctid < ('(' || ${firstPage + pages}::int || ',0)')::tid
    and expires_at < ${now}`;

/**
 * Deletes inventory locks that expired before the slot. Each batch is its own short statement, so a
 * backlog of millions never holds one long transaction nor blocks checkouts for long.
 */
export const cleanupExpiredLocks: Task = {
  name: "cleanup-expired-locks",
  cron: "*/5 * * * *",
  priority: "HIGH",
  description: "Delete inventory locks whose expires_at has passed, releasing held stock",
  budgetMs: 25_000,
  deletes: true,
  settingsSchema: Settings,
  async run(deps, now) {
    const { batchSize, softBudgetMs, pagesPerBatch } = parseSettings(Settings, deps.settings, this.name);
    if (deps.dryRun) {
      return { wouldDelete: await countDoomed(deps, sql`inventory_locks`, sql`expires_at < ${now}`) };
    }
    const started = deps.clock().getTime();
    let deleted = 0;
    let batches = 0;
    let longestBatchMs = 0;
    const timed = async <T>(work: () => Promise<T>): Promise<T> => {
      const t0 = deps.clock().getTime();
      const out = await work();
      longestBatchMs = Math.max(longestBatchMs, deps.clock().getTime() - t0);
      batches += 1;
      return out;
    };
    const overBudget = () => deps.signal.aborted || deps.clock().getTime() - started > softBudgetMs;

    // Steady state: the few locks that expired since the last run, found through the index.
    const first = (await timed(() => deps.db.execute(expiredLocksBatch(now, batchSize)))).rowCount ?? 0;
    deleted += first;
    if (first < batchSize) return { deleted, batches, longestBatchMs, backlogRemains: false, mode: "index" };

    // A full batch means a backlog: sweep the heap in physical order, a page range per statement.
    const size = await deps.db.execute<{ pages: number }>(
      sql`select (pg_relation_size('inventory_locks') / current_setting('block_size')::int)::int as pages`,
    );
    const pages = size.rows[0]?.pages ?? 0;
    // Page ranges grow towards SWEEP_TARGET_MS per statement (at most 4× a step): a big backlog is a
    // handful of statements instead of dozens, and no statement holds its row locks for long.
    let range = pagesPerBatch;
    let page = 0;
    while (page < pages) {
      if (overBudget()) return { deleted, batches, longestBatchMs, backlogRemains: true, mode: "sweep" };
      const t0 = deps.clock().getTime();
      const res = await timed(() => deps.db.execute(expiredLocksPageRange(now, page, range)));
      deleted += res.rowCount ?? 0;
      page += range;
      const took = Math.max(1, deps.clock().getTime() - t0);
      const aim = Math.round((range * SWEEP_TARGET_MS) / took);
      range = Math.max(pagesPerBatch, Math.min(range * 4, aim, MAX_SWEEP_PAGES));
    }
    return { deleted, batches, longestBatchMs, backlogRemains: false, mode: "sweep" };
  },
};
