// What an operator types (typos, copy-paste, curiosity) and what a stranger sends can break neither
// the scheduler nor live data (docs/CONTRACT.md §3, "Operator safety").

import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { ADMIN_AUTH, callWorker, type TestDatabase, type TestDeps, testDeps, testEnv } from "../../harness/worker";
import { TASKS } from "../../src/ops/registry";
import { runCron } from "../../src/scheduler/dispatch";
import { runTask } from "../../src/scheduler/run-task";
import type { Task } from "../../src/tasks/types";
import { count, insertLock, insertProduct } from "../helpers/factories";
import { fileSetup } from "../helpers/file-setup";
import { alertSink } from "../helpers/sink";

let db: TestDatabase;
let deps: TestDeps;
// A sink per test: what one test posted is never counted by another, in any order.
let sinks = 0;
let sink = alertSink(`safety-${Date.now().toString(36)}-0`);
const NOW = new Date("2026-11-28T10:02:00Z");

fileSetup({
  setDb: (d) => {
    db = d;
  },
  reset: async () => {
    sink = alertSink(`safety-${Date.now().toString(36)}-${++sinks}`);
    await db.query("delete from cron_runs; delete from task_settings; delete from inventory_locks; delete from emails");
  },
  deps: () => {
    deps = testDeps(db, { now: NOW, env: { ALERT_WEBHOOK_URL: sink.url } });
    return deps;
  },
});

async function call(
  method: string,
  path: string,
  opts: { body?: unknown; env?: Record<string, unknown>; auth?: string | null; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.auth !== null) headers.authorization = opts.auth ?? ADMIN_AUTH;
  // A string body is sent as JSON too: malformed JSON is one of the mistakes checked here.
  if (typeof opts.body === "string") headers["content-type"] ??= "application/json";
  return callWorker(testEnv(db, { ALERT_WEBHOOK_URL: sink.url, ...opts.env }), path, {
    method,
    headers,
    body: opts.body,
  });
}

const everyEndpointAnswers = async () => {
  for (const path of ["/api/health/cron", "/api/admin/tasks", "/admin"]) {
    const res = await call("GET", path);
    expect(res.status, path).toBeLessThan(500);
  }
};

