import { type SQL, sql } from "drizzle-orm";
import { textArray } from "../db/sql-helpers";
import { previousRun } from "../lib/cron";
import type { AppDeps } from "../lib/deps";
import { maskPersonalData } from "../lib/log";
import { describeSchedule, effectiveSchedule, graceMs, nextRunsOf } from "../scheduler/schedule";
import type { Task } from "../tasks/types";

export interface TaskHealth {
  name: string;
  priority: Task["priority"];
  description: string;
  internal: boolean;
  schedule: { cron: string; timezone: "UTC"; description: string; override: string | null };
  /** A stored value this task cannot use (shown on the task; never a failure of the whole page). */
  configError: string | null;
  paused: boolean;
  status: "ok" | "running" | "failing" | "overdue" | "paused" | "never_run";
  lastRun: {
    status: string;
    scheduledAt: string;
    startedAt: string;
    finishedAt: string | null;
    durationMs: number | null;
    trigger: string;
  } | null;
  lastSuccess: string | null;
  lastFailure: { at: string; error: string | null } | null;
  durationMs: number | null;
  consecutiveFailures: number;
  stats24h: { runs: number; failures: number; failureRate: number; p50Ms: number | null; p95Ms: number | null };
  recentDurationsMs: number[];
  nextRunAt: string | null;
  expectedSlot: string | null;
  overdue: boolean;
  settings: Record<string, unknown>;
}

type Row = {
  name: string;
  paused: boolean | null;
  schedule_override: string | null;
  settings: Record<string, unknown> | null;
  last_status: string | null;
  last_scheduled_at: Date | string | null;
  last_started_at: Date | string | null;
  last_finished_at: Date | string | null;
  last_duration_ms: number | null;
  last_trigger: string | null;
  last_success_slot: Date | string | null;
  last_failure_at: Date | string | null;
  last_failure_error: string | null;
  recent: string[] | null;
  durations: number[] | null;
  runs: number | null;
  failures: number | null;
  p50: number | null;
  p95: number | null;
  installed_at: Date | string | null;
};

const iso = (v: Date | string | null) => (v === null ? null : new Date(v).toISOString());

/**
 * One query for every task's state: the latest run, success and failure come from the
 * (task_name, status, scheduled_at) index, the 24-hour figures from the started_at index (checked on
 * a year of runs by test/tasks/index-plans.test.ts).
 */
export function healthQuery(taskNames: readonly string[], since: Date): SQL {
  return sql`
    with t(name) as (select unnest(${textArray(taskNames)})),
    stats as (
      select task_name, count(*)::int as runs, count(*) filter (where status = 'failed')::int as failures,
             percentile_cont(0.5) within group (order by duration_ms) as p50,
             percentile_cont(0.95) within group (order by duration_ms) as p95
      from cron_runs
      where started_at >= ${since} and status in ('succeeded', 'failed') and task_name = any(${textArray(taskNames)})
      group by task_name
    )
    select t.name, s.paused, s.schedule_override, s.settings,
           lr.status as last_status, lr.scheduled_at as last_scheduled_at, lr.started_at as last_started_at,
           lr.finished_at as last_finished_at, lr.duration_ms as last_duration_ms, lr.trigger as last_trigger,
           ls.scheduled_at as last_success_slot, lf.finished_at as last_failure_at, lf.error as last_failure_error,
           array(select status from cron_runs r where r.task_name = t.name and r.status in ('succeeded', 'failed')
                 and r.dry_run = false order by r.scheduled_at desc limit 10) as recent,
           array(select duration_ms from cron_runs r where r.task_name = t.name and r.status in ('succeeded', 'failed')
                 and r.duration_ms is not null order by r.scheduled_at desc limit 30) as durations,
           st.runs, st.failures, st.p50, st.p95,
           (select min(started_at) from cron_runs) as installed_at
    from t
    left join task_settings s on s.task_name = t.name
    left join lateral (select * from cron_runs r where r.task_name = t.name order by r.scheduled_at desc limit 1) lr on true
    left join lateral (select scheduled_at from cron_runs r where r.task_name = t.name and r.status = 'succeeded'
                       and r.dry_run = false order by r.scheduled_at desc limit 1) ls on true
    left join lateral (select finished_at, error from cron_runs r where r.task_name = t.name and r.status = 'failed'
                       order by r.scheduled_at desc limit 1) lf on true
    left join stats st on st.task_name = t.name`;
}

