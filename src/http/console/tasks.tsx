import type { Context } from "hono";
import { Hono } from "hono/tiny";
import { formatShopTime } from "../../lib/time";
import { Refusal } from "../../ops/refusal";
import { knownTask, parseOverride, runNow, setPaused, setScheduleOverride, setSettings } from "../../ops/task-admin";
import { type TaskView, taskViews } from "../../ops/task-views";
import { nextRunsOf } from "../../scheduler/schedule";
import type { Task } from "../../tasks/types";
import type { WithDeps } from "../context";
import { AppError } from "../errors";
import { backTo, field } from "./forms";
import { Badge, duration, Page, withNotice } from "./shell";

export const taskPages = new Hono<WithDeps>();

/** The task's settings with their defaults (what a run would use for a key never set). */
function defaultsOf(task: Task): Record<string, unknown> {
  const parsed = task.settingsSchema.safeParse({});
  return parsed.success ? (parsed.data as Record<string, unknown>) : {};
}

/** Form text → the value the task's schema reads: numbers as numbers, true/false as booleans. */
function settingsFromForm(task: Task, form: Record<string, string | undefined>): Record<string, unknown> {
  const defaults = defaultsOf(task);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(task.settingsSchema.shape)) {
    const raw = form[key]?.trim();
    if (raw === undefined || raw === "") continue; // empty: the default applies
    const d = defaults[key];
    if (typeof d === "number") out[key] = /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
    else if (typeof d === "boolean") out[key] = raw === "true" ? true : raw === "false" ? false : raw;
    else out[key] = raw;
  }
  return out;
}

interface Shown {
  notice?: string | undefined;
  problem?: string | undefined;
  /** The settings form as typed, shown back when it was refused. */
  typed?: Record<string, string | undefined>;
  cron?: string;
  preview?: Date[];
}

function taskPage(view: TaskView, task: Task, now: Date, tz: string, shown: Shown) {
  const self = `/admin/tasks/${encodeURIComponent(task.name)}`;
  const defaults = defaultsOf(task);
  const shownValue = (key: string) =>
    shown.typed ? (shown.typed[key] ?? "") : String(view.settings[key] ?? defaults[key] ?? "");
  return (
    <Page title={task.name} now={now} timeZone={tz} notice={shown.notice} problem={shown.problem}>
      <div class="grid">
        <section id="about">
          <h2>
            <Badge value={view.status} /> <span class="muted">{view.priority} priority</span>
          </h2>
          <p>{task.description}.</p>
          <dl>
            <dt>Schedule</dt>
            <dd>
              {view.schedule.description}
              <div class="muted">cron {view.schedule.cron} UTC</div>
            </dd>
            <dt>Next runs</dt>
            <dd>
              {view.paused
                ? "paused"
                : view.nextRuns.length === 0
                  ? "—"
                  : view.nextRuns.map((r) => <div>{r.shopTime}</div>)}
            </dd>
            <dt>Last run</dt>
            <dd>
              {view.lastRun
                ? `${view.lastRun.status} · ${duration(view.lastRun.durationMs)} · ${formatShopTime(new Date(view.lastRun.startedAt), tz)}`
                : "never"}
            </dd>
            {view.configError && (
              <>
                <dt>Problem</dt>
                <dd class="err">{view.configError}</dd>
              </>
            )}
          </dl>
          <p>
            <form method="post" action={`${self}/run`} class="inline">
              <button class="primary" type="submit">
                Run now
              </button>
            </form>{" "}
            {task.deletes && (
              <form method="post" action={`${self}/run`} class="inline">
                <input type="hidden" name="dryRun" value="true" />
                <button type="submit">Dry run</button>
              </form>
            )}{" "}
            {!task.unpausable && (
              <form method="post" action={`${self}/${view.paused ? "resume" : "pause"}`} class="inline">
                <input type="hidden" name="back" value={self} />
                <button type="submit">{view.paused ? "Resume" : "Pause"}</button>
              </form>
            )}
          </p>
          <p class="muted">
            <a href={`/admin?task=${encodeURIComponent(task.name)}#runs`}>Recent runs</a> · 24 h: {view.stats24h.runs}{" "}
            runs, {view.stats24h.failures} failed, p50 {duration(view.stats24h.p50Ms)}
          </p>
        </section>
        <section id="settings">
          <h2>Settings</h2>
          <form method="post" action={`${self}/settings`}>
            {Object.keys(task.settingsSchema.shape).map((key) => (
              <div class="field">
                <label for={`s-${key}`}>{key}</label>
                <input id={`s-${key}`} name={key} value={shownValue(key)} inputmode="numeric" />
                <div class="muted">default {String(defaults[key] ?? "—")}; empty = default</div>
              </div>
            ))}
            <p>
              <button class="primary" type="submit">
                Save settings
              </button>
            </p>
          </form>
        </section>
        <section id="schedule">
          <h2>Schedule override</h2>
          <p class="muted">
            A cron in shop time ({tz}) that replaces the task's own schedule. Preview shows its next runs without
            saving.
          </p>
          <form method="post" action={`${self}/schedule`}>
            <div class="field">
              <label for="cron">Cron (minute hour day month weekday)</label>
              <input
                id="cron"
                name="cron"
                value={shown.cron ?? view.schedule.override ?? ""}
                placeholder="*/15 * * * *"
              />
            </div>
            <p>
              <button type="submit" name="action" value="preview">
                Preview
              </button>{" "}
              <button class="primary" type="submit" name="action" value="save">
                Save override
              </button>{" "}
              {view.schedule.override && (
                <button type="submit" name="action" value="remove">
                  Remove override
                </button>
              )}
            </p>
          </form>
          {shown.preview && (
            <div id="preview">
              <b>Next runs of {shown.cron}</b>
              <ol>
                {shown.preview.map((d) => (
                  <li>{formatShopTime(d, tz)}</li>
                ))}
              </ol>
            </div>
          )}
        </section>
      </div>
    </Page>
  );
}

