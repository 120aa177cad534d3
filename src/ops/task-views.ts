import { and, desc, eq, gt, isNull, sql } from "drizzle-orm";
import { cronRuns, incidents } from "../db/schema";
import { EMAIL_STATUSES, type EmailStatus } from "../db/statuses";
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

/** Upcoming runs as the API and the console show them: the instant, and the shop's clock. */
export function upcoming(runs: readonly Date[], tz: string): { at: string; shopTime: string }[] {
  return runs.map((d) => ({ at: d.toISOString(), shopTime: formatShopTime(d, tz) }));
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
      nextRuns: h.paused || !sched ? [] : upcoming(nextRunsOf(sched, now, 5), tz),
    };
  });
}

export type RunRow = typeof cronRuns.$inferSelect;

/** A run as the admin API answers it: times as ISO strings, no claim token. */
export function runJson(r: RunRow) {
  const iso = (v: Date | null) => (v === null ? null : v.toISOString());
  return {
    id: r.id,
    taskName: r.taskName,
    scheduledAt: iso(r.scheduledAt),
    status: r.status,
    startedAt: iso(r.startedAt),
    finishedAt: iso(r.finishedAt),
    durationMs: r.durationMs,
    result: r.result,
    error: r.error,
    trigger: r.trigger,
    attempt: r.attempt,
    dryRun: r.dryRun,
    duplicateFires: r.duplicateFires,
    takeovers: r.takeovers,
    retryOf: r.retryOf,
  };
}

/** Run history, newest first (cron_runs_started_idx; by task through cron_runs_task_slot_uq). */
export function recentRuns(
  deps: Pick<AppDeps, "db">,
  opts: { task?: string | undefined; limit: number; status?: string | undefined },
): Promise<RunRow[]> {
  return deps.db
    .select()
    .from(cronRuns)
    .where(
      and(
        opts.task ? eq(cronRuns.taskName, opts.task) : undefined,
        opts.status ? eq(cronRuns.status, opts.status) : undefined,
      ),
    )
    .orderBy(desc(cronRuns.startedAt))
    .limit(opts.limit);
}

/** One run by id. */
export async function runById(deps: Pick<AppDeps, "db">, id: string): Promise<RunRow | null> {
  const [row] = await deps.db.select().from(cronRuns).where(eq(cronRuns.id, id));
  return row ?? null;
}

export async function emailPipelineStats(deps: AppDeps, now: Date) {
  const res = await deps.db.execute<{ status: string; n: number; oldest: Date | string | null }>(sql`
    select status, count(*)::int as n, min(created_at) filter (where status = 'queued') as oldest
    from emails group by status`);
  const counts = Object.fromEntries(EMAIL_STATUSES.map((s) => [s, 0])) as Record<EmailStatus, number>;
  let oldestQueuedAgeSeconds: number | null = null;
  for (const r of res.rows) {
    if (r.status in counts) counts[r.status as EmailStatus] = r.n;
    if (r.oldest) oldestQueuedAgeSeconds = Math.round((now.getTime() - new Date(r.oldest).getTime()) / 1000);
  }
  return { ...counts, oldestQueuedAgeSeconds };
}

export async function openIncidents(deps: Pick<AppDeps, "db">) {
  const rows = await deps.db
    .select({
      key: incidents.key,
      kind: incidents.kind,
      task: incidents.taskName,
      openedAt: incidents.openedAt,
      details: incidents.details,
    })
    .from(incidents)
    .where(isNull(incidents.resolvedAt))
    .orderBy(desc(incidents.openedAt))
    .limit(50);
  return rows.map((r) => ({ ...r, openedAt: r.openedAt.toISOString() }));
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
