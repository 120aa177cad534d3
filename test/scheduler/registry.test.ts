import { describe, expect, it } from "vitest";
import { TASKS } from "../../src/tasks/registry";
import wranglerToml from "../../wrangler.toml?raw";

function wranglerCrons(toml: string): string[] {
  const block = /crons\s*=\s*\[([\s\S]*?)\]/.exec(toml)?.[1] ?? "";
  return [...block.matchAll(/"([^"]+)"/g)].map((m) => m[1] ?? "");
}

describe("registry and wrangler.toml", () => {
  it("every wrangler cron has a task and every task's cron is a wrangler trigger", () => {
    const crons = wranglerCrons(wranglerToml);
    expect(crons.length).toBeGreaterThan(0);
    expect(new Set(crons).size).toBe(crons.length);
    expect([...new Set(TASKS.map((t) => t.cron))].sort()).toEqual([...crons].sort());
  });

  it("matches docs/CONTRACT.md §2 task by task", () => {
    const contract: Record<string, string> = {
      "cleanup-expired-locks": "*/5 * * * *",
      "reconcile-stale-payments": "*/10 * * * *",
      "check-low-stock": "0 * * * *",
      "cleanup-password-resets": "0 * * * *",
      "cleanup-read-notifications": "30 20 * * *",
      "daily-sales-report": "30 12 * * *",
      "cleanup-unverified-users": "0 0 1 * *",
      "deliver-order-events": "* * * * *",
    };
    expect(Object.fromEntries(TASKS.filter((t) => !t.internal).map((t) => [t.name, t.cron]))).toEqual(contract);
    // Internal tasks only share the contract's triggers.
    for (const t of TASKS.filter((x) => x.internal)) expect(Object.values(contract)).toContain(t.cron);
  });
});
