import type { Db } from "../db/client";
import type { Config } from "./config";
import type { Logger } from "./log";

export type Clock = () => Date;

/** Everything a task, route or consumer needs; built once per invocation at the edge (src/wiring/open-deps.ts). */
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
