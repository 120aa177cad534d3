import { createMiddleware } from "hono/factory";
import type { AppDeps } from "../lib/deps";
import { openDeps } from "../wiring/open-deps";

export type HonoEnv = {
  Bindings: Env;
  /** Routes that need more declare their own variables on top (webhooks.ts: the verified event). */
  Variables: { deps: AppDeps };
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
