import type * as z from "zod/mini";
import type { AppDeps } from "../lib/deps";

export type Priority = "HIGH" | "MEDIUM" | "LOW";

/** A task's counts, stored as cron_runs.result. */
export type TaskResult = Record<string, unknown>;

export interface TaskDeps extends AppDeps {
  /** Aborted when the task's time budget is spent; long loops stop between batches. */
  signal: AbortSignal;
  /** Report what would be deleted or sent, change nothing. */
  dryRun: boolean;
  /** Per-task settings from task_settings.settings (validated by the task). */
  settings: Record<string, unknown>;
}

export interface Task {
  name: string;
  /** UTC cron expression, exactly as in wrangler.toml. */
  cron: string;
  priority: Priority;
  description: string;
  /** Hard wall-time budget; an overrun is stopped and recorded failed (timeout). */
  budgetMs: number;
  /** Tasks that delete support dry runs. */
  deletes: boolean;
  /** The task's settings (task_settings.settings), validated on write by the admin API and on read by the task. */
  settingsSchema: z.ZodMiniObject;
  /** Internal tasks (the watchdog, history pruning) are not part of docs/CONTRACT.md §2. */
  internal?: boolean;
  /** How far back a slot may be replayed by hand (default 7 days). */
  replayWindowMs?: number;
  /** The watchdog watches the pause button itself: it may not be paused. */
  unpausable?: boolean;
  /** `now` is the slot's time, so a replay of a slot gives the same answer. */
  run(deps: TaskDeps, now: Date): Promise<TaskResult>;
}
