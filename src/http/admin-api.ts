import { Hono } from "hono/tiny";
import * as z from "zod/mini";
import { askRazorpay, paymentById } from "../ops/ask-razorpay";
import { findTask } from "../ops/registry";
import { knownTask, parseOverride, runNow, setPaused, setScheduleOverride, setSettings } from "../ops/task-admin";
import {
  emailPipelineStats,
  openIncidents,
  recentRuns,
  runById,
  runJson,
  taskViews,
  upcoming,
} from "../ops/task-views";
import { nextRunsOf } from "../scheduler/schedule";
import { requireAdmin } from "./auth";
import { type WithDeps, withDeps } from "./context";
import { AppError } from "./errors";
import { smallBody, valid } from "./validate";

export const adminApi = new Hono<WithDeps>();
adminApi.use("*", requireAdmin({ basic: false }), smallBody, withDeps);

async function jsonBody(req: Request): Promise<unknown> {
  const text = await req.text();
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new AppError("bad_request", "body is not valid JSON");
  }
}

adminApi.get("/tasks", async (c) => {
  const deps = c.get("deps");
  return c.json({ tasks: await taskViews(deps, deps.clock()) });
});

adminApi.get("/tasks/:name", async (c) => {
  const deps = c.get("deps");
  const task = knownTask(c.req.param("name"));
  const [view] = await taskViews(deps, deps.clock(), [task]);
  return c.json({ task: view });
});

const RunsQuery = z.object({
  task: z.optional(z.string().check(z.minLength(1), z.maxLength(100))),
  status: z.optional(z.enum(["running", "succeeded", "failed", "skipped"])),
  limit: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(500)), 50),
});

adminApi.get("/runs", valid("query", RunsQuery), async (c) => {
  const q = c.req.valid("query");
  if (q.task && !findTask(q.task) && !q.task.startsWith("unknown-cron:")) {
    throw new AppError("bad_request", `unknown task "${q.task}"`);
  }
  const rows = await recentRuns(c.get("deps"), q);
  return c.json({ runs: rows.map(runJson) });
});

const RunBody = z.strictObject({
  dryRun: z._default(z.boolean(), false),
  replay: z._default(z.boolean(), false),
});
const RunQuery = z.object({
  dryRun: z.optional(z.enum(["true", "false"])),
  replay: z.optional(z.enum(["true", "false"])),
  at: z.optional(z.string()),
});

adminApi.post("/tasks/:name/run", valid("json", RunBody), valid("query", RunQuery), async (c) => {
  const deps = c.get("deps");
  const task = knownTask(c.req.param("name"));
  const body = c.req.valid("json");
  const query = c.req.valid("query");
  const dryRun = body.dryRun || query.dryRun === "true";
  const replay = body.replay || query.replay === "true";
  const atText = query.at;
  const at = atText === undefined ? undefined : new Date(atText);
  if (at && Number.isNaN(at.getTime())) throw new AppError("bad_request", "at must be an ISO time");
  const record = await runNow(deps, task, { dryRun, replay, ...(at ? { at } : {}) });
  const row = await runById(deps, record.runId);
  if (!row) throw new AppError("internal", "the run was not recorded");
  return c.json({ run: runJson(row) });
});

for (const action of ["pause", "resume"] as const) {
  adminApi.post(`/tasks/:name/${action}`, async (c) => {
    const deps = c.get("deps");
    const task = knownTask(c.req.param("name"));
    await setPaused(deps, task, action === "pause", deps.clock());
    const [view] = await taskViews(deps, deps.clock(), [task]);
    return c.json({ task: view });
  });
}

adminApi.put("/tasks/:name/settings", async (c) => {
  const deps = c.get("deps");
  const task = knownTask(c.req.param("name"));
  const settings = await setSettings(deps, task, await jsonBody(c.req.raw), deps.clock());
  return c.json({ task: task.name, settings });
});

adminApi.put("/tasks/:name/schedule", async (c) => {
  const deps = c.get("deps");
  const task = knownTask(c.req.param("name"));
  const body = (await jsonBody(c.req.raw)) as { cron?: unknown };
  const spec = parseOverride(body?.cron, deps.clock(), deps.config.BUSINESS_TIMEZONE);
  await setScheduleOverride(deps, task, spec, deps.clock());
  const tz = deps.config.BUSINESS_TIMEZONE;
  const next = nextRunsOf({ spec, timeZone: tz, overridden: true, configError: null }, deps.clock(), 5);
  return c.json({
    task: task.name,
    override: spec.source,
    timezone: tz,
    nextRuns: upcoming(next, tz),
  });
});

adminApi.delete("/tasks/:name/schedule", async (c) => {
  const deps = c.get("deps");
  const task = knownTask(c.req.param("name"));
  await setScheduleOverride(deps, task, null, deps.clock());
  const [view] = await taskViews(deps, deps.clock(), [task]);
  return c.json({ task: view });
});

adminApi.get("/incidents", async (c) => c.json({ incidents: await openIncidents(c.get("deps")) }));

adminApi.get("/emails", async (c) => {
  const deps = c.get("deps");
  return c.json({ emails: await emailPipelineStats(deps, deps.clock()) });
});

/**
 * Settle one payment now: asks Razorpay (as the reconciler does, whatever the payment's age) and
 * settles it through the same path as the webhook (facts in, one guarded statement out).
 */
adminApi.post("/payments/:id/reconcile", async (c) => {
  const deps = c.get("deps");
  const id = c.req.param("id");
  const payment = await paymentById(deps, id);
  if (!payment) throw new AppError("not_found", `no payment ${id}`);
  const r = await askRazorpay(deps, payment, c.req.query("dryRun") === "true");
  const { paymentStatus, ...step } = r;
  return c.json({ payment: id, ...step, status: paymentStatus });
});
