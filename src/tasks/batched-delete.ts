import { type SQL, sql } from "drizzle-orm";
import type { TaskDeps } from "./types";

export interface BatchLoopResult {
  batches: number;
  longestBatchMs: number;
  /** Stopped by the budget (or the task's abort) with work left. */
  backlogRemains: boolean;
}

/**
 * The one "in batches until done or the budget is spent" loop. `step` does one batch (its own short
 * transaction) and says whether more may be waiting; the loop stops when it says no, when the task
 * is aborted, or when `softBudgetMs` has passed since the first batch.
 */
export async function batchUntilBudget(
  deps: Pick<TaskDeps, "clock" | "signal">,
  softBudgetMs: number,
  step: () => Promise<{ more: boolean }>,
): Promise<BatchLoopResult> {
  const started = deps.clock().getTime();
  let batches = 0;
  let longestBatchMs = 0;
  for (;;) {
    const t0 = deps.clock().getTime();
    const { more } = await step();
    const t1 = deps.clock().getTime();
    batches += 1;
    longestBatchMs = Math.max(longestBatchMs, t1 - t0);
    if (!more) return { batches, longestBatchMs, backlogRemains: false };
    if (deps.signal.aborted || t1 - started > softBudgetMs) return { batches, longestBatchMs, backlogRemains: true };
  }
}

export interface BatchedDeleteResult extends BatchLoopResult {
  deleted: number;
}

/** A bounded delete statement, run in batches until one deletes less than a full batch. */
export async function deleteInBatches(
  deps: TaskDeps,
  batchSize: number,
  softBudgetMs: number,
  statement: (limit: number) => SQL,
): Promise<BatchedDeleteResult> {
  let deleted = 0;
  const loop = await batchUntilBudget(deps, softBudgetMs, async () => {
    const n = (await deps.db.execute(statement(batchSize))).rowCount ?? 0;
    deleted += n;
    return { more: n >= batchSize };
  });
  return { deleted, ...loop };
}

/**
 * A dry run's answer: how many rows a cleanup would delete now, counted with the same predicate its
 * batches delete by (`from` may carry an alias the predicate uses, e.g. `users u`).
 */
export async function countDoomed(deps: Pick<TaskDeps, "db">, from: SQL, where: SQL): Promise<number> {
  const res = await deps.db.execute<{ n: number }>(sql`select count(*)::int as n from ${from} where ${where}`);
  return res.rows[0]?.n ?? 0;
}
