import { errorMessage } from "../lib/errors";
import { TASKS } from "../ops/registry";
import { runCron, slotOf } from "../scheduler/dispatch";
import { EVERY_MINUTE, runOverridesAndRetries } from "../scheduler/overrides-and-retries";
import { loggerFor, openDeps } from "./open-deps";

export async function handleScheduled(controller: ScheduledController, env: Env, ctx: ExecutionContext) {
  let deps: ReturnType<typeof openDeps>;
  try {
    deps = openDeps(env);
  } catch (err) {
    // Configuration errors name the missing variable; Cloudflare does not retry crons, so no loop.
    loggerFor(env).error("cron.config", { cron: controller.cron, error: errorMessage(err) });
    throw err;
  }
  const started = Date.now();
  try {
    await Promise.all([
      runCron(deps, TASKS, controller.cron, controller.scheduledTime),
      controller.cron === EVERY_MINUTE ? runOverridesAndRetries(deps, TASKS, slotOf(controller.scheduledTime)) : [],
    ]);
  } finally {
    // How long the firing took end to end (Workers' clock moves with I/O, so this is wall time).
    deps.log.info("cron.done", { cron: controller.cron, ms: Date.now() - started });
    ctx.waitUntil(deps.close());
  }
}
