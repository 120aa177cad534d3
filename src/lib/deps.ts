import { type Db, openDb } from "../db/client";
import { type Config, loadConfig, requireSecret, secretValues } from "./config";
import { createLogger, type Logger } from "./log";

export type Clock = () => Date;

/** Everything a task, route or consumer needs; built once per invocation at the edge. */
export interface AppDeps {
  env: Env;
  config: Config;
  db: Db;
  log: Logger;
  /** Wall clock, injected so tests can move time; tasks get their slot time separately. */
  clock: Clock;
  emailQueue: Queue;
  fetch: typeof fetch;
  close(): Promise<void>;
  /** The same dependencies on a pool of their own whose statements Postgres stops after `ms`. */
  withStatementTimeout(ms: number): AppDeps;
}

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
