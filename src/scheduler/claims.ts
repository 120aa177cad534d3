import { sql } from "drizzle-orm";
import type { Db } from "../db/client";
import type { TaskResult } from "../tasks/types";

/** A claim left `running` longer than this belongs to a Worker that died; it may be taken over. */
export const CLAIM_LEASE_MS = 30 * 60 * 1000;

export type Trigger = "cron" | "manual" | "replay" | "retry" | "override";

export type ClaimOutcome =
  | { kind: "claimed"; runId: string; takeover: boolean }
  | { kind: "skipped"; runId: string }
  | { kind: "duplicate"; runId: string; status: string };

export interface ClaimRequest {
  taskName: string;
  slot: Date;
  startedAt: Date;
  trigger: Trigger;
  token: string;
  /** Record the slot as skipped with this reason instead of running it (paused, overridden). */
  skipReason: string | null;
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
  const skipped = r.skipReason !== null;
  const status = skipped ? "skipped" : "running";
  const leaseCutoff = new Date(r.startedAt.getTime() - CLAIM_LEASE_MS);
  const res = await db.execute<{ id: string; claim_token: string; status: string; took_over: boolean }>(sql`
    insert into cron_runs (task_name, scheduled_at, status, started_at, trigger, claim_token, dry_run, attempt,
                           retry_of, finished_at, duration_ms, error)
    values (${r.taskName}, ${r.slot}, ${status}, ${r.startedAt}, ${r.trigger}, ${r.token}, ${r.dryRun},
            ${r.attempt ?? 1}, ${r.retryOf ?? null},
            ${skipped ? r.startedAt : null}, ${skipped ? 0 : null}, ${r.skipReason})
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
    returning id, claim_token, status, (takeovers > 0 and claim_token = ${r.token}) as took_over`);
  const row = res.rows[0];
  if (!row) throw new Error(`claim of ${r.taskName} returned no row`);
  if (row.claim_token !== r.token) return { kind: "duplicate", runId: row.id, status: row.status };
  if (row.status === "skipped") return { kind: "skipped", runId: row.id };
  return { kind: "claimed", runId: row.id, takeover: row.took_over };
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