export async function computeHealth(deps: AppDeps, tasks: readonly Task[], now: Date): Promise<TaskHealth[]> {
  const since = new Date(now.getTime() - 86_400_000);
  const res = await deps.db.execute<Row>(
    healthQuery(
      tasks.map((x) => x.name),
      since,
    ),
  );
  const rows = new Map(res.rows.map((r) => [r.name, r]));
  const tz = deps.config.BUSINESS_TIMEZONE;
  return tasks.map((task) => {
    const r = rows.get(task.name);
    const override = r?.schedule_override ?? null;
    const sched = effectiveSchedule(task, override, tz, now);
    const paused = r?.paused ?? false;
    const expected = previousRun(sched.spec, new Date(now.getTime() - graceMs(sched, now)), sched.timeZone);
    const installedAt = r?.installed_at ? new Date(r.installed_at).getTime() : null;
    const lastSuccess = r?.last_success_slot ? new Date(r.last_success_slot).getTime() : null;
    // Before anything ever ran there is no history to be late against (a fresh install).
    const overdue =
      !paused &&
      expected !== null &&
      installedAt !== null &&
      expected.getTime() >= installedAt - 60_000 &&
      (lastSuccess === null || lastSuccess < expected.getTime());
    const recent = r?.recent ?? [];
    const consecutiveFailures =
      recent.findIndex((s) => s !== "failed") === -1 ? recent.length : recent.findIndex((s) => s !== "failed");
    const runs = r?.runs ?? 0;
    const failures = r?.failures ?? 0;
    const lastRun = r?.last_status
      ? {
          status: r.last_status,
          scheduledAt: iso(r.last_scheduled_at) ?? "",
          startedAt: iso(r.last_started_at) ?? "",
          finishedAt: iso(r.last_finished_at),
          durationMs: r.last_duration_ms,
          trigger: r.last_trigger ?? "cron",
        }
      : null;
    const status: TaskHealth["status"] = paused
      ? "paused"
      : overdue
        ? "overdue"
        : lastRun?.status === "failed"
          ? "failing"
          : lastRun?.status === "running"
            ? "running"
            : lastRun
              ? "ok"
              : "never_run";
    return {
      name: task.name,
      priority: task.priority,
      description: task.description,
      internal: task.internal ?? false,
      schedule: { cron: task.cron, timezone: "UTC", description: describeSchedule(sched, tz), override },
      configError: sched.configError,
      paused,
      status,
      lastRun,
      lastSuccess: iso(r?.last_success_slot ?? null),
      lastFailure: r?.last_failure_at
        ? {
            at: iso(r.last_failure_at) ?? "",
            error: r.last_failure_error ? maskPersonalData(r.last_failure_error) : null,
          }
        : null,
      durationMs: lastRun?.durationMs ?? null,
      consecutiveFailures,
      stats24h: {
        runs,
        failures,
        failureRate: runs === 0 ? 0 : Math.round((failures / runs) * 1000) / 1000,
        p50Ms: r?.p50 === null || r?.p50 === undefined ? null : Math.round(r.p50),
        p95Ms: r?.p95 === null || r?.p95 === undefined ? null : Math.round(r.p95),
      },
      recentDurationsMs: [...(r?.durations ?? [])].reverse(),
      nextRunAt: paused ? null : (nextRunsOf(sched, now, 1)[0]?.toISOString() ?? null),
      expectedSlot: expected?.toISOString() ?? null,
      overdue,
      settings: r?.settings ?? {},
    };
  });
}

/** 503 when a HIGH task (locks, payments) is overdue or its last run failed. */
/**
 * The shop's background work in one word, for /api/health/cron and the console alike: "unhealthy"
 * when a HIGH-priority task is overdue or its last run failed; "degraded" when a HIGH task is paused
 * or any task is late, failing or misconfigured; else "ok".
 */
export function overallStatus(tasks: readonly TaskHealth[]): "ok" | "degraded" | "unhealthy" {
  if (tasks.some((t) => t.priority === "HIGH" && !t.paused && (t.overdue || t.lastRun?.status === "failed"))) {
    return "unhealthy";
  }
  const degraded = tasks.some(
    (t) => t.overdue || t.lastRun?.status === "failed" || t.configError !== null || (t.paused && t.priority === "HIGH"),
  );
  return degraded ? "degraded" : "ok";
}
