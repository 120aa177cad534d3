import { openDb } from "../db/client";
import { loadConfig, requireSecret, secretValues } from "../lib/config";
import type { AppDeps, Clock } from "../lib/deps";
import { createLogger, type Logger } from "../lib/log";

export interface DepsOverrides {
  clock?: Clock;
  fetch?: typeof fetch;
  log?: Logger;
}

/** The one way the Worker makes a logger: configured secret values are redacted from every line. */
export function loggerFor(env: Env): Logger {
  return createLogger({ service: "ora-jobs" }, secretValues(env));
}

export function openDeps(env: Env, overrides: DepsOverrides = {}, statementTimeoutMs?: number): AppDeps {
  const config = loadConfig(env);
  const handle = openDb({
    url: requireSecret(env, "DATABASE_URL"),
    wsProxy: config.DB_WS_PROXY,
    poolMax: config.DB_POOL_MAX,
    ...(statementTimeoutMs ? { statementTimeoutMs } : {}),
  });
  const deps: AppDeps = {
    env,
    config,
    db: handle.db,
    log: overrides.log ?? loggerFor(env),
    clock: overrides.clock ?? (() => new Date()),
    emailQueue: env.EMAIL_QUEUE,
    fetch: overrides.fetch ?? ((input, init) => fetch(input, init)),
    close: handle.close,
    withStatementTimeout: (ms) => openDeps(env, { clock: deps.clock, fetch: deps.fetch, log: deps.log }, ms),
  };
  return deps;
}
