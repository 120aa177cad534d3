import { createMiddleware } from "hono/factory";
import type { AppDeps } from "../lib/deps";
import { openDeps } from "../wiring/open-deps";

/** What every route has: the Worker's bindings, and no variables until a middleware sets one. */
export type Bound = { Bindings: Env };

/**
 * Routes behind withDeps: the invocation's dependencies as a variable. A route that puts withDeps in
 * its own chain gets `deps` typed from it; a router whose every route is behind it (the admin API,
 * the console) is declared with this type. Routes that need more declare their own variables
 * (webhooks.ts: the verified event).
 */
export type WithDeps = { Bindings: Env; Variables: { deps: AppDeps } };

/** Opens the invocation's dependencies (a pool per request) and ends the pool after the response. */
export const withDeps = createMiddleware<WithDeps>(async (c, next) => {
  const deps = openDeps(c.env);
  c.set("deps", deps);
  try {
    await next();
  } finally {
    c.executionCtx.waitUntil(deps.close());
  }
});
