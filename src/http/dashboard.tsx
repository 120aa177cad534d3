import { csrf } from "hono/csrf";
import type { FC } from "hono/jsx";
import { secureHeaders } from "hono/secure-headers";
import { Hono } from "hono/tiny";
import { formatShopTime } from "../lib/time";
import { isUnhealthy } from "../ops/health";
import { emailPipelineStats, openIncidents, recentRuns, runJson, type TaskView, taskViews } from "../ops/overview";
import { runNow, setPaused, taskOr404 } from "../ops/task-admin";
import { requireAdmin } from "./auth";
import { type HonoEnv, withDeps } from "./context";

export const dashboard = new Hono<HonoEnv>();
// Nothing of the console may be framed (a stolen click on "Pause"), sniffed or given a script.
dashboard.use(
  "*",
  secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'none'"],
      styleSrc: ["'unsafe-inline'"],
      imgSrc: ["'self'", "data:"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
    },
    xFrameOptions: "DENY",
    referrerPolicy: "same-origin",
  }),
);
dashboard.use("*", requireAdmin({ basic: true }));
// Basic-auth credentials ride along on any form post, so posts must come from this page itself.
dashboard.use("*", csrf());
dashboard.use("*", withDeps);

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

const ms = (v: number | null | undefined) => (v == null ? "—" : v < 1000 ? `${v} ms` : `${(v / 1000).toFixed(1)} s`);

const STYLE = `
body{font-family:-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:0;background:#f6f4f1;color:#222}
header{background:#2b2118;color:#fff;padding:14px 24px;display:flex;gap:16px;align-items:center;flex-wrap:wrap}
header h1{font-size:18px;margin:0;letter-spacing:1px} header a{color:#f3d9b1}
main{padding:16px 24px;max-width:1400px} section{background:#fff;border-radius:8px;padding:12px 16px;margin-bottom:16px}
h2{font-size:15px;margin:4px 0 10px} table{width:100%;border-collapse:collapse;font-size:13px}
th{text-align:left;color:#666;font-weight:600;border-bottom:2px solid #eee;padding:6px}
td{border-bottom:1px solid #f0f0f0;padding:6px;vertical-align:top}
.dot{display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:6px}
.muted{color:#888;font-size:12px} .err{color:#b42318;font-size:12px;max-width:420px;overflow-wrap:anywhere}
.badge{padding:2px 8px;border-radius:10px;font-size:12px;font-weight:600}
.ok{background:#dff5e3;color:#1d6b34}.degraded{background:#fff1d6;color:#8a5a00}.unhealthy{background:#fde2e1;color:#9b1c1c}
form{display:inline} button{font-size:12px;padding:3px 8px;border:1px solid #ccc;border-radius:5px;background:#fafafa;cursor:pointer}
button.primary{background:#7a4b2a;color:#fff;border-color:#7a4b2a}
.kpis{display:flex;gap:12px;flex-wrap:wrap}.kpi{background:#faf6f2;border-radius:6px;padding:8px 14px}.kpi b{display:block;font-size:20px}
.notice{background:#eef6ff;border:1px solid #cfe3ff;border-radius:6px;padding:8px 12px;margin-bottom:12px;font-size:13px}`;

