import { describe, expect, it } from "vitest";
import { callWorker, type TestDatabase, type TestDeps, testDeps, testEnv } from "../../harness/worker";
import { TASKS } from "../../src/ops/registry";
import { runCron } from "../../src/scheduler/dispatch";
import { count, insertLock, insertProduct, insertUser } from "../helpers/factories";
import { fileSetup } from "../helpers/file-setup";

let db: TestDatabase;
let deps: TestDeps;
const TOKEN = "test-admin-token";

fileSetup({
  setDb: (d) => {
    db = d;
  },
  reset: async () => {
    await db.query("delete from cron_runs; delete from task_settings; delete from inventory_locks");
  },
  deps: () => {
    deps = testDeps(db);
    return deps;
  },
});

async function call(
  method: string,
  path: string,
  opts: { token?: string | null; body?: unknown; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token !== null) headers.authorization = `Bearer ${opts.token ?? TOKEN}`;
  return callWorker(testEnv(db), path, { method, headers, body: opts.body });
}

const ROUTES: [string, string][] = [
  ["GET", "/api/admin/tasks"],
  ["GET", "/api/admin/tasks/cleanup-expired-locks"],
  ["GET", "/api/admin/runs"],
  ["POST", "/api/admin/tasks/cleanup-expired-locks/run"],
  ["POST", "/api/admin/tasks/cleanup-expired-locks/pause"],
  ["POST", "/api/admin/tasks/cleanup-expired-locks/resume"],
  ["PUT", "/api/admin/tasks/cleanup-expired-locks/settings"],
  ["PUT", "/api/admin/tasks/cleanup-expired-locks/schedule"],
  ["DELETE", "/api/admin/tasks/cleanup-expired-locks/schedule"],
  ["GET", "/api/admin/incidents"],
  ["GET", "/api/admin/emails"],
  ["POST", "/api/admin/payments/some-payment/reconcile"],
  ["GET", "/admin"],
  ["POST", "/admin/tasks/cleanup-expired-locks/run"],
];

describe("admin authentication", () => {
  for (const [method, path] of ROUTES) {
    it(`${method} ${path}: 401 without a token, with a wrong one, and with the token's prefix`, async () => {
      for (const token of [null, "wrong", TOKEN.slice(0, -1), `${TOKEN}x`]) {
        const res = await call(method, path, { token });
        expect(res.status).toBe(401);
        const body = await res.text();
        expect(JSON.parse(body)).toMatchObject({ error: { code: "unauthorized" } });
        expect(body).not.toContain("ORA JOBS");
      }
    });
  }

  it("the dashboard takes the token as the Basic password (any user) and asks the browser for it", async () => {
    const none = await call("GET", "/admin", { token: null });
    expect(none.headers.get("www-authenticate")).toMatch(/^Basic realm="ORA Jobs"/);
    const basic = await call("GET", "/admin", {
      token: null,
      headers: { authorization: `Basic ${btoa(`anyone:${TOKEN}`)}` },
    });
    expect(basic.status).toBe(200);
    expect(await basic.text()).toContain("ORA JOBS");
    // The JSON API is Bearer only.
    const apiBasic = await call("GET", "/api/admin/tasks", {
      token: null,
      headers: { authorization: `Basic ${btoa(`a:${TOKEN}`)}` },
    });
    expect(apiBasic.status).toBe(401);
  });

  it("refuses a dashboard form post from another origin", async () => {
    const res = await call("POST", "/admin/tasks/cleanup-expired-locks/run", {
      headers: { origin: "https://evil.example", "content-type": "application/x-www-form-urlencoded" },
    });
    expect(res.status).toBe(403);
    expect(await count(db, "cron_runs")).toBe(0);
  });
});

