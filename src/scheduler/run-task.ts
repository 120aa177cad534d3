import { withDeadline } from "../lib/deadline";
import type { AppDeps } from "../lib/deps";
import { errorMessage } from "../lib/errors";
import type { Task, TaskResult } from "../tasks/types";
import { claimSlot, finishRun, type TaskSettingsRow, type Trigger } from "./claims";

export class TaskTimeoutError extends Error {
  constructor(readonly budgetMs: number) {
    super(`timeout: exceeded its ${budgetMs} ms budget`);
    this.name = "TaskTimeoutError";
  }
}

export interface RunOptions {
  slot: Date;
  trigger: Trigger;
  dryRun?: boolean;
  attempt?: number;
  /** Overrides the task's budget (tests, and manual runs with a shorter leash). */
  budgetMs?: number;
  /** The task's "now" when it differs from the recorded slot (a retry records slot + attempt ms). */
  taskNow?: Date;
  retryOf?: string;
}

export interface RunRecord {
  runId: string;
  taskName: string;
  outcome: "succeeded" | "failed" | "skipped" | "duplicate";
  takeover?: boolean;
  result?: TaskResult;
  error?: string;
  durationMs?: number;
}

/** Why a slot is not run: a run asked for by hand always runs; a paused or overridden task's cron is skipped. */
export function skipReason(row: TaskSettingsRow, trigger: Trigger): string | null {
  if (trigger === "manual" || trigger === "replay") return null;
  if (row.paused) return "task is paused";
  if (trigger === "cron" && row.scheduleOverride) return `schedule overridden: ${row.scheduleOverride} (shop time)`;
  return null;
}

/** The task's time budget: an overrun is a TaskTimeoutError, and the task's signal is aborted. */
const withBudget = <T>(budgetMs: number, work: (signal: AbortSignal) => Promise<T>) =>
  withDeadline(budgetMs, work, () => {
    throw new TaskTimeoutError(budgetMs);
  });

/** A statement still running this long after the budget is stopped by Postgres itself. */
const STATEMENT_GRACE_MS = 1_000;

/**
 * Claims the slot, runs the task within its budget, records the outcome. Never throws for the task.
 * The task's statements run on a pool of their own with statement_timeout from the budget, so an
 * overrun stops in Postgres too, not only in our waiting.
 */
export async function runTask(outer: AppDeps, task: Task, opts: RunOptions): Promise<RunRecord> {
  const deps = outer.withStatementTimeout((opts.budgetMs ?? task.budgetMs) + STATEMENT_GRACE_MS);
  try {
    return await runOnPool(deps, task, opts);
  } finally {
    await deps.close();
  }
}

async function runOnPool(deps: AppDeps, task: Task, opts: RunOptions): Promise<RunRecord> {
  const log = deps.log.child({ task: task.name, slot: opts.slot.toISOString(), trigger: opts.trigger });
  const token = crypto.randomUUID();
  const startedAt = deps.clock();
  const claim = await claimSlot(deps.db, {
    taskName: task.name,
    slot: opts.slot,
    startedAt,
    trigger: opts.trigger,
    token,
    skipReason: (row) => skipReason(row, opts.trigger),
    dryRun: opts.dryRun ?? false,
    attempt: opts.attempt ?? 1,
    retryOf: opts.retryOf ?? null,
  });
  if (claim.kind === "duplicate") {
    log.info("task.duplicate", { runId: claim.runId, existingStatus: claim.status });
    return { runId: claim.runId, taskName: task.name, outcome: "duplicate" };
  }
  if (claim.kind === "skipped") {
    log.info("task.skipped", { runId: claim.runId, reason: claim.reason });
    return { runId: claim.runId, taskName: task.name, outcome: "skipped" };
  }
  log.info("task.start", { runId: claim.runId, takeover: claim.takeover });
  const { settings } = claim.taskSettings;
  const budgetMs = opts.budgetMs ?? task.budgetMs;
  let outcome: "succeeded" | "failed";
  let result: TaskResult | undefined;
  let error: string | undefined;
  try {
    result = await withBudget(budgetMs, (signal) =>
      task.run({ ...deps, signal, dryRun: opts.dryRun ?? false, settings }, opts.taskNow ?? opts.slot),
    );
    outcome = "succeeded";
  } catch (err) {
    outcome = "failed";
    error = errorMessage(err);
  }
  const finishedAt = deps.clock();
  const durationMs = Math.max(0, finishedAt.getTime() - startedAt.getTime());
  const owned = await finishRun(deps.db, {
    runId: claim.runId,
    token,
    status: outcome,
    finishedAt,
    durationMs,
    result: result ?? null,
    error: error ?? null,
  });
  if (outcome === "failed") log.error("task.error", { runId: claim.runId, durationMs, error });
  else log.info("task.end", { runId: claim.runId, durationMs, result });
  if (!owned) log.warn("task.lost_claim", { runId: claim.runId });
  return {
    runId: claim.runId,
    taskName: task.name,
    outcome,
    takeover: claim.takeover,
    durationMs,
    ...(result ? { result } : {}),
    ...(error ? { error } : {}),
  };
}
