import { Hono } from "hono/tiny";
import { computeHealth, isUnhealthy, type TaskHealth } from "../ops/health";
import { TASKS } from "../ops/registry";
import { type HonoEnv, withDeps } from "./context";

export const health = new Hono<HonoEnv>();

// Liveness only: answers without touching the database, so it tells "the Worker can serve".
health.get("/", (c) => c.json({ status: "ok" }));

/** What the public may see of a task: statuses, times and flags; never error text or settings. */
function publicView(t: TaskHealth) {
  return {
    name: t.name,
    priority: t.priority,
    status: t.status,
    paused: t.paused,
    overdue: t.overdue,
    configError: t.configError !== null,
    schedule: t.schedule.description,
    lastRun: t.lastRun,
    lastSuccess: t.lastSuccess,
    lastFailureAt: t.lastFailure?.at ?? null,
    durationMs: t.durationMs,
    consecutiveFailures: t.consecutiveFailures,
    stats24h: t.stats24h,
    nextRunAt: t.nextRunAt,
    expectedSlot: t.expectedSlot,
  };
}

type Answer = { body: unknown; status: 200 | 503; until: number };
/** Per database (a test runs many): the last answer and until when it may be reused. */
const cache = new Map<string, Answer>();

/**
 * Per task: last run, last success, status, duration, overdue and the 24-hour figures. 503 when a
 * HIGH-priority task is overdue or its last run failed; "degraded" when a HIGH task is paused or any
 * task is late, failing or misconfigured. Public, so status only (errors are in the admin API), and
 * answered from a short cache so that polling it cannot load the database.
 */
health.get(
  "/cron",
  async (c, next) => {
    // HEALTH_CACHE_SECONDS=0 turns the cache off for reading too (a cache filled while it was on is ignored).
    const hit = c.env.HEALTH_CACHE_SECONDS === "0" ? undefined : cache.get(c.env.DATABASE_URL);
    if (hit && Date.now() < hit.until) {
      c.header("Cache-Control", "no-store");
      c.header("X-Health-Cache", "hit");
      return c.json(hit.body, hit.status);
    }
    await next();
  },
  withDeps,
  async (c) => {
    const deps = c.get("deps");
    const now = deps.clock();
    const tasks = await computeHealth(deps, TASKS, now);
    const unhealthy = isUnhealthy(tasks);
    const degraded = tasks.some(
      (t) =>
        t.overdue || t.lastRun?.status === "failed" || t.configError !== null || (t.paused && t.priority === "HIGH"),
    );
    const body = {
      status: unhealthy ? "unhealthy" : degraded ? "degraded" : "ok",
      checkedAt: now.toISOString(),
      timezone: deps.config.BUSINESS_TIMEZONE,
      tasks: Object.fromEntries(tasks.map((t) => [t.name, publicView(t)])),
    };
    const status = unhealthy ? 503 : 200;
    // 0 turns the cache off (Workers' clock stands still between I/O, so "until now" could still hit).
    if (deps.config.HEALTH_CACHE_SECONDS > 0) {
      cache.set(c.env.DATABASE_URL, { body, status, until: Date.now() + deps.config.HEALTH_CACHE_SECONDS * 1000 });
    }
    c.header("Cache-Control", "no-store");
    return c.json(body, status);
  },
);
