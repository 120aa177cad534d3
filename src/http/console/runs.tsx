import { desc, eq } from "drizzle-orm";
import { Hono } from "hono/tiny";
import { cronRuns } from "../../db/schema";
import { formatShopTime } from "../../lib/time";
import type { WithDeps } from "../context";
import { AppError } from "../errors";
import { Badge, duration, Page, Table } from "./shell";

export const runPages = new Hono<WithDeps>();

runPages.get("/runs/:id", async (c) => {
  const deps = c.get("deps");
  const now = deps.clock();
  const tz = deps.config.BUSINESS_TIMEZONE;
  const [run] = await deps.db
    .select()
    .from(cronRuns)
    .where(eq(cronRuns.id, c.req.param("id")));
  if (!run) throw new AppError("not_found", `no run ${c.req.param("id")}`);
  // The task's recent runs, newest slot first (cron_runs_task_slot_uq).
  const recent = await deps.db
    .select({
      id: cronRuns.id,
      status: cronRuns.status,
      scheduledAt: cronRuns.scheduledAt,
      durationMs: cronRuns.durationMs,
      trigger: cronRuns.trigger,
    })
    .from(cronRuns)
    .where(eq(cronRuns.taskName, run.taskName))
    .orderBy(desc(cronRuns.scheduledAt))
    .limit(20);
  const at = (d: Date | null) => (d ? formatShopTime(d, tz) : "—");
  return c.html(
    <Page title={`Run of ${run.taskName}`} now={now} timeZone={tz} notice={c.req.query("done")}>
      <section id="run">
        <h2>
          <a href={`/admin/tasks/${encodeURIComponent(run.taskName)}`}>{run.taskName}</a> <Badge value={run.status} />
          {run.dryRun ? " (dry run)" : ""}
        </h2>
        <dl>
          <dt>Slot</dt>
          <dd>{at(run.scheduledAt)}</dd>
          <dt>Started</dt>
          <dd>{at(run.startedAt)}</dd>
          <dt>Finished</dt>
          <dd>{at(run.finishedAt)}</dd>
          <dt>Duration</dt>
          <dd>{duration(run.durationMs)}</dd>
          <dt>Trigger</dt>
          <dd>
            {run.trigger}
            {run.attempt > 1 ? ` · attempt ${run.attempt}` : ""}
            {run.retryOf ? (
              <>
                {" "}
                · retries <a href={`/admin/runs/${run.retryOf}`}>an earlier run</a>
              </>
            ) : (
              ""
            )}
          </dd>
          <dt>Fired</dt>
          <dd>
            {run.duplicateFires + 1}× {run.takeovers > 0 ? `· taken over ${run.takeovers}×` : ""}
          </dd>
          <dt>Error</dt>
          <dd class={run.error ? "err" : "muted"}>{run.error ?? "none"}</dd>
        </dl>
        <h2 style="margin-top:14px">Result</h2>
        <pre style="white-space:pre-wrap;overflow-wrap:anywhere;font-size:12px">
          {run.result ? JSON.stringify(run.result, null, 2) : "—"}
        </pre>
      </section>
      <section id="recent">
        <h2>Recent runs of {run.taskName}</h2>
        <Table head={["Slot", "Status", "Trigger", "Duration"]}>
          {recent.map((r) => (
            <tr aria-current={r.id === run.id ? "true" : undefined}>
              <td>
                <a href={`/admin/runs/${r.id}`}>{at(r.scheduledAt)}</a>
              </td>
              <td>
                <Badge value={r.status} />
              </td>
              <td>{r.trigger}</td>
              <td>{duration(r.durationMs)}</td>
            </tr>
          ))}
        </Table>
      </section>
    </Page>,
  );
});
