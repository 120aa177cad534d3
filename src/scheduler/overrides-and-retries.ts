import { sql } from "drizzle-orm";
import { textArray } from "../db/sql-helpers";
import { firesAt, nextRunWithin } from "../lib/cron";
import type { AppDeps } from "../lib/deps";
import type { Task } from "../tasks/types";
import { type RunRecord, runTask } from "./run-task";
import { effectiveSchedule, OVERRIDE_HORIZON_MS } from "./schedule";

export const EVERY_MINUTE = "* * * * *";

/** Backoff between automatic retries: 1, 2, 4 … minutes, at most 30. */
export function retryDelayMs(attempt: number): number {
  return Math.min(30 * 60_000, 60_000 * 2 ** Math.max(0, attempt - 1));
}

type LatestRun = {
  name: string;
  id: string;
  scheduled_at: Date | string;
  status: string;
  finished_at: Date | string | null;
  attempt: number;
  dry_run: boolean;
  retry_of: string | null;
  schedule_override: string | null;
  paused: boolean | null;
};

/**
 * Work the every-minute trigger does besides its own tasks: schedule overrides (cron read in shop
 * time) that fire this minute, and automatic retries of failed runs that are due, until the run
 * succeeds or the task's next regular slot arrives. Every run is recorded like any other.
 */
export async function runOverridesAndRetries(deps: AppDeps, tasks: readonly Task[], slot: Date): Promise<RunRecord[]> {
  const tz = deps.config.BUSINESS_TIMEZONE;
  const res = await deps.db.execute<LatestRun>(sql`
    select t.name, r.id, r.scheduled_at, r.status, r.finished_at, r.attempt, r.dry_run, r.retry_of,
           s.schedule_override, s.paused
    from unnest(${textArray(tasks.map((t) => t.name))}) as t(name)
    left join task_settings s on s.task_name = t.name
    left join lateral (
      select id, scheduled_at, status, finished_at, attempt, dry_run, retry_of from cron_runs
      where task_name = t.name and trigger not in ('manual', 'replay')
      order by scheduled_at desc limit 1
    ) r on true`);
  const jobs: Promise<RunRecord>[] = [];
  for (const row of res.rows) {
    const task = tasks.find((t) => t.name === row.name);
    if (!task || row.paused) continue;
    const sched = effectiveSchedule(task, row.schedule_override, tz, slot);
    if (sched.overridden && firesAt(sched.spec, slot, sched.timeZone)) {
      jobs.push(runTask(deps, task, { slot, trigger: "override" }));
      continue;
    }
    if (row.status !== "failed" || row.dry_run || !row.id || !row.finished_at) continue;
    if (!sched.overridden && task.cron === EVERY_MINUTE) continue; // its next slot is the retry
    const base = new Date(Math.floor(new Date(row.scheduled_at).getTime() / 60_000) * 60_000);
    const nextSlot = nextRunWithin(sched.spec, base, OVERRIDE_HORIZON_MS, sched.timeZone);
    if (!nextSlot || nextSlot.getTime() <= slot.getTime()) continue; // next slot has come
    const due = new Date(row.finished_at).getTime() + retryDelayMs(row.attempt);
    if (slot.getTime() < due) continue;
    jobs.push(
      runTask(deps, task, {
        slot: new Date(base.getTime() + row.attempt),
        taskNow: base,
        trigger: "retry",
        attempt: row.attempt + 1,
        retryOf: row.retry_of ?? row.id,
      }),
    );
  }
  const settled = await Promise.allSettled(jobs);
  return settled.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
}
