import { createMiddleware } from "hono/factory";
import type { AppDeps } from "../lib/deps";
import type { SettleCommand } from "../payments/webhook-event";
import { openDeps } from "../wiring/open-deps";

export type HonoEnv = {
  Bindings: Env;
  Variables: { deps: AppDeps; razorpay: { eventId: string; type: string; command: SettleCommand } };
};

/** Opens the invocation's dependencies (a pool per request) and ends the pool after the response. */
export const withDeps = createMiddleware<HonoEnv>(async (c, next) => {
  const deps = openDeps(c.env);
  c.set("deps", deps);
  try {
    await next();
  } finally {
    c.executionCtx.waitUntil(deps.close());
  }
});
