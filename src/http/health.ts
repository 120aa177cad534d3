import { Hono } from "hono/tiny";
import { loadConfig } from "../lib/config";
import { computeHealth, overallStatus, type TaskHealth } from "../ops/health";
import { TASKS } from "../ops/registry";
import { type Bound, withDeps } from "./context";

export const health = new Hono<Bound>();

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

/** An answer and when it was computed: whether it is still fresh is the reader's setting to say. */
type Answer = { body: unknown; status: 200 | 503; at: number };
/** Per database (a test runs many): the last answer and until when it may be reused. */
const cache = new Map<string, Answer>();

/**
 * Per task: last run, last success, status, duration, overdue and the 24-hour figures; the overall
 * word from overallStatus, 503 when "unhealthy". Public, so status only (errors are in the admin API), and
 * answered from a short cache so that polling it cannot load the database.
 */
health.get(
  "/cron",
  async (c, next) => {
    // Fresh by the setting in force now (0 = never), not by one fixed when the answer was stored.
    const maxAgeMs = loadConfig(c.env).HEALTH_CACHE_SECONDS * 1000;
    const hit = cache.get(c.env.DATABASE_URL);
    if (hit && Date.now() - hit.at < maxAgeMs) {
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
    const overall = overallStatus(tasks);
    const body = {
      status: overall,
      checkedAt: now.toISOString(),
      timezone: deps.config.BUSINESS_TIMEZONE,
      tasks: Object.fromEntries(tasks.map((t) => [t.name, publicView(t)])),
    };
    const status = overall === "unhealthy" ? 503 : 200;
    cache.set(c.env.DATABASE_URL, { body, status, at: Date.now() });
    c.header("Cache-Control", "no-store");
    return c.json(body, status);
  },
);
