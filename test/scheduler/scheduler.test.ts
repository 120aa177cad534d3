import { describe, expect, it } from "vitest";
import * as z from "zod/mini";
import { type TestDatabase, type TestDeps, testDeps, testEnv } from "../../harness/worker";
import worker from "../../src/index";
import { TASKS } from "../../src/ops/registry";
import { runCron } from "../../src/scheduler/dispatch";
import { runTask } from "../../src/scheduler/run-task";
import type { Task } from "../../src/tasks/types";
import { count, insertLock, insertProduct } from "../helpers/factories";
import { fileSetup } from "../helpers/file-setup";

let db: TestDatabase;
let deps: TestDeps;

fileSetup({
  setDb: (d) => {
    db = d;
  },
  deps: () => {
    deps = testDeps(db);
    return deps;
  },
});

let slotMinute = Date.parse("2026-11-28T06:00:00Z");
/** A fresh slot per test, so tests never collide on (task, slot). */
const nextSlot = () => (slotMinute += 60 * 60_000);

function fakeTask(name: string, cron: string, run: Task["run"], budgetMs = 5_000): Task {
  return {
    name,
    cron,
    priority: "LOW",
    description: "test task",
    budgetMs,
    deletes: false,
    settingsSchema: z.object({}),
    run,
  };
}

async function runsOf(task: string) {
  return db.query<{
    status: string;
    error: string | null;
    duplicate_fires: number;
    result: Record<string, unknown> | null;
    takeovers: number;
  }>(
    "select status, error, duplicate_fires, result, takeovers from cron_runs where task_name = $1 order by started_at",
    [task],
  );
}

describe("scheduler: slot claims", () => {
  it("a duplicate trigger for one slot runs the task once and records the second firing", async () => {
    const product = await insertProduct(db);
    const slot = nextSlot();
    await insertLock(db, { productId: product, expiresAt: new Date(slot - 1000) });
    let calls = 0;
    const counting = fakeTask("dup-task", "*/5 * * * *", async () => ({ calls: ++calls }));
    const first = await runCron(deps, [counting], "*/5 * * * *", slot);
    const second = await runCron(deps, [counting], "*/5 * * * *", slot + 12_345); // same minute
    expect(first[0]?.outcome).toBe("succeeded");
    expect(second[0]?.outcome).toBe("duplicate");
    expect(calls).toBe(1);
    const runs = await runsOf("dup-task");
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ status: "succeeded", duplicate_fires: 1 });
  });

  it("two concurrent invocations of one slot run the real task once (asserted on cron_runs and the data)", async () => {
    const product = await insertProduct(db);
    const slot = nextSlot();
    await db.query("delete from inventory_locks");
    await insertLock(db, { productId: product, expiresAt: new Date(slot - 1000) });
    await insertLock(db, { productId: product, expiresAt: new Date(slot - 2000) });
    const locksTask = TASKS.filter((t) => t.name === "cleanup-expired-locks");
    const other = testDeps(db); // a second invocation has its own pool
    const [a, b] = await Promise.all([
      runCron(deps, locksTask, "*/5 * * * *", slot),
      runCron(other, locksTask, "*/5 * * * *", slot),
    ]);
    await other.close();
    const outcomes = [a[0]?.outcome, b[0]?.outcome].sort();
    expect(outcomes).toEqual(["duplicate", "succeeded"]);
    const [run] = await db.query<{ status: string; result: { deleted: number }; duplicate_fires: number }>(
      "select status, result, duplicate_fires from cron_runs where task_name = 'cleanup-expired-locks' and scheduled_at = $1",
      [new Date(slot)],
    );
    expect(run).toMatchObject({ status: "succeeded", result: { deleted: 2 }, duplicate_fires: 1 });
    expect(await count(db, "inventory_locks")).toBe(0);
  });

  it("a claim left running past the 30-minute lease is taken over; a fresh one is not", async () => {
    const slot = nextSlot();
    deps.setNow(new Date(slot + 31 * 60_000));
    await db.query(
      `insert into cron_runs (task_name, scheduled_at, status, started_at, claim_token)
       values ('zombie-task', $1, 'running', $2, 'dead-worker')`,
      [new Date(slot), new Date(slot)],
    );
    const task = fakeTask("zombie-task", "0 * * * *", async () => ({ rescued: true }));
    const rec = await runTask(deps, task, { slot: new Date(slot), trigger: "cron" });
    expect(rec).toMatchObject({ outcome: "succeeded", takeover: true });
    expect((await runsOf("zombie-task"))[0]).toMatchObject({
      status: "succeeded",
      takeovers: 1,
      result: { rescued: true },
    });

    const slot2 = nextSlot();
    deps.setNow(new Date(slot2 + 29 * 60_000));
    await db.query(
      `insert into cron_runs (task_name, scheduled_at, status, started_at, claim_token)
       values ('zombie-task', $1, 'running', $2, 'live-worker')`,
      [new Date(slot2), new Date(slot2)],
    );
    const rec2 = await runTask(deps, task, { slot: new Date(slot2), trigger: "cron" });
    expect(rec2.outcome).toBe("duplicate");
    deps.setNow("2026-11-28T10:00:00Z");
  });
});

