import { neonConfig, Pool } from "@neondatabase/serverless";
import { drizzle, type NeonDatabase } from "drizzle-orm/neon-serverless";

// No relational-query schema is registered: queries name their tables (typed builders or SQL), and
// registering every table would ship all of them and the relational builder in the bundle.
export type Db = NeonDatabase;

const CLOSE_TIMEOUT_MS = 3_000;

export interface DbHandle {
  db: Db;
  /** Ends the pool; call it through ctx.waitUntil so the response is not held up. */
  close(): Promise<void>;
}

export interface DbOptions {
  url: string;
  /** host:port of the local WebSocket→TCP proxy; empty in production (Neon speaks WebSocket). */
  wsProxy: string;
  poolMax: number;
  /** Postgres stops any statement running longer than this (a task's time budget). */
  statementTimeoutMs?: number;
}

/** Points the Neon driver at a local WebSocket→TCP proxy (plain Postgres or PGlite behind it). */
export function useLocalProxy(wsProxy: string): void {
  if (!wsProxy) return;
  neonConfig.wsProxy = (host, port) => `${wsProxy}/v2?address=${host}:${port}`;
  neonConfig.useSecureWebSocket = false;
  neonConfig.pipelineConnect = false;
  neonConfig.pipelineTLS = false;
}

/** A pool lives inside one invocation: Workers cannot share sockets across requests. */
export function openDb({ url, wsProxy, poolMax, statementTimeoutMs }: DbOptions): DbHandle {
  useLocalProxy(wsProxy);
  const pool = new Pool({
    connectionString: url,
    max: poolMax,
    // Sent with the connection's startup: no extra round trip.
    ...(statementTimeoutMs ? { statement_timeout: statementTimeoutMs } : {}),
  });
  // An idle client dying must not become an unhandled error event; the next query reconnects.
  pool.on("error", () => {});
  let ended: Promise<void> | undefined;
  return {
    db: drizzle({ client: pool }),
    close: () => {
      // Bounded: a peer that never hangs up must not keep the invocation alive.
      ended ??= Promise.race([pool.end().catch(() => {}), new Promise<void>((r) => setTimeout(r, CLOSE_TIMEOUT_MS))]);
      return ended;
    },
  };
}
