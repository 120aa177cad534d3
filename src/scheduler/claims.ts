import { sql } from "drizzle-orm";
import type { Db } from "../db/client";
import type { TaskResult } from "../tasks/types";

/** A claim left `running` longer than this belongs to a Worker that died; it may be taken over. */
export const CLAIM_LEASE_MS = 30 * 60 * 1000;

export type Trigger = "cron" | "manual" | "replay" | "retry" | "override";

/** The task's row of task_settings, read by the claim itself (defaults when it has none). */
export interface TaskSettingsRow {
  paused: boolean;
  settings: Record<string, unknown>;
  scheduleOverride: string | null;
}

export type ClaimOutcome = (
  | { kind: "claimed"; runId: string; takeover: boolean }
  | { kind: "skipped"; runId: string; reason: string }
  | { kind: "duplicate"; runId: string; status: string }
) & { taskSettings: TaskSettingsRow };

export interface ClaimRequest {
  taskName: string;
  slot: Date;
  startedAt: Date;
  trigger: Trigger;
  token: string;
  /**
   * Whether the slot is skipped (paused, overridden) is decided from the task's settings, which this
   * same statement reads: one round trip for both. The rule stays in TypeScript (run-task.ts).
   */
  skipReason(settings: TaskSettingsRow): string | null;
  dryRun: boolean;
  attempt?: number;
  retryOf?: string | null;
}

/**
 * Claims (task, slot) in one statement. The unique key makes a second firing of the same slot, or a
 * concurrent invocation, a no-op that is still visible (duplicate_fires). A `running` claim older
 * than the lease is taken over in the same statement, so two rescuers cannot both win.
 */
export async function claimSlot(db: Db, r: ClaimRequest): Promise<ClaimOutcome> {
  const leaseCutoff = new Date(r.startedAt.getTime() - CLAIM_LEASE_MS);
  type Row = {
    id: string;
    claim_token: string;
    status: string;
    took_over: boolean;
    paused: boolean | null;
    settings: Record<string, unknown> | null;
    schedule_override: string | null;
  };
  const res = await db.execute<Row>(sql`
    with claim as (
      insert into cron_runs (task_name, scheduled_at, status, started_at, trigger, claim_token, dry_run, attempt, retry_of)
      values (${r.taskName}, ${r.slot}, 'running', ${r.startedAt}, ${r.trigger}, ${r.token}, ${r.dryRun},
              ${r.attempt ?? 1}, ${r.retryOf ?? null})
      on conflict (task_name, scheduled_at) do update set
        status      = case when cron_runs.status = 'running' and cron_runs.started_at < ${leaseCutoff}
                           then 'running' else cron_runs.status end,
        claim_token = case when cron_runs.status = 'running' and cron_runs.started_at < ${leaseCutoff}
                           then excluded.claim_token else cron_runs.claim_token end,
        started_at  = case when cron_runs.status = 'running' and cron_runs.started_at < ${leaseCutoff}
                           then excluded.started_at else cron_runs.started_at end,
        takeovers   = cron_runs.takeovers
                      + case when cron_runs.status = 'running' and cron_runs.started_at < ${leaseCutoff}
                             then 1 else 0 end,
        duplicate_fires = cron_runs.duplicate_fires
                      + case when cron_runs.status = 'running' and cron_runs.started_at < ${leaseCutoff}
                             then 0 else 1 end
      returning id, claim_token, status, (takeovers > 0 and claim_token = ${r.token}) as took_over)
    select claim.*, s.paused, s.settings, s.schedule_override
    from claim left join task_settings s on s.task_name = ${r.taskName}`);
  const row = res.rows[0];
  if (!row) throw new Error(`claim of ${r.taskName} returned no row`);
  const taskSettings: TaskSettingsRow = {
    paused: row.paused ?? false,
    settings: row.settings ?? {},
    scheduleOverride: row.schedule_override,
  };
  if (row.claim_token !== r.token) return { kind: "duplicate", runId: row.id, status: row.status, taskSettings };
  const skip = r.skipReason(taskSettings);
  if (skip !== null) {
    // Rare (a paused or overridden task's own cron): only then a second statement, still ours alone.
    await db.execute(sql`
      update cron_runs set status = 'skipped', finished_at = started_at, duration_ms = 0, error = ${skip}
      where id = ${row.id} and claim_token = ${r.token}`);
    return { kind: "skipped", runId: row.id, reason: skip, taskSettings };
  }
  return { kind: "claimed", runId: row.id, takeover: row.took_over, taskSettings };
}

export interface FinishRequest {
  runId: string;
  token: string;
  status: "succeeded" | "failed";
  finishedAt: Date;
  durationMs: number;
  result?: TaskResult | null;
  error?: string | null;
}

/** Only the claim's owner may finish it: a zombie that lost its lease cannot overwrite the rescuer. */
export async function finishRun(db: Db, f: FinishRequest): Promise<boolean> {
  const res = await db.execute(sql`
    update cron_runs set status = ${f.status}, finished_at = ${f.finishedAt}, duration_ms = ${f.durationMs},
      result = ${f.result ? JSON.stringify(f.result) : null}::jsonb, error = ${f.error ?? null}
    where id = ${f.runId} and claim_token = ${f.token} and status = 'running'`);
  return (res.rowCount ?? 0) === 1;
}
