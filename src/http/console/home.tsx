import type { FC } from "hono/jsx";
import { Hono } from "hono/tiny";
import { formatShopTime } from "../../lib/time";
import { overallStatus } from "../../ops/health";
import { flaggedCount } from "../../ops/payment-reviews";
import { emailPipelineStats, openIncidents, recentRuns, runJson, type TaskView, taskViews } from "../../ops/task-views";
import type { WithDeps } from "../context";
import { EmailPipeline } from "./emails";
import { duration as ms, Page, Table } from "./shell";

export const homePage = new Hono<WithDeps>();

const DOT: Record<TaskView["status"], string> = {
  ok: "#2e9d4f",
  running: "#2f6fd6",
  failing: "#d43c3c",
  overdue: "#e08a00",
  paused: "#9a9a9a",
  never_run: "#c8c8c8",
};

const Sparkline: FC<{ values: number[] }> = ({ values }) => {
  if (values.length < 2) return <span class="muted">—</span>;
  const max = Math.max(...values, 1);
  const points = values
    .map((v, i) => `${((i / (values.length - 1)) * 100).toFixed(1)},${(22 - (v / max) * 20).toFixed(1)}`)
    .join(" ");
  return (
    <svg
      class="spark"
      viewBox="0 0 100 24"
      width="100"
      height="24"
      role="img"
      aria-label={`recent durations, max ${max} ms`}
    >
      <polyline points={points} fill="none" stroke="#7a4b2a" stroke-width="1.5" />
    </svg>
  );
};

homePage.get("/", async (c) => {
  const deps = c.get("deps");
  const now = deps.clock();
  const tz = deps.config.BUSINESS_TIMEZONE;
  const task = c.req.query("task");
  const [tasks, runs, emails, incidents, flagged] = await Promise.all([
    taskViews(deps, now),
    recentRuns(deps, { limit: 30, ...(task ? { task } : {}) }),
    emailPipelineStats(deps, now),
    openIncidents(deps),
    flaggedCount(deps),
  ]);
  const overall = overallStatus(tasks);
  const localStubs =
    deps.config.RESEND_API_BASE.includes("127.0.0.1") || deps.config.RESEND_API_BASE.includes("localhost");
  return c.html(
    <Page title="Operations" now={now} timeZone={tz} notice={c.req.query("done")}>
      <p>
        Shop health{" "}
        <span class={`badge ${overall}`} id="overall">
          {overall}
        </span>{" "}
        · <a href="/api/health/cron">health JSON</a>
        {flagged > 0 && (
          <>
            {" "}
            · <a href="/admin/reviews">{flagged} payment(s) need review</a>
          </>
        )}
        {localStubs && (
          <span class="muted">
            {" "}
            · local stubs stand in for Razorpay and Resend ·{" "}
            <a href={`${deps.config.RESEND_API_BASE.replace(/\/+$/, "")}/preview`} id="mail-preview">
              mail preview
            </a>
          </span>
        )}
      </p>
      {incidents.length > 0 && (
        <section>
          <h2>Open incidents ({incidents.length})</h2>
          <table>
            <tbody>
              {incidents.map((i) => (
                <tr>
                  <td>{i.kind}</td>
                  <td>{i.task}</td>
                  <td>{formatShopTime(new Date(i.openedAt), tz)}</td>
                  <td class="err">{String(i.details.message ?? "")}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
      <section>
        <h2>Tasks</h2>
        <Table id="tasks" head={["Task", `Schedule (${tz})`, "Next run", "Last run", "24 h success", "Durations", ""]}>
          {tasks.map((t) => (
            <tr data-task={t.name}>
              <td>
                <span class="dot" style={`background:${DOT[t.status]}`} title={t.status} />
                <a href={`/admin/tasks/${t.name}`}>
                  <b>{t.name}</b>
                </a>{" "}
                <span class="muted">{t.priority}</span>
                <div class="muted">{t.description}</div>
              </td>
              <td>
                {t.schedule.description}
                <div class="muted">cron {t.schedule.cron} UTC</div>
              </td>
              <td>{t.paused ? "paused" : t.nextRuns[0] ? t.nextRuns[0].shopTime : "—"}</td>
              <td>
                {t.lastRun ? (
                  <>
                    {t.lastRun.status} · {ms(t.lastRun.durationMs)}
                    <div class="muted">{formatShopTime(new Date(t.lastRun.startedAt), tz)}</div>
                  </>
                ) : (
                  <span class="muted">never</span>
                )}
                {t.lastFailure && t.status === "failing" && <div class="err">{t.lastFailure.error}</div>}
              </td>
              <td>
                {t.stats24h.runs === 0 ? "—" : `${Math.round((1 - t.stats24h.failureRate) * 100)}%`}
                <div class="muted">
                  {t.stats24h.runs} runs · p50 {ms(t.stats24h.p50Ms)} · p95 {ms(t.stats24h.p95Ms)}
                </div>
              </td>
              <td>
                <Sparkline values={t.recentDurationsMs} />
              </td>
              <td style="white-space:nowrap">
                <form method="post" action={`/admin/tasks/${t.name}/run`} class="inline">
                  <button class="primary" type="submit" name="run" value="1">
                    Run now
                  </button>
                </form>{" "}
                {t.deletes && (
                  <form method="post" action={`/admin/tasks/${t.name}/run`} class="inline">
                    <input type="hidden" name="dryRun" value="true" />
                    <button type="submit">Dry run</button>
                  </form>
                )}{" "}
                {t.pausable && (
                  <form method="post" action={`/admin/tasks/${t.name}/${t.paused ? "resume" : "pause"}`} class="inline">
                    <button type="submit">{t.paused ? "Resume" : "Pause"}</button>
                  </form>
                )}
              </td>
            </tr>
          ))}
        </Table>
      </section>
      <section>
        <h2>Email pipeline</h2>
        <EmailPipeline stats={emails} id="emails" />
      </section>
      <section id="runs-section">
        <h2>Recent runs{task ? ` of ${task}` : ""}</h2>
        <Table id="runs" head={["Task", "Slot", "Status", "Trigger", "Duration", "Result / error"]}>
          {runs.map(runJson).map((r) => (
            <tr data-run={r.id}>
              <td>
                <a href={`/admin/runs/${r.id}`}>{r.taskName}</a>
              </td>
              <td>{r.scheduledAt ? formatShopTime(new Date(r.scheduledAt), tz) : ""}</td>
              <td>
                {r.status}
                {r.dryRun ? " (dry run)" : ""}
                {r.duplicateFires > 0 ? <span class="muted"> · fired {r.duplicateFires + 1}×</span> : ""}
              </td>
              <td>
                {r.trigger}
                {r.attempt > 1 ? ` #${r.attempt}` : ""}
              </td>
              <td>{ms(r.durationMs)}</td>
              <td>
                {r.error ? (
                  <span class="err">{r.error}</span>
                ) : (
                  <span class="muted">{r.result ? JSON.stringify(r.result) : ""}</span>
                )}
              </td>
            </tr>
          ))}
        </Table>
      </section>
    </Page>,
  );
});
