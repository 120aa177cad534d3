import { sql } from "drizzle-orm";
import * as z from "zod/mini";
import { sendOpsAlert } from "../alerts/ops-alert";
import { taskSettings } from "../db/schema";
import { type CronSpec, parseCron } from "../lib/cron";
import type { AppDeps } from "../lib/deps";
import { describeIssues } from "../lib/validation";
import { type RunRecord, runTask } from "../scheduler/run-task";
import { overrideProblem } from "../scheduler/schedule";
import type { Task } from "../tasks/types";
import { Refusal } from "./refusal";
import { findTask } from "./registry";

export function knownTask(name: string): Task {
  const task = findTask(name);
  if (!task) throw new Refusal("unknown", `no task named "${name}"`);
  return task;
}

/**
 * Pauses or resumes a task. The watchdog cannot be paused (it is what notices everything else
 * stopping). Pausing or resuming a HIGH task tells the admins, once per change: a paused reconciler
 * means payments go unsettled. Returns whether anything changed.
 */
export async function setPaused(deps: AppDeps, task: Task, paused: boolean, now: Date): Promise<boolean> {
  if (paused && task.unpausable) {
    throw new Refusal("conflict", `${task.name} cannot be paused: it is what notices other tasks stopping`);
  }
  // Only the request that flips the flag gets a row back (the row lock orders two clicks): one alert.
  const res = await deps.db.execute<{ inserted: boolean }>(sql`
    insert into task_settings (task_name, paused, updated_at) values (${task.name}, ${paused}, ${now})
    on conflict (task_name) do update set paused = excluded.paused, updated_at = excluded.updated_at
    where task_settings.paused is distinct from excluded.paused
    returning (xmax = 0) as inserted`);
  const row = res.rows[0];
  // A first row written as "not paused" changes nothing (that is the default).
  const changed = row !== undefined && (!row.inserted || paused);
  if (changed && task.priority === "HIGH") {
    await sendOpsAlert(
      deps,
      {
        key: `${paused ? "paused" : "resumed"}/${task.name}/${now.toISOString()}`,
        title: `${task.name} ${paused ? "paused" : "resumed"} by an operator`,
        message: paused
          ? `${task.description}. Its slots are now skipped until it is resumed; /api/health/cron shows it degraded.`
          : `${task.description}. It runs on its schedule again.`,
        severity: paused ? "warning" : "info",
        task: task.name,
      },
      now,
    );
  }
  return changed;
}

/** Validates settings with the task's own schema; unknown keys are refused, not silently dropped. */
export async function setSettings(
  deps: AppDeps,
  task: Task,
  body: unknown,
  now: Date,
): Promise<Record<string, unknown>> {
  const parsed = z.strictObject(task.settingsSchema.shape).safeParse(body);
  if (!parsed.success) {
    const issues = describeIssues(parsed.error, 5, "(settings)");
    throw new Refusal("invalid", `invalid settings for ${task.name}: ${issues}`);
  }
  const stored = body as Record<string, unknown>;
  await deps.db
    .insert(taskSettings)
    .values({ taskName: task.name, settings: stored, updatedAt: now })
    .onConflictDoUpdate({ target: taskSettings.taskName, set: { settings: stored, updatedAt: now } });
  return stored;
}

/** A schedule override as typed by an operator: refused unless it parses and fires within a year. */
export function parseOverride(expr: unknown, now: Date, shopTimeZone: string): CronSpec {
  if (typeof expr !== "string" || expr.trim() === "" || expr.length > 200)
    throw new Refusal("invalid", "cron must be a non-empty string of at most 200 characters");
  const problem = overrideProblem(expr, now, shopTimeZone);
  if (problem) throw new Refusal("invalid", problem);
  return parseCron(expr);
}

export async function setScheduleOverride(deps: AppDeps, task: Task, spec: CronSpec | null, now: Date): Promise<void> {
  const scheduleOverride = spec?.source ?? null;
  await deps.db
    .insert(taskSettings)
    .values({ taskName: task.name, scheduleOverride, updatedAt: now })
    .onConflictDoUpdate({ target: taskSettings.taskName, set: { scheduleOverride, updatedAt: now } });
}

/** How far a manual `at` may lie ahead of our clock (the operator's clock may be a little ahead). */
const CLOCK_SKEW_MS = 2 * 60_000;
/** How far back a slot may be replayed unless the task says otherwise. */
const DEFAULT_REPLAY_WINDOW_MS = 7 * 86_400_000;

export interface ManualRun {
  dryRun: boolean;
  /** The moment to run "as of"; in the past only, within the task's replay window. */
  at?: Date;
  /** A real run for a past slot must say so: it takes that slot (the cron's own firing for it is then a duplicate). */
  replay?: boolean;
}

/**
 * A run asked for by hand. Its "now" is the moment it was asked for, or `at` (never in the future: a
 * future "now" would treat live locks as expired and unfinished days as over). A dry run records its
 * report at the moment asked, so it never takes a real slot; a real run at `at` is a replay of that
 * slot, recorded with trigger "replay".
 */
export function runNow(deps: AppDeps, task: Task, run: ManualRun): Promise<RunRecord> {
  const now = deps.clock();
  const { at } = run;
  if (at) {
    if (at.getTime() > now.getTime() + CLOCK_SKEW_MS) {
      throw new Refusal(
        "invalid",
        `at (${at.toISOString()}) is in the future: a run can only be as of now or a past slot`,
      );
    }
    const window = task.replayWindowMs ?? DEFAULT_REPLAY_WINDOW_MS;
    if (at.getTime() < now.getTime() - window) {
      throw new Refusal(
        "invalid",
        `at (${at.toISOString()}) is older than ${task.name} can replay (${Math.round(window / 86_400_000)} days)`,
      );
    }
    if (!run.dryRun && !run.replay) {
      throw new Refusal(
        "invalid",
        "a real run at a past slot replays that slot (the cron's own firing for it will then do nothing): ask for it with replay=true, or use dryRun=true",
      );
    }
  }
  if (run.dryRun) return runTask(deps, task, { slot: now, taskNow: at ?? now, trigger: "manual", dryRun: true });
  if (at) return runTask(deps, task, { slot: at, trigger: "replay" });
  return runTask(deps, task, { slot: now, trigger: "manual" });
}
