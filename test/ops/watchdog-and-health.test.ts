import { describe, expect, it } from "vitest";
import { callWorker, type TestDatabase, type TestDeps, testDeps, testEnv } from "../../harness/worker";
import { computeHealth } from "../../src/ops/health";
import { findTask, TASKS } from "../../src/ops/registry";
import { runTask } from "../../src/scheduler/run-task";
import { fileSetup } from "../helpers/file-setup";
import { alertSink } from "../helpers/sink";

let db: TestDatabase;
let deps: TestDeps;
// A sink per test: what one test posted is never counted by another, in any order.
let sinks = 0;
let sink = alertSink(`watchdog-${Date.now().toString(36)}-0`);
const locks = findTask("cleanup-expired-locks");
const watchdog = findTask("watchdog");
if (!locks || !watchdog) throw new Error("registry is missing tasks");

fileSetup({
  setDb: (d) => {
    db = d;
  },
  reset: async () => {
    sink = alertSink(`watchdog-${Date.now().toString(36)}-${++sinks}`);
    await db.query("delete from cron_runs; delete from incidents; delete from emails; delete from task_settings");
  },
  deps: () => {
    deps = testDeps(db, { env: { ALERT_WEBHOOK_URL: sink.url } });
    return deps;
  },
});

async function recordRun(task: string, slot: string, status: string, durationMs = 100, error: string | null = null) {
  await db.query(
    `insert into cron_runs (task_name, scheduled_at, status, started_at, finished_at, duration_ms, error)
     values ($1, $2, $3, $2, $2::timestamptz + ($4::int * interval '1 millisecond'), $4::int, $5)`,
    [task, slot, status, durationMs, error],
  );
}

const lockHealth = async (now: string) => (await computeHealth(deps, [locks], new Date(now)))[0];

describe("overdue detection (injected clock)", () => {
  it("a 5-minute task is on time within its grace and overdue after it", async () => {
    await recordRun("cleanup-expired-locks", "2026-11-28T10:00:00Z", "succeeded");
    expect(await lockHealth("2026-11-28T10:04:00Z")).toMatchObject({ overdue: false, status: "ok" });
    // The 10:05 slot is missing; grace is 2.5 minutes.
    expect(await lockHealth("2026-11-28T10:07:00Z")).toMatchObject({ overdue: false });
    expect(await lockHealth("2026-11-28T10:08:00Z")).toMatchObject({
      overdue: true,
      status: "overdue",
      expectedSlot: "2026-11-28T10:05:00.000Z",
    });
    await recordRun("cleanup-expired-locks", "2026-11-28T10:05:00Z", "succeeded");
    expect(await lockHealth("2026-11-28T10:08:00Z")).toMatchObject({ overdue: false });
  });

  it("a paused task is never overdue, and a fresh install is not late for slots before it existed", async () => {
    await recordRun("cleanup-expired-locks", "2026-11-28T10:00:00Z", "succeeded");
    await db.query("insert into task_settings (task_name, paused) values ('cleanup-expired-locks', true)");
    expect(await lockHealth("2026-11-28T12:00:00Z")).toMatchObject({
      overdue: false,
      status: "paused",
      nextRunAt: null,
    });
    const [report] = await computeHealth(
      deps,
      TASKS.filter((t) => t.name === "daily-sales-report"),
      new Date("2026-11-28T10:10:00Z"),
    );
    expect(report).toMatchObject({ overdue: false, status: "never_run" });
  });

  it("reports the 24-hour failure rate and p50/p95 durations", async () => {
    for (let i = 0; i < 10; i++) {
      await recordRun(
        "cleanup-expired-locks",
        `2026-11-28T09:${String(i * 5).padStart(2, "0")}:00Z`,
        i === 3 ? "failed" : "succeeded",
        (i + 1) * 100,
      );
    }
    const h = await lockHealth("2026-11-28T09:48:00Z");
    expect(h?.stats24h).toMatchObject({ runs: 10, failures: 1, failureRate: 0.1, p50Ms: 550 });
    expect(h?.stats24h.p95Ms).toBe(955);
  });
});