async function render(c: Context<WithDeps>, task: Task, shown: Shown) {
  const deps = c.get("deps");
  const now = deps.clock();
  const [view] = await taskViews(deps, now, [task]);
  if (!view) throw new AppError("not_found", `no task named "${task.name}"`);
  return taskPage(view, task, now, deps.config.BUSINESS_TIMEZONE, shown);
}

taskPages.get("/tasks/:name", async (c) => {
  const task = knownTask(c.req.param("name"));
  return c.html(await render(c, task, { notice: c.req.query("done") }));
});

taskPages.post("/tasks/:name/settings", async (c) => {
  const deps = c.get("deps");
  const task = knownTask(c.req.param("name"));
  const body = await c.req.parseBody();
  const typed: Record<string, string | undefined> = {};
  for (const key of Object.keys(task.settingsSchema.shape)) typed[key] = field(body, key);
  try {
    await setSettings(deps, task, settingsFromForm(task, typed), deps.clock());
  } catch (err) {
    if (!(err instanceof Refusal) || err.reason !== "invalid") throw err;
    return c.html(await render(c, task, { problem: `${err.message}. Nothing was changed.`, typed }), 400);
  }
  return c.redirect(withNotice(`/admin/tasks/${task.name}`, "Settings saved; the next run uses them."), 303);
});

taskPages.post("/tasks/:name/schedule", async (c) => {
  const deps = c.get("deps");
  const task = knownTask(c.req.param("name"));
  const body = await c.req.parseBody();
  const action = field(body, "action") ?? "preview";
  const now = deps.clock();
  const tz = deps.config.BUSINESS_TIMEZONE;
  if (action === "remove") {
    await setScheduleOverride(deps, task, null, now);
    return c.redirect(
      withNotice(`/admin/tasks/${task.name}`, "Override removed: the task runs on its own schedule."),
      303,
    );
  }
  const cron = field(body, "cron") ?? "";
  let spec: ReturnType<typeof parseOverride>;
  try {
    spec = parseOverride(cron, now, tz);
  } catch (err) {
    if (!(err instanceof Refusal) || err.reason !== "invalid") throw err;
    return c.html(await render(c, task, { problem: `${err.message}. Nothing was changed.`, cron }), 400);
  }
  if (action !== "save") {
    const preview = nextRunsOf({ spec, timeZone: tz, overridden: true, configError: null }, now, 5);
    return c.html(await render(c, task, { cron, preview, notice: "Preview only: nothing is saved yet." }));
  }
  await setScheduleOverride(deps, task, spec, now);
  return c.redirect(withNotice(`/admin/tasks/${task.name}`, `Override saved: ${spec.source} (shop time).`), 303);
});

taskPages.post("/tasks/:name/run", async (c) => {
  const deps = c.get("deps");
  const task = knownTask(c.req.param("name"));
  const dryRun = field(await c.req.parseBody(), "dryRun") === "true";
  const rec = await runNow(deps, task, { dryRun });
  const msg = `${task.name}${dryRun ? " (dry run)" : ""}: ${rec.outcome}${rec.error ? ` — ${rec.error}` : ""}`;
  return c.redirect(withNotice(`/admin/runs/${rec.runId}`, msg), 303);
});

for (const action of ["pause", "resume"] as const) {
  taskPages.post(`/tasks/:name/${action}`, async (c) => {
    const deps = c.get("deps");
    const task = knownTask(c.req.param("name"));
    await setPaused(deps, task, action === "pause", deps.clock());
    return c.redirect(backTo(await c.req.parseBody(), "/admin", `${task.name} ${action}d`), 303);
  });
}
