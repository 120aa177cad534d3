import { sql } from "drizzle-orm";
import type { AppDeps } from "../lib/deps";
import type { Task } from "../tasks/types";
import { type RunRecord, runTask } from "./run-task";

/** Slots are minutes: two firings for the same minute are the same slot, whatever their milliseconds. */
export function slotOf(scheduledTime: number): Date {
  return new Date(Math.floor(scheduledTime / 60_000) * 60_000);
}

/**
 * Runs every task registered for `cron` for one slot, side by side: one task failing or overrunning
 * never stops its siblings. An unknown cron string is logged and recorded, never thrown.
 */
export async function runCron(
  deps: AppDeps,
  tasks: readonly Task[],
  cron: string,
  scheduledTime: number,
): Promise<RunRecord[]> {
  const slot = slotOf(scheduledTime);
  const due = tasks.filter((t) => t.cron === cron);
  if (due.length === 0) {
    deps.log.error("cron.unknown", { cron, slot: slot.toISOString() });
    const now = deps.clock();
    await deps.db.execute(sql`
      insert into cron_runs (task_name, scheduled_at, status, started_at, finished_at, duration_ms, error, result)
      values (${`unknown-cron:${cron}`}, ${slot}, 'failed', ${now}, ${now}, 0,
              ${`no task is registered for cron "${cron}"`}, ${JSON.stringify({ cron })}::jsonb)
      on conflict (task_name, scheduled_at) do update set duplicate_fires = cron_runs.duplicate_fires + 1`);
    return [];
  }
  const settled = await Promise.allSettled(due.map((task) => runTask(deps, task, { slot, trigger: "cron" })));
  return settled.map((s, i) => {
    if (s.status === "fulfilled") return s.value;
    // Only the bookkeeping itself can land here (database unreachable while claiming).
    const taskName = due[i]?.name ?? "unknown";
    deps.log.error("task.unrecorded", { task: taskName, error: String(s.reason) });
    return { runId: "", taskName, outcome: "failed", error: String(s.reason) };
  });
}
