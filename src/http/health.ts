import { Hono } from "hono";
import { computeHealth, isUnhealthy } from "../ops/health";
import { TASKS } from "../tasks/registry";
import { type HonoEnv, withDeps } from "./context";

export const health = new Hono<HonoEnv>();

// Liveness only: answers without touching the database, so it tells "the Worker can serve".
health.get("/", (c) => c.json({ status: "ok" }));

/**
 * Per task: last run, last success, status, duration, overdue and the 24-hour figures. 503 when a
 * HIGH-priority task is overdue or its last run failed. Nothing personal: errors are masked, no
 * settings or results are shown.
 */
health.get("/cron", withDeps, async (c) => {
  const deps = c.get("deps");
  const now = deps.clock();
  const tasks = await computeHealth(deps, TASKS, now);
  const unhealthy = isUnhealthy(tasks);
  const degraded = tasks.some((t) => t.overdue || t.lastRun?.status === "failed");
  c.header("Cache-Control", "no-store");
  return c.json(
    {
      status: unhealthy ? "unhealthy" : degraded ? "degraded" : "ok",
      checkedAt: now.toISOString(),
      timezone: deps.config.BUSINESS_TIMEZONE,
      tasks: Object.fromEntries(tasks.map(({ settings: _settings, recentDurationsMs: _d, ...t }) => [t.name, t])),
    },
    unhealthy ? 503 : 200,
  );
});