describe("admin API", () => {
  it("lists every task with its schedule in shop time and its next runs", async () => {
    const res = await call("GET", "/api/admin/tasks");
    const { tasks } = (await res.json()) as {
      tasks: { name: string; schedule: { description: string }; nextRuns: unknown[] }[];
    };
    expect(tasks.map((t) => t.name).sort()).toEqual(TASKS.map((t) => t.name).sort());
    expect(tasks.find((t) => t.name === "daily-sales-report")?.schedule.description).toBe("daily at 18:00 IST");
    expect(tasks.find((t) => t.name === "cleanup-expired-locks")?.nextRuns).toHaveLength(5);
  });

  it("runs a task now and answers with its run record", async () => {
    const product = await insertProduct(db);
    await insertLock(db, { productId: product, expiresAt: new Date(Date.now() - 60_000) });
    const res = await call("POST", "/api/admin/tasks/cleanup-expired-locks/run");
    const { run } = (await res.json()) as { run: { status: string; trigger: string; result: { deleted: number } } };
    expect(run).toMatchObject({ status: "succeeded", trigger: "manual", result: { deleted: 1 } });
    expect(await count(db, "cron_runs", "trigger = 'manual'")).toBe(1);
  });

  it("a dry run reports what it would delete and deletes nothing", async () => {
    const product = await insertProduct(db);
    await insertLock(db, { productId: product, expiresAt: new Date(Date.now() - 60_000) });
    const res = await call("POST", "/api/admin/tasks/cleanup-expired-locks/run", { body: { dryRun: true } });
    expect(((await res.json()) as { run: unknown }).run).toMatchObject({ dryRun: true, result: { wouldDelete: 1 } });
    expect(await count(db, "inventory_locks")).toBe(1);
  });

  it("pause records the task's slots as skipped; resume runs them again", async () => {
    await call("POST", "/api/admin/tasks/cleanup-expired-locks/pause");
    const locks = TASKS.filter((t) => t.name === "cleanup-expired-locks");
    const [skipped] = await runCron(deps, locks, "*/5 * * * *", Date.parse("2026-11-28T10:05:00Z"));
    expect(skipped?.outcome).toBe("skipped");
    await call("POST", "/api/admin/tasks/cleanup-expired-locks/resume");
    const [ran] = await runCron(deps, locks, "*/5 * * * *", Date.parse("2026-11-28T10:10:00Z"));
    expect(ran?.outcome).toBe("succeeded");
    const rows = await db.query<{ status: string; error: string | null }>(
      "select status, error from cron_runs order by scheduled_at",
    );
    expect(rows).toEqual([
      { status: "skipped", error: "task is paused" },
      { status: "succeeded", error: null },
    ]);
  });

  it("validates settings (bad values and unknown keys write nothing) and the next run uses them", async () => {
    const bad = await call("PUT", "/api/admin/tasks/cleanup-read-notifications/settings", {
      body: { retentionDays: 0 },
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/retentionDays/);
    const unknown = await call("PUT", "/api/admin/tasks/cleanup-read-notifications/settings", {
      body: { retentionDayz: 7 },
    });
    expect(unknown.status).toBe(400);
    expect(await count(db, "task_settings")).toBe(0);

    const user = await insertUser(db);
    await db.query(
      "insert into notifications (user_id, type, title, message, is_read, created_at) values ($1, 'T', 't', 'm', true, now() - interval '10 days')",
      [user],
    );
    const before = await call("POST", "/api/admin/tasks/cleanup-read-notifications/run");
    expect(((await before.json()) as { run: { result: { deleted: number } } }).run.result.deleted).toBe(0);
    const ok = await call("PUT", "/api/admin/tasks/cleanup-read-notifications/settings", {
      body: { retentionDays: 7 },
    });
    expect(ok.status).toBe(200);
    const after = await call("POST", "/api/admin/tasks/cleanup-read-notifications/run");
    expect(((await after.json()) as { run: { result: { deleted: number } } }).run.result.deleted).toBe(1);
  });

  it("lists runs newest first, filtered by task, with a validated limit", async () => {
    for (const t of ["2026-11-28T10:00:00Z", "2026-11-28T10:05:00Z", "2026-11-28T10:10:00Z"]) {
      await db.query(
        "insert into cron_runs (task_name, scheduled_at, status, started_at) values ('cleanup-expired-locks', $1, 'succeeded', $1)",
        [t],
      );
    }
    await db.query(
      "insert into cron_runs (task_name, scheduled_at, status, started_at) values ('check-low-stock', now(), 'succeeded', now())",
    );
    const res = await call("GET", "/api/admin/runs?task=cleanup-expired-locks&limit=2");
    const { runs } = (await res.json()) as { runs: { scheduledAt: string }[] };
    expect(runs.map((r) => r.scheduledAt)).toEqual(["2026-11-28T10:10:00.000Z", "2026-11-28T10:05:00.000Z"]);
    expect((await call("GET", "/api/admin/runs?limit=0")).status).toBe(400);
    expect((await call("GET", "/api/admin/runs?task=nope")).status).toBe(400);
    expect((await call("POST", "/api/admin/tasks/nope/run")).status).toBe(404);
  });
});

describe("admin bodies", () => {
  it("a body over 64 KiB is refused (413) before it is read, and nothing is stored", async () => {
    const res = await call("PUT", "/api/admin/tasks/cleanup-expired-locks/settings", {
      body: { batchSize: 1000, note: "x".repeat(70 * 1024) },
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: { code: "payload_too_large" } });
    expect(await count(db, "task_settings", "task_name = 'cleanup-expired-locks'")).toBe(0);
  });

  it("a bad query or body names the problem (400) and runs nothing", async () => {
    const bad = await call("GET", "/api/admin/runs?limit=0");
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/limit/);
    const body = await call("POST", "/api/admin/tasks/cleanup-expired-locks/run", { body: { dryRun: "yes" } });
    expect(body.status).toBe(400);
    expect(((await body.json()) as { error: { message: string } }).error.message).toMatch(/dryRun/);
    expect(await count(db, "cron_runs")).toBe(0);
  });
});
