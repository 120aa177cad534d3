import { describe, expect, it } from "vitest";
import * as z from "zod/mini";
import { ADMIN_AUTH, callWorker, type TestDatabase, type TestDeps, testDeps, testEnv } from "../../harness/worker";
import { runCron } from "../../src/scheduler/dispatch";
import { retryDelayMs, runOverridesAndRetries } from "../../src/scheduler/overrides-and-retries";
import type { Task } from "../../src/tasks/types";
import { fileSetup } from "../helpers/file-setup";

let db: TestDatabase;
let deps: TestDeps;

fileSetup({
  setDb: (d) => {
    db = d;
  },
  reset: async () => {
    await db.query("delete from cron_runs; delete from task_settings");
  },
  deps: () => {
    deps = testDeps(db);
    return deps;
  },
});

function hourlyTask(name: string, outcomes: ("ok" | "fail")[]): Task & { calls: Date[] } {
  const calls: Date[] = [];
  return {
    name,
    cron: "0 * * * *",
    priority: "MEDIUM",
    description: "test",
    budgetMs: 5_000,
    deletes: false,
    settingsSchema: z.object({}),
    calls,
    async run(_deps, now) {
      calls.push(now);
      if ((outcomes[calls.length - 1] ?? "ok") === "fail") throw new Error(`failure #${calls.length}`);
      return { ok: true };
    },
  };
}

async function tick(tasks: Task[], at: string) {
  deps.setNow(at);
  return runOverridesAndRetries(deps, tasks, new Date(at));
}

describe("schedule overrides (shop time)", () => {
  it("fires at the override's shop-time minutes only, skips the UTC slots meanwhile, and reverts when removed", async () => {
    const task = hourlyTask("override-me", []);
    const put = await callWorker(testEnv(db), "/api/admin/tasks/check-low-stock/schedule", {
      method: "PUT",
      headers: { authorization: ADMIN_AUTH },
      body: { cron: "15 9 * * *" },
    });
    const body = (await put.json()) as { override: string; nextRuns: { at: string; shopTime: string }[] };
    expect(body.override).toBe("15 9 * * *");
    expect(body.nextRuns[0]?.shopTime).toMatch(/09:15 IST/);
    expect(
      new Date(body.nextRuns[0]?.at ?? "").getUTCHours() * 60 + new Date(body.nextRuns[0]?.at ?? "").getUTCMinutes(),
    ).toBe(3 * 60 + 45);

    await db.query("insert into task_settings (task_name, schedule_override) values ('override-me', '15 9 * * *')");
    expect(await tick([task], "2026-11-28T03:44:00Z")).toEqual([]);
    const [fired] = await tick([task], "2026-11-28T03:45:00Z"); // 09:15 IST
    expect(fired).toMatchObject({ outcome: "succeeded" });
    expect(await tick([task], "2026-11-28T03:46:00Z")).toEqual([]);
    expect(await tick([task], "2026-11-28T09:15:00Z")).toEqual([]); // 09:15 UTC is not 09:15 IST
    const [regular] = await runCron(deps, [task], "0 * * * *", Date.parse("2026-11-28T04:00:00Z"));
    expect(regular?.outcome).toBe("skipped");
    expect(task.calls.map((d) => d.toISOString())).toEqual(["2026-11-28T03:45:00.000Z"]);
    const succeeded = await db.query<{ trigger: string }>("select trigger from cron_runs where status = 'succeeded'");
    expect(succeeded).toEqual([{ trigger: "override" }]);

    await db.query("update task_settings set schedule_override = null where task_name = 'override-me'");
    const [back] = await runCron(deps, [task], "0 * * * *", Date.parse("2026-11-28T05:00:00Z"));
    expect(back?.outcome).toBe("succeeded");
  });

  it("refuses an invalid override and stores nothing", async () => {
    const res = await callWorker(testEnv(db), "/api/admin/tasks/check-low-stock/schedule", {
      method: "PUT",
      headers: { authorization: ADMIN_AUTH },
      body: { cron: "99 * * * *" },
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/out of range 0-59/);
    expect(await db.query("select * from task_settings")).toEqual([]);
  });
});

describe("automatic retries", () => {
  it("retries a failed run with growing gaps, each attempt recorded, and stops once it succeeds", async () => {
    const task = hourlyTask("flaky", ["fail", "fail", "fail", "ok"]);
    deps.setNow("2026-11-28T10:00:00Z");
    await runCron(deps, [task], "0 * * * *", Date.parse("2026-11-28T10:00:00Z"));
    const fired: string[] = [];
    for (let m = 1; m <= 40; m++) {
      const at = new Date(Date.parse("2026-11-28T10:00:00Z") + m * 60_000).toISOString();
      if ((await tick([task], at)).length > 0) fired.push(at.slice(11, 16));
    }
    // Failed at 10:00 → +1 min → fails → +2 → fails → +4 → succeeds; then nothing more.
    expect(fired).toEqual(["10:01", "10:03", "10:07"]);
    const runs = await db.query<{
      scheduled_at: Date;
      status: string;
      attempt: number;
      trigger: string;
      retry_of: string | null;
      id: string;
    }>("select id, scheduled_at, status, attempt, trigger, retry_of from cron_runs order by scheduled_at");
    expect(runs.map((r) => [new Date(r.scheduled_at).toISOString(), r.status, r.attempt, r.trigger])).toEqual([
      ["2026-11-28T10:00:00.000Z", "failed", 1, "cron"],
      ["2026-11-28T10:00:00.001Z", "failed", 2, "retry"],
      ["2026-11-28T10:00:00.002Z", "failed", 3, "retry"],
      ["2026-11-28T10:00:00.003Z", "succeeded", 4, "retry"],
    ]);
    expect(new Set(runs.slice(1).map((r) => r.retry_of))).toEqual(new Set([runs[0]?.id]));
    // Every attempt did the slot's work: its "now" is the slot.
    expect(new Set(task.calls.map((d) => d.toISOString()))).toEqual(new Set(["2026-11-28T10:00:00.000Z"]));
  });

  it("stops retrying when the next regular slot arrives", async () => {
    const task = hourlyTask("broken", Array(50).fill("fail"));
    deps.setNow("2026-11-28T10:00:00Z");
    await runCron(deps, [task], "0 * * * *", Date.parse("2026-11-28T10:00:00Z"));
    for (let m = 1; m <= 70; m++)
      await tick([task], new Date(Date.parse("2026-11-28T10:00:00Z") + m * 60_000).toISOString());
    const attempts = await db.query<{ n: number }>("select count(*)::int as n from cron_runs where trigger = 'retry'");
    // 1 + 2 + 4 + 8 + 16 = 31 minutes of gaps, then 32 more would pass 11:00: 5 retries.
    expect(attempts[0]?.n).toBe(5);
    expect([1, 2, 3, 4, 5, 6, 7].map(retryDelayMs)).toEqual([
      60_000, 120_000, 240_000, 480_000, 960_000, 1_800_000, 1_800_000,
    ]);
  });
});