describe("schedule overrides", () => {
  it("an override that never fires (30 February) is refused with the reason, and nothing is stored", async () => {
    const res = await call("PUT", "/api/admin/tasks/reconcile-stale-payments/schedule", {
      body: { cron: "0 0 30 2 *" },
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/never fires within a year/);
    expect(await count(db, "task_settings", "schedule_override is not null")).toBe(0);
    await everyEndpointAnswers();
  });

  it("a bad override already stored stays with its task: shown as a config error, every endpoint answers", async () => {
    await db.query(
      "insert into task_settings (task_name, schedule_override) values ('reconcile-stale-payments', '0 0 30 2 *'), ('check-low-stock', 'not a cron')",
    );
    await everyEndpointAnswers();
    const { tasks } = (await (await call("GET", "/api/admin/tasks")).json()) as {
      tasks: { name: string; configError: string | null; nextRuns: unknown[] }[];
    };
    const byName = new Map(tasks.map((t) => [t.name, t]));
    expect(byName.get("reconcile-stale-payments")?.configError).toMatch(/never fires/);
    expect(byName.get("check-low-stock")?.configError).toMatch(/invalid cron/);
    expect(byName.get("reconcile-stale-payments")?.nextRuns).toHaveLength(5); // its own cron still runs
    expect(byName.get("cleanup-expired-locks")?.configError).toBeNull();
    const health = (await (await call("GET", "/api/health/cron", { auth: null })).json()) as {
      status: string;
      tasks: Record<string, { configError: boolean }>;
    };
    expect(health.status).not.toBe("ok");
    expect(health.tasks["reconcile-stale-payments"]?.configError).toBe(true);
  });

  it("a sparse but valid override (every minute of Mondays) is accepted and previews its runs", async () => {
    const res = await call("PUT", "/api/admin/tasks/check-low-stock/schedule", { body: { cron: "* * * * 1" } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { nextRuns: { at: string }[] };
    expect(body.nextRuns).toHaveLength(5);
    await everyEndpointAnswers();
  });
});

describe("manual runs", () => {
  it("a future `at` is refused and writes nothing; so is one older than the task can replay", async () => {
    const lockId = await insertLock(db, {
      productId: await insertProduct(db),
      expiresAt: new Date(NOW.getTime() + 600_000),
    });
    for (const at of ["2030-01-01T00:00:00Z", "2026-01-01T00:00:00Z"]) {
      for (const q of ["", "&dryRun=true", "&replay=true"]) {
        const res = await call("POST", `/api/admin/tasks/cleanup-expired-locks/run?at=${at}${q}`, {
          env: { ADMIN_TOKEN: "test-admin-token" },
        });
        expect(res.status, `${at}${q}`).toBe(400);
      }
    }
    expect(await count(db, "cron_runs")).toBe(0);
    expect(await count(db, "inventory_locks", "id = $1", [lockId])).toBe(1);
  });

  it("a real run at a past slot must be asked for as a replay, and is recorded as one", async () => {
    const at = "2026-11-28T09:55:00.000Z";
    const refused = await call("POST", `/api/admin/tasks/cleanup-expired-locks/run?at=${at}`);
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/replay=true/);
    const res = await call("POST", `/api/admin/tasks/cleanup-expired-locks/run?at=${at}&replay=true`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { run: unknown }).run).toMatchObject({ trigger: "replay", scheduledAt: at });
  });

  it("a dry run at slot T takes no slot: the cron firing at T afterwards deletes for real", async () => {
    const slot = new Date("2026-11-28T10:00:00Z");
    const productId = await insertProduct(db);
    await insertLock(db, { productId, expiresAt: new Date(slot.getTime() - 60_000) });
    await insertLock(db, { productId, expiresAt: new Date(slot.getTime() + 600_000) }); // live
    const dry = await call("POST", `/api/admin/tasks/cleanup-expired-locks/run?at=${slot.toISOString()}&dryRun=true`);
    expect(((await dry.json()) as { run: { result: unknown } }).run.result).toMatchObject({ wouldDelete: 1 });
    const [real] = await runCron(deps, TASKS, "*/5 * * * *", slot.getTime());
    expect(real).toMatchObject({ outcome: "succeeded", result: { deleted: 1 } });
    expect(await count(db, "inventory_locks")).toBe(1);
  });
});

describe("pause and resume", () => {
  it("pausing a HIGH task alerts the admins once (two clicks at once), health shows it degraded; resuming alerts", async () => {
    const before = (await sink.posts()).length;
    const [a, b] = await Promise.all([
      call("POST", "/api/admin/tasks/reconcile-stale-payments/pause"),
      call("POST", "/api/admin/tasks/reconcile-stale-payments/pause"),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const posts = (await sink.posts()).slice(before);
    expect(posts.filter((p) => /reconcile-stale-payments paused/.test(p.text))).toHaveLength(1);
    expect(await count(db, "emails", "kind = 'task-alert' and payload->>'title' like '%paused%'")).toBe(1);
    const health = (await (await call("GET", "/api/health/cron", { auth: null })).json()) as {
      status: string;
      tasks: Record<string, { paused: boolean }>;
    };
    expect(health.status).toBe("degraded");
    expect(health.tasks["reconcile-stale-payments"]?.paused).toBe(true);
    await call("POST", "/api/admin/tasks/reconcile-stale-payments/resume");
    expect(
      (await sink.posts()).slice(before).filter((p) => /reconcile-stale-payments resumed/.test(p.text)),
    ).toHaveLength(1);
  });

  it("pausing a LOW task tells nobody; the watchdog cannot be paused", async () => {
    const before = (await sink.posts()).length;
    expect((await call("POST", "/api/admin/tasks/cleanup-read-notifications/pause")).status).toBe(200);
    expect((await sink.posts()).length).toBe(before);
    const res = await call("POST", "/api/admin/tasks/watchdog/pause");
    expect(res.status).toBe(409);
    expect(await count(db, "task_settings", "task_name = 'watchdog' and paused")).toBe(0);
  });
});

describe("headers, public health and errors", () => {
  it("/admin cannot be framed or sniffed, and its CSP allows no script", async () => {
    const res = await call("GET", "/admin");
    expect(res.status).toBe(200);
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toMatch(/script-src/);
    expect((await call("GET", "/api/health/cron", { auth: null })).headers.get("x-content-type-options")).toBe(
      "nosniff",
    );
  });

  it("public health shows no error text (the admin API does), and the recorded error is the database's own", async () => {
    const failing: Task = {
      ...(TASKS.find((t) => t.name === "cleanup-expired-locks") as Task),
      async run(d) {
        await d.db.execute(sql`select 1 / 0 as secret_sql_text`);
        return {};
      },
    };
    const rec = await runTask(deps, failing, { slot: new Date("2026-11-28T10:00:00Z"), trigger: "cron" });
    expect(rec.error).toMatch(/division by zero \(SQLSTATE 22012\)/);
    expect(rec.error).not.toMatch(/Failed query/);
    const text = await (await call("GET", "/api/health/cron", { auth: null })).text();
    expect(text).not.toMatch(/division|secret_sql_text|SQLSTATE/);
    const admin = await (await call("GET", "/api/admin/tasks/cleanup-expired-locks")).text();
    expect(admin).toMatch(/division by zero/);
  });

  it("public health is answered from a short cache, fresh by the setting in force when it is read", async () => {
    const cached = { auth: null, env: { HEALTH_CACHE_SECONDS: "60" } };
    const uncached = { auth: null, env: { HEALTH_CACHE_SECONDS: "0" } };
    const first = await call("GET", "/api/health/cron", uncached);
    expect(first.headers.get("x-health-cache")).toBeNull();
    const before = (await first.json()) as { tasks: Record<string, { paused: boolean }> };
    await db.query("insert into task_settings (task_name, paused) values ('cleanup-expired-locks', true)");
    // With a cache: the answer computed a moment ago, though the shop has changed since.
    const second = await call("GET", "/api/health/cron", cached);
    expect(second.headers.get("x-health-cache")).toBe("hit");
    expect(await second.json()).toEqual(before);
    // Caching off (0) reads nothing cached, whatever was stored while it was on.
    const third = await call("GET", "/api/health/cron", uncached);
    expect(third.headers.get("x-health-cache")).toBeNull();
    expect(((await third.json()) as typeof before).tasks["cleanup-expired-locks"]?.paused).toBe(true);
  });

  it("a task's overrun stops in Postgres too (statement_timeout from its budget)", async () => {
    const sleeper: Task = {
      ...(TASKS.find((t) => t.name === "cleanup-expired-locks") as Task),
      async run(d) {
        await d.db.execute(sql`select pg_sleep(60) as ora_overrun_probe`);
        return {};
      },
    };
    const rec = await runTask(deps, sleeper, {
      slot: new Date("2026-11-28T10:05:00Z"),
      trigger: "cron",
      budgetMs: 300,
    });
    expect(rec).toMatchObject({ outcome: "failed" });
    expect(rec.error).toMatch(/timeout/);
    // Postgres ends the statement a second after the budget; wait for that, bounded (not 60 s).
    const deadline = Date.now() + 10_000;
    let running = 1;
    while (running > 0 && Date.now() < deadline) {
      [{ running }] = (await db.query<{ running: number }>(
        "select count(*)::int as running from pg_stat_activity where query like '%ora_overrun_probe%' and pid <> pg_backend_pid() and state = 'active'",
      )) as [{ running: number }];
    }
    expect(running).toBe(0);
  });
});
