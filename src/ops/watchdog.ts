import { and, eq, isNull } from "drizzle-orm";
import * as z from "zod/mini";
import { sendOpsAlert } from "../alerts/ops-alert";
import { incidents } from "../db/schema";
import { formatShopTime } from "../lib/time";
import { parseSettings } from "../tasks/settings";
import type { Task } from "../tasks/types";
import { computeHealth, type TaskHealth } from "./health";

const Settings = z.object({
  /** Failed runs in a row that make an incident. */
  failuresInARow: z._default(z.int().check(z.minimum(1), z.maximum(20)), 3),
  /** A run this many times the 24-hour median (and at least `slowMinMs`) is "far longer than usual". */
  slowFactor: z._default(z.number().check(z.minimum(1.5), z.maximum(100)), 5),
  slowMinMs: z._default(z.int().check(z.minimum(100), z.maximum(600_000)), 5_000),
});

type Kind = "overdue" | "failing" | "slow";

interface Finding {
  key: string;
  kind: Kind;
  task: TaskHealth;
  active: boolean;
  title: string;
  message: string;
}

function findings(h: TaskHealth, s: z.infer<typeof Settings>, tz: string): Finding[] {
  const at = (iso: string | null) => (iso ? formatShopTime(new Date(iso), tz) : "never");
  const slow =
    h.lastRun?.durationMs != null &&
    h.stats24h.p50Ms != null &&
    h.stats24h.runs >= 5 &&
    h.lastRun.durationMs >= s.slowMinMs &&
    h.lastRun.durationMs > s.slowFactor * h.stats24h.p50Ms;
  return [
    {
      key: `overdue:${h.name}`,
      kind: "overdue",
      task: h,
      active: h.overdue,
      title: `${h.name} missed its slot`,
      message: `No successful run for the slot of ${at(h.expectedSlot)} (${h.schedule.description}). Last success: ${at(h.lastSuccess)}.`,
    },
    {
      key: `failing:${h.name}`,
      kind: "failing",
      task: h,
      active: h.consecutiveFailures >= s.failuresInARow,
      title: `${h.name} failed ${h.consecutiveFailures} times in a row`,
      message: `Last error: ${h.lastFailure?.error ?? "unknown"}`,
    },
    {
      key: `slow:${h.name}`,
      kind: "slow",
      task: h,
      active: slow,
      title: `${h.name} ran far longer than usual`,
      message: `Last run took ${h.lastRun?.durationMs ?? "?"} ms against a 24-hour median of ${h.stats24h.p50Ms ?? "?"} ms.`,
    },
  ];
}

/**
 * The dead man's switch inside the scheduler: every minute it compares what should have run with what
 * did. Each problem is an incident: one alert when it opens, one when it clears, nothing in between.
 * (Silence of the every-minute trigger itself is what /api/health/cron is for, polled from outside.)
 */
export function createWatchdog(watched: () => readonly Task[]): Task {
  return {
    name: "watchdog",
    cron: "* * * * *",
    priority: "MEDIUM",
    description: "Alert on missed slots, repeated failures and unusually slow runs; and again when they clear",
    budgetMs: 20_000,
    deletes: false,
    internal: true,
    unpausable: true,
    settingsSchema: Settings,
    async run(deps, now) {
      const s = parseSettings(Settings, deps.settings, "watchdog");
      const health = await computeHealth(
        deps,
        watched().filter((t) => t.name !== "watchdog"),
        now,
      );
      const all = health.flatMap((h) => findings(h, s, deps.config.BUSINESS_TIMEZONE));
      const opened: string[] = [];
      const resolved: string[] = [];
      for (const f of all) {
        if (f.active && !f.task.paused) {
          // One open incident per key (a partial unique index): only the run that opens it alerts.
          const [ins] = await deps.db
            .insert(incidents)
            .values({ key: f.key, kind: f.kind, taskName: f.task.name, details: { message: f.message }, openedAt: now })
            .onConflictDoNothing({ target: incidents.key, where: isNull(incidents.resolvedAt) })
            .returning({ id: incidents.id });
          const id = ins?.id;
          if (!id || deps.dryRun) continue;
          opened.push(f.key);
          await sendOpsAlert(
            deps,
            {
              key: `${f.key}/${id}/open`,
              title: f.title,
              message: f.message,
              severity: f.task.priority === "HIGH" || f.kind === "failing" ? "critical" : "warning",
              task: f.task.name,
              details: { priority: f.task.priority, schedule: f.task.schedule.description },
            },
            now,
          );
        } else if (!f.active) {
          const [row] = await deps.db
            .update(incidents)
            .set({ resolvedAt: now })
            .where(and(eq(incidents.key, f.key), isNull(incidents.resolvedAt)))
            .returning({ id: incidents.id, openedAt: incidents.openedAt });
          if (!row) continue;
          resolved.push(f.key);
          const minutes = Math.round((now.getTime() - row.openedAt.getTime()) / 60_000);
          await sendOpsAlert(
            deps,
            {
              key: `${f.key}/${row.id}/resolved`,
              title: `Resolved: ${f.title.replace(/ failed \d+ times in a row/, " is succeeding again")}`,
              message: `Cleared after ${minutes} minute(s).`,
              severity: "resolved",
              task: f.task.name,
            },
            now,
          );
        }
      }
      const open = await deps.db.$count(incidents, isNull(incidents.resolvedAt));
      return { checked: health.length, opened, resolved, open };
    },
  };
}
