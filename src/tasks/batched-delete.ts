import type { SQL } from "drizzle-orm";
import type { TaskDeps } from "./types";

export interface BatchedDeleteResult {
  deleted: number;
  batches: number;
  longestBatchMs: number;
  backlogRemains: boolean;
}

/**
 * Runs a bounded delete statement until it deletes less than a full batch, the task's budget is
 * spent, or its soft budget passes. Every batch is its own short transaction.
 */
export async function deleteInBatches(
  deps: TaskDeps,
  batchSize: number,
  softBudgetMs: number,
  statement: (limit: number) => SQL,
): Promise<BatchedDeleteResult> {
  const started = deps.clock().getTime();
  let deleted = 0;
  let batches = 0;
  let longestBatchMs = 0;
  for (;;) {
    const t0 = deps.clock().getTime();
    const res = await deps.db.execute(statement(batchSize));
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
}