dashboard.get("/", async (c) => {
  const deps = c.get("deps");
  const now = deps.clock();
  const tz = deps.config.BUSINESS_TIMEZONE;
  const [tasks, runs, emails, incidents] = await Promise.all([
    taskViews(deps, now),
    recentRuns(deps, { limit: 30 }),
    emailPipelineStats(deps, now),
    openIncidents(deps),
  ]);
  const overall = isUnhealthy(tasks)
    ? "unhealthy"
    : tasks.some((t) => t.overdue || t.status === "failing")
      ? "degraded"
      : "ok";
  const done = c.req.query("done");
  const localStubs =
    deps.config.RESEND_API_BASE.includes("127.0.0.1") || deps.config.RESEND_API_BASE.includes("localhost");
  c.header("Cache-Control", "no-store");
  return c.html(
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>ORA Jobs · operations</title>
        <style>{STYLE}</style>
      </head>
      <body>
        <header>
          <h1>ORA JOBS</h1>
          <span class={`badge ${overall}`} id="overall">
            {overall}
          </span>
          <span>{formatShopTime(now, tz)}</span>
          <a href="/api/health/cron">health JSON</a>
          {localStubs && (
            <span class="muted" style="color:#f3d9b1">
              local stubs stand in for Razorpay and Resend ·{" "}
              <a href={`${deps.config.RESEND_API_BASE.replace(/\/+$/, "")}/preview`} id="mail-preview">
                mail preview
              </a>
            </span>
          )}
        </header>
        <main>
          {done && (
            <div class="notice" id="notice">
              {done}
            </div>
          )}
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
            <table id="tasks">
              <thead>
                <tr>
                  <th>Task</th>
                  <th>Schedule ({tz})</th>
                  <th>Next run</th>
                  <th>Last run</th>
                  <th>24 h success</th>
                  <th>Durations</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {tasks.map((t) => (
                  <tr data-task={t.name}>
                    <td>
                      <span class="dot" style={`background:${DOT[t.status]}`} title={t.status} />
                      <b>{t.name}</b> <span class="muted">{t.priority}</span>
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
                      <form method="post" action={`/admin/tasks/${t.name}/run`}>
                        <button class="primary" type="submit" name="run" value="1">
                          Run now
                        </button>
                      </form>{" "}
                      {t.deletes && (
                        <form method="post" action={`/admin/tasks/${t.name}/run`}>
                          <input type="hidden" name="dryRun" value="true" />
                          <button type="submit">Dry run</button>
                        </form>
                      )}{" "}
                      {t.pausable && (
                        <form method="post" action={`/admin/tasks/${t.name}/${t.paused ? "resume" : "pause"}`}>
                          <button type="submit">{t.paused ? "Resume" : "Pause"}</button>
                        </form>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
          <section>
            <h2>Email pipeline</h2>
            <div class="kpis" id="emails">
              {(["queued", "sent", "failed", "dead"] as const).map((k) => (
                <div class="kpi">
                  {k}
                  <b>{emails[k] ?? 0}</b>
                </div>
              ))}
              {emails.oldestQueuedAgeSeconds !== null && (
                <div class="kpi">
                  oldest queued<b>{emails.oldestQueuedAgeSeconds} s</b>
                </div>
              )}
            </div>
          </section>
          <section>
            <h2>Recent runs</h2>
            <table id="runs">
              <thead>
                <tr>
                  <th>Task</th>
                  <th>Slot</th>
                  <th>Status</th>
                  <th>Trigger</th>
                  <th>Duration</th>
                  <th>Result / error</th>
                </tr>
              </thead>
              <tbody>
                {runs.map(runJson).map((r) => (
                  <tr data-run={r.id}>
                    <td>{r.taskName}</td>
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
              </tbody>
            </table>
          </section>
        </main>
      </body>
    </html>,
  );
});

dashboard.post("/tasks/:name/run", async (c) => {
  const deps = c.get("deps");
  const task = taskOr404(c.req.param("name"));
  const form = await c.req.parseBody();
  const dryRun = form.dryRun === "true";
  const rec = await runNow(deps, task, { dryRun });
  const msg = `${task.name}${dryRun ? " (dry run)" : ""}: ${rec.outcome}${rec.error ? ` — ${rec.error}` : ""}`;
  return c.redirect(`/admin?done=${encodeURIComponent(msg)}`, 303);
});

for (const action of ["pause", "resume"] as const) {
  dashboard.post(`/tasks/:name/${action}`, async (c) => {
    const deps = c.get("deps");
    const task = taskOr404(c.req.param("name"));
    await setPaused(deps, task, action === "pause", deps.clock());
    return c.redirect(`/admin?done=${encodeURIComponent(`${task.name} ${action}d`)}`, 303);
  });
}
