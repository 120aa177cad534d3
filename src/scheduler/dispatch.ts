import { sql } from "drizzle-orm";
import { cronRuns } from "../db/schema";
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
    await deps.db
      .insert(cronRuns)
      .values({
        taskName: `unknown-cron:${cron}`,
        scheduledAt: slot,
        status: "failed",
        startedAt: now,
        finishedAt: now,
        durationMs: 0,
        error: `no task is registered for cron "${cron}"`,
        result: { cron },
      })
      .onConflictDoUpdate({
        target: [cronRuns.taskName, cronRuns.scheduledAt],
        set: { duplicateFires: sql`${cronRuns.duplicateFires} + 1` },
      });
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
