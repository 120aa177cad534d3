import { desc, gt, sql } from "drizzle-orm";
import { incidents } from "../db/schema";
import type { AppDeps } from "../lib/deps";
import { formatShopTime } from "../lib/time";
import { effectiveSchedule, nextRunsOf } from "../scheduler/schedule";
import type { Task } from "../tasks/types";
import { computeHealth, type TaskHealth } from "./health";
import { TASKS } from "./registry";

export interface TaskView extends TaskHealth {
  deletes: boolean;
  pausable: boolean;
  nextRuns: { at: string; shopTime: string }[];
}

export async function taskViews(deps: AppDeps, now: Date, tasks: readonly Task[] = TASKS): Promise<TaskView[]> {
  const health = await computeHealth(deps, tasks, now);
  const tz = deps.config.BUSINESS_TIMEZONE;
  return health.map((h) => {
    const task = tasks.find((t) => t.name === h.name);
    const sched = task ? effectiveSchedule(task, h.schedule.override, tz, now) : null;
    return {
      ...h,
      deletes: task?.deletes ?? false,
      pausable: !(task?.unpausable ?? false),
      nextRuns:
        h.paused || !sched
          ? []
          : nextRunsOf(sched, now, 5).map((d) => ({ at: d.toISOString(), shopTime: formatShopTime(d, tz) })),
    };
  });
}

export type RunRow = {
  id: string;
  task_name: string;
  scheduled_at: Date | string;
  status: string;
  started_at: Date | string;
  finished_at: Date | string | null;
  duration_ms: number | null;
  result: Record<string, unknown> | null;
  error: string | null;
  trigger: string;
  attempt: number;
  dry_run: boolean;
  duplicate_fires: number;
  takeovers: number;
  retry_of: string | null;
};

export function runJson(r: RunRow) {
  const iso = (v: Date | string | null) => (v === null ? null : new Date(v).toISOString());
  return {
    id: r.id,
    taskName: r.task_name,
    scheduledAt: iso(r.scheduled_at),
    status: r.status,
    startedAt: iso(r.started_at),
    finishedAt: iso(r.finished_at),
    durationMs: r.duration_ms,
    result: r.result,
    error: r.error,
    trigger: r.trigger,
    attempt: r.attempt,
    dryRun: r.dry_run,
    duplicateFires: r.duplicate_fires,
    takeovers: r.takeovers,
    retryOf: r.retry_of,
  };
}

export async function recentRuns(
  deps: AppDeps,
  opts: { task?: string; limit: number; status?: string },
): Promise<RunRow[]> {
  const res = await deps.db.execute<RunRow>(sql`
    select id, task_name, scheduled_at, status, started_at, finished_at, duration_ms, result, error, trigger,
           attempt, dry_run, duplicate_fires, takeovers, retry_of
    from cron_runs
    where (${opts.task ?? null}::text is null or task_name = ${opts.task ?? null})
      and (${opts.status ?? null}::text is null or status = ${opts.status ?? null})
    order by started_at desc
    limit ${opts.limit}`);
  return res.rows;
}

export async function emailPipelineStats(deps: AppDeps, now: Date) {
  const res = await deps.db.execute<{ status: string; n: number; oldest: Date | string | null }>(sql`
    select status, count(*)::int as n, min(created_at) filter (where status = 'queued') as oldest
    from emails group by status`);
  const counts = { queued: 0, sent: 0, failed: 0, dead: 0 };
  let oldestQueuedAgeSeconds: number | null = null;
  for (const r of res.rows) {
    if (r.status in counts) counts[r.status as keyof typeof counts] = r.n;
    if (r.oldest) oldestQueuedAgeSeconds = Math.round((now.getTime() - new Date(r.oldest).getTime()) / 1000);
  }
  return { ...counts, oldestQueuedAgeSeconds };
}

export async function openIncidents(deps: AppDeps) {
  const res = await deps.db.execute<{
    key: string;
    kind: string;
    task_name: string | null;
    opened_at: Date | string;
    details: Record<string, unknown>;
  }>(
    sql`select key, kind, task_name, opened_at, details from incidents where resolved_at is null order by opened_at desc limit 50`,
  );
  return res.rows.map((r) => ({
    key: r.key,
    kind: r.kind,
    task: r.task_name,
    openedAt: new Date(r.opened_at).toISOString(),
    details: r.details,
  }));
}

/** Incidents cleared in the last week, newest first. */
export async function recentIncidents(deps: AppDeps, now: Date) {
  return deps.db
    .select({
      kind: incidents.kind,
      task: incidents.taskName,
      openedAt: incidents.openedAt,
      resolvedAt: incidents.resolvedAt,
    })
    .from(incidents)
    .where(gt(incidents.resolvedAt, new Date(now.getTime() - 7 * 86_400_000)))
    .orderBy(desc(incidents.resolvedAt))
    .limit(20);
}
