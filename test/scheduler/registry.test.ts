import { describe, expect, it } from "vitest";
import contractMd from "../../docs/CONTRACT.md?raw";
import readme from "../../README.md?raw";
import { TASKS } from "../../src/ops/registry";
import wranglerToml from "../../wrangler.toml?raw";

// docs/ARCHITECTURE.md, "Adding a task": each step is checked here, task by task.
const sources = import.meta.glob(["../../src/tasks/*.ts", "../../src/ops/*.ts"]);
const tests = import.meta.glob("../**/*.test.ts", { query: "?raw", import: "default", eager: true }) as Record<
  string,
  string
>;

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

  describe("adding a task: every step done", () => {
    for (const t of TASKS) {
      it(t.name, () => {
        // 1. a file named after it
        expect(Object.keys(sources).some((f) => f.endsWith(`/${t.name}.ts`))).toBe(true);
        // 2. a cron that wrangler.toml triggers (above), a description, a budget under the 30 s cron limit
        expect(t.description.length).toBeGreaterThan(10);
        expect(t.budgetMs).toBeGreaterThan(0);
        expect(t.budgetMs).toBeLessThanOrEqual(30_000);
        // 3. settings whose defaults are complete (an empty settings row is valid)
        expect(t.settingsSchema.safeParse({}).success).toBe(true);
        // 4. the README's task table names it with its cron; the contract does unless it is internal
        expect(readme).toMatch(new RegExp(`\\| ${t.name}[^|]*\\| \`${t.cron.replaceAll("*", "\\*")}\``));
        if (!t.internal) expect(contractMd).toContain(t.name);
        // 5. a test that exercises it by name
        expect(Object.values(tests).some((src) => src.includes(`"${t.name}"`) || src.includes(`/${t.name}"`))).toBe(
          true,
        );
      });
    }
  });
});
