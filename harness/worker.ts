// Runs the Worker outside production, for the tests and the benches alike: a database of its own per
// caller (from the provisioner), an Env for it, deps with a settable clock and a recording queue, and
// the runtime's ExecutionContext.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Pool } from "@neondatabase/serverless";
import { useLocalProxy } from "../src/db/client";
import worker from "../src/index";
import type { AppDeps, Clock } from "../src/lib/deps";
import type { Logger } from "../src/lib/log";
import { openDeps } from "../src/wiring/open-deps";

export interface TestDatabase {
  url: string;
  poolMax: number;
  /** Runs one statement on this file's database and returns its rows. */
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/**
 * A fresh, migrated database for this test file (a Postgres clone, or PGlite where none answers);
 * `storefront`: a storefront's own hand-made database, adopted by db:migrate (Postgres only).
 */
export async function createTestDatabase(shape: "ours" | "storefront" = "ours"): Promise<TestDatabase> {
  const res = await fetch(`${env.TEST_PROVISIONER_URL}/db${shape === "storefront" ? "?shape=storefront" : ""}`, {
    method: "POST",
  });
  if (!res.ok) throw new Error(`provisioner: ${res.status} ${await res.text()}`);
  const { url, poolMax } = (await res.json()) as { url: string; poolMax: number };
  useLocalProxy(env.DB_WS_PROXY);
  const pool = new Pool({ connectionString: url, max: 1 });
  pool.on("error", (err: Error) => console.error(`[test db] idle client error: ${err.message}`));
  return {
    url,
    poolMax,
    async query<T>(text: string, params: unknown[] = []) {
      const r = await pool.query(text, params);
      return r.rows as T[];
    },
    close: () => pool.end(),
  };
}

/** Env for this file's database; `overrides` replaces any variable or binding. */
export function testEnv(db: TestDatabase, overrides: Partial<Record<keyof Env, unknown>> = {}): Env {
  return { ...env, DATABASE_URL: db.url, DB_POOL_MAX: String(db.poolMax), ...overrides } as Env;
}

/** A queue producer that records what was sent instead of delivering it. */
export class RecordingQueue {
  readonly sent: { body: unknown; delaySeconds?: number }[] = [];
  async send(body: unknown, options?: { delaySeconds?: number }) {
    this.sent.push({ body, ...(options?.delaySeconds !== undefined ? { delaySeconds: options.delaySeconds } : {}) });
  }
  async sendBatch(messages: Iterable<{ body: unknown; delaySeconds?: number }>) {
    for (const m of messages) await this.send(m.body, m);
  }
  async metrics() {
    return { backlogCount: 0, backlogBytes: 0 };
  }
}

export interface TestDeps extends AppDeps {
  queue: RecordingQueue;
  setNow(at: Date | string): void;
}

const quiet: Logger = { info() {}, warn() {}, error() {}, child: () => quiet };

/** AppDeps against this file's database, with a settable clock and a recording queue. */
export function testDeps(
  db: TestDatabase,
  opts: {
    now?: Date | string;
    /** Benches measure time: a real clock instead of the settable one. */
    realClock?: boolean;
    env?: Partial<Record<keyof Env, unknown>>;
    fetch?: typeof fetch;
    log?: Logger;
  } = {},
): TestDeps {
  let now = new Date(opts.now ?? "2026-11-28T10:00:00Z");
  const clock: Clock = opts.realClock ? () => new Date() : () => new Date(now);
  const queue = new RecordingQueue();
  // The Worker's own openDeps, with a recording queue, a settable clock and a quiet logger.
  const deps = openDeps(testEnv(db, { EMAIL_QUEUE: queue, ...opts.env }), {
    clock,
    log: opts.log ?? quiet,
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
  });
  return {
    ...deps,
    queue,
    setNow(at) {
      now = new Date(at);
    },
  };
}

/** TaskDeps for calling a task's run() directly, as the scheduler would. */
export function taskDeps(
  deps: AppDeps,
  over: { dryRun?: boolean; settings?: Record<string, unknown>; signal?: AbortSignal } = {},
) {
  return {
    ...deps,
    signal: over.signal ?? new AbortController().signal,
    dryRun: over.dryRun ?? false,
    settings: over.settings ?? {},
  };
}

/**
 * The one ExecutionContext of the tests: the runtime's own (so getQueueResult can read a queue
 * batch's acks from it), with `drain()` to wait until everything handed to waitUntil has finished.
 */
export function testCtx(): ExecutionContext & { drain(): Promise<void> } {
  const ctx = createExecutionContext();
  return Object.assign(ctx, { drain: () => waitOnExecutionContext(ctx) });
}

export const TEST_ORIGIN = "https://ora-jobs.test";
/** The admin API's Authorization header under the test bindings. */
export const ADMIN_AUTH = "Bearer test-admin-token";

export interface CallOptions {
  method?: string;
  /** A string, bytes or a form goes as it is; anything else as JSON, with its content type. */
  body?: unknown;
  headers?: Record<string, string>;
}

/**
 * The one way tests and benches call the Worker: its own `fetch` with this Env, and everything the
 * request handed to waitUntil finished before this returns. `target`: a Request, or a path on
 * TEST_ORIGIN (GET, or POST when there is a body; redirects are returned, not followed).
 */
export async function callWorker(env: Env, target: Request | string, opts: CallOptions = {}): Promise<Response> {
  const request = typeof target === "string" ? buildRequest(target, opts) : target;
  const ctx = testCtx();
  const res = await worker.fetch(request, env, ctx);
  await ctx.drain();
  return res;
}

function buildRequest(path: string, { method, body, headers }: CallOptions): Request {
  const raw = typeof body === "string" || body instanceof Uint8Array || body instanceof URLSearchParams;
  return new Request(`${TEST_ORIGIN}${path}`, {
    method: method ?? (body === undefined ? "GET" : "POST"),
    headers: { ...(body !== undefined && !raw ? { "content-type": "application/json" } : {}), ...headers },
    redirect: "manual",
    ...(body !== undefined ? { body: raw ? body : JSON.stringify(body) } : {}),
  });
}
