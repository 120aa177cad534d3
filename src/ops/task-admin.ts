import { sql } from "drizzle-orm";
import { CronError, type CronSpec, parseCron } from "../lib/cron";
import type { AppDeps } from "../lib/deps";
import { AppError } from "../lib/errors";
import { type RunRecord, runTask } from "../scheduler/run-task";
import { findTask } from "../tasks/registry";
import type { Task } from "../tasks/types";

export function taskOr404(name: string): Task {
  const task = findTask(name);
  if (!task) throw new AppError("not_found", `no task named "${name}"`);
  return task;
}

export async function setPaused(deps: AppDeps, task: Task, paused: boolean, now: Date): Promise<void> {
  await deps.db.execute(sql`
    insert into task_settings (task_name, paused, updated_at) values (${task.name}, ${paused}, ${now})
    on conflict (task_name) do update set paused = excluded.paused, updated_at = excluded.updated_at`);
}

/** Validates settings with the task's own schema; unknown keys are refused, not silently dropped. */
export async function setSettings(
  deps: AppDeps,
  task: Task,
  body: unknown,
  now: Date,
): Promise<Record<string, unknown>> {
  const parsed = task.settingsSchema.strict().safeParse(body);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(settings)"}: ${i.message}`).join("; ");
    throw new AppError("bad_request", `invalid settings for ${task.name}: ${issues}`);
  }
  const stored = body as Record<string, unknown>;
  await deps.db.execute(sql`
    insert into task_settings (task_name, settings, updated_at) values (${task.name}, ${JSON.stringify(stored)}::jsonb, ${now})
    on conflict (task_name) do update set settings = excluded.settings, updated_at = excluded.updated_at`);
  return stored;
}

export function parseOverride(expr: unknown): CronSpec {
  if (typeof expr !== "string" || expr.trim() === "")
    throw new AppError("bad_request", "cron must be a non-empty string");
  try {
    return parseCron(expr);
  } catch (err) {
    throw new AppError("bad_request", `invalid cron: ${err instanceof CronError ? err.message : String(err)}`);
  }
}

export async function setScheduleOverride(deps: AppDeps, task: Task, spec: CronSpec | null, now: Date): Promise<void> {
  await deps.db.execute(sql`
    insert into task_settings (task_name, schedule_override, updated_at) values (${task.name}, ${spec?.source ?? null}, ${now})
    on conflict (task_name) do update set schedule_override = excluded.schedule_override, updated_at = excluded.updated_at`);
}

/**
 * A run asked for by hand: its slot and "now" are the moment it was asked for, or `at` to replay a
 * slot (a replay of a slot that already ran is recorded as a duplicate and does nothing).
 */
export function runNow(deps: AppDeps, task: Task, dryRun: boolean, at?: Date): Promise<RunRecord> {
  return runTask(deps, task, { slot: at ?? deps.clock(), trigger: "manual", dryRun });
}