describe("health endpoint", () => {
  async function get() {
    const res = await callWorker(testEnv(db), "/api/health/cron");
    return res;
  }

  it("answers 200 with one entry per task while the HIGH tasks are fine", async () => {
    const now = Date.now();
    for (const t of ["cleanup-expired-locks", "reconcile-stale-payments", "deliver-order-events"]) {
      await recordRun(t, new Date(now - 30_000).toISOString(), "succeeded");
    }
    const res = await get();
    const body = (await res.json()) as {
      status: string;
      tasks: Record<string, { overdue: boolean; lastRun: unknown }>;
    };
    expect(res.status).toBe(200);
    expect(Object.keys(body.tasks).sort()).toEqual(TASKS.map((t) => t.name).sort());
    expect(body.tasks["cleanup-expired-locks"]).toMatchObject({ overdue: false });
  });

  it("answers 503 when a HIGH task's last run failed, without leaking personal data", async () => {
    await recordRun(
      "reconcile-stale-payments",
      new Date(Date.now() - 30_000).toISOString(),
      "failed",
      10,
      "could not mail priya.sharma@example.com",
    );
    const res = await get();
    expect(res.status).toBe(503);
    const text = await res.text();
    expect(text).not.toContain("priya.sharma@example.com");
    // Public health carries no error text at all; the failure shows as a status and a time.
    expect(text).not.toContain("could not mail");
    expect(JSON.parse(text).tasks["reconcile-stale-payments"]).toMatchObject({ status: "failing" });
  });
});

describe("watchdog", () => {
  it("alerts once per incident, not every minute, and once more when it clears", async () => {
    await recordRun("cleanup-expired-locks", "2026-11-28T10:00:00Z", "succeeded");
    await recordRun("watchdog", "2026-11-28T09:00:00Z", "succeeded"); // the install predates the slots
    const at = (t: string) => runTask(deps, watchdog, { slot: new Date(t), trigger: "cron" });
    await at("2026-11-28T10:08:00Z");
    await at("2026-11-28T10:09:00Z");
    await at("2026-11-28T10:10:00Z");
    const opened = await sink.posts();
    const overdueAlerts = opened.filter((p) => p.text.includes("cleanup-expired-locks missed its slot"));
    expect(overdueAlerts).toHaveLength(1);
    expect(overdueAlerts[0]?.content).toBe(overdueAlerts[0]?.text);
    await recordRun("cleanup-expired-locks", "2026-11-28T10:10:00Z", "succeeded");
    await at("2026-11-28T10:11:00Z");
    await at("2026-11-28T10:12:00Z");
    const all = await sink.posts();
    const mine = all.filter((p) => p.text.includes("cleanup-expired-locks"));
    expect(mine.map((p) => p.text.split("\n")[0])).toEqual([
      "🔴 cleanup-expired-locks missed its slot",
      "✅ Resolved: cleanup-expired-locks missed its slot",
    ]);
    const emails = await db.query<{ idempotency_key: string }>(
      "select idempotency_key from emails where kind = 'task-alert' and idempotency_key like 'alert/overdue:cleanup-expired-locks/%' order by created_at",
    );
    expect(emails.map((e) => e.idempotency_key.split("/").at(-1))).toEqual(["open", "resolved"]);
  });

  it("opens a failing incident after three failures in a row and a slow-run incident for an outlier", async () => {
    for (let i = 0; i < 6; i++) await recordRun("check-low-stock", `2026-11-28T0${i}:00:00Z`, "succeeded", 200);
    await recordRun("check-low-stock", "2026-11-28T06:00:00Z", "succeeded", 9_000);
    for (let i = 7; i < 10; i++) {
      await recordRun("cleanup-password-resets", `2026-11-28T0${i}:00:00Z`, "failed", 50, "relation does not exist");
    }
    const rec = await runTask(deps, watchdog, { slot: new Date("2026-11-28T09:30:00Z"), trigger: "cron" });
    expect(rec.result?.opened).toEqual(
      expect.arrayContaining(["failing:cleanup-password-resets", "slow:check-low-stock"]),
    );
    const posts = (await sink.posts()).map((p) => p.text);
    expect(posts.some((t) => t.includes("cleanup-password-resets failed 3 times in a row"))).toBe(true);
    expect(posts.some((t) => t.includes("check-low-stock ran far longer than usual"))).toBe(true);
  });
});