describe("scheduler: outcomes", () => {
  it("a throwing task is recorded failed while its sibling on the same trigger succeeds", async () => {
    const slot = nextSlot();
    const boom = fakeTask("boom-task", "0 * * * *", async () => {
      throw new Error("kaboom");
    });
    const fine = fakeTask("fine-task", "0 * * * *", async () => ({ ok: 1 }));
    const recs = await runCron(deps, [boom, fine], "0 * * * *", slot);
    expect(recs.map((r) => r.outcome)).toEqual(["failed", "succeeded"]);
    expect((await runsOf("boom-task")).at(-1)).toMatchObject({ status: "failed", error: "kaboom" });
    expect((await runsOf("fine-task")).at(-1)).toMatchObject({ status: "succeeded", result: { ok: 1 } });
  });

  it("an overrunning task is stopped and recorded failed with reason timeout", async () => {
    const slot = nextSlot();
    let sawAbort = false;
    const slow = fakeTask(
      "slow-task",
      "30 12 * * *",
      (d) =>
        new Promise((resolve) => {
          d.signal.addEventListener("abort", () => {
            sawAbort = true;
            resolve({ never: true });
          });
        }),
      50,
    );
    const [rec] = await runCron(deps, [slow], "30 12 * * *", slot);
    expect(rec?.outcome).toBe("failed");
    expect(sawAbort).toBe(true);
    const [run] = await runsOf("slow-task");
    expect(run?.status).toBe("failed");
    expect(run?.error).toMatch(/^timeout/);
  });

  it("a paused task's slot is recorded skipped and the task does not run", async () => {
    const slot = nextSlot();
    let ran = false;
    const task = fakeTask("paused-task", "0 * * * *", async () => {
      ran = true;
      return {};
    });
    await db.query("insert into task_settings (task_name, paused) values ('paused-task', true)");
    const [rec] = await runCron(deps, [task], "0 * * * *", slot);
    expect(rec?.outcome).toBe("skipped");
    expect(ran).toBe(false);
    expect((await runsOf("paused-task"))[0]).toMatchObject({ status: "skipped", error: "task is paused" });
  });

  it("an unknown cron string is recorded, not thrown", async () => {
    const slot = nextSlot();
    const recs = await runCron(deps, TASKS, "7 7 7 7 *", slot);
    expect(recs).toEqual([]);
    const [run] = await runsOf("unknown-cron:7 7 7 7 *");
    expect(run).toMatchObject({ status: "failed" });
    expect(run?.error).toContain('no task is registered for cron "7 7 7 7 *"');
  });
});

describe("scheduler: the Worker's scheduled handler", () => {
  it("runs the registered task for a real trigger through the exported handler", async () => {
    const product = await insertProduct(db);
    const slot = nextSlot();
    await db.query("delete from inventory_locks");
    const lock = await insertLock(db, { productId: product, expiresAt: new Date(slot - 5_000) });
    const waits: Promise<unknown>[] = [];
    const ctx = {
      waitUntil: (p: Promise<unknown>) => waits.push(p),
      passThroughOnException() {},
      props: {},
    } as unknown as ExecutionContext;
    await worker.scheduled(
      { cron: "*/5 * * * *", scheduledTime: slot, noRetry() {} } as ScheduledController,
      testEnv(db),
      ctx,
    );
    await Promise.all(waits);
    expect(await count(db, "inventory_locks", "id = $1", [lock])).toBe(0);
    expect(
      await count(
        db,
        "cron_runs",
        "task_name = 'cleanup-expired-locks' and scheduled_at = $1 and status = 'succeeded'",
        [new Date(slot)],
      ),
    ).toBe(1);
  });

  it("a missing DATABASE_URL fails with an error that names it", async () => {
    const ctx = { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext;
    const env = testEnv(db, { DATABASE_URL: "" });
    await expect(
      worker.scheduled(
        { cron: "*/5 * * * *", scheduledTime: nextSlot(), noRetry() {} } as ScheduledController,
        env,
        ctx,
      ),
    ).rejects.toThrow(/DATABASE_URL is not set/);
  });
});
