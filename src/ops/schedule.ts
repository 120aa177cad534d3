import { type CronSpec, describeCron, nextRun, nextRuns, parseCron, previousRun } from "../lib/cron";
import type { Task } from "../tasks/types";

/** The schedule a task runs on right now: its UTC cron, or an override read in shop time. */
export interface EffectiveSchedule {
  spec: CronSpec;
  timeZone: string;
  overridden: boolean;
}

export function effectiveSchedule(task: Task, override: string | null, shopTimeZone: string): EffectiveSchedule {
  if (override) {
    try {
      return { spec: parseCron(override), timeZone: shopTimeZone, overridden: true };
    } catch {
      // A stored override that no longer parses (it was validated on write) falls back to the cron.
    }
  }
  return { spec: parseCron(task.cron), timeZone: "UTC", overridden: false };
}

/** "IST" for Asia/Kolkata; otherwise the zone's short name or its IANA name. */
export function zoneLabel(timeZone: string): string {
  const name = new Intl.DateTimeFormat("en-IN", { timeZone, timeZoneName: "short" })
    .formatToParts(new Date(Date.UTC(2026, 0, 15)))
    .find((p) => p.type === "timeZoneName")?.value;
  return name && !/^GMT[+-]/.test(name) ? name : timeZone;
}

export function describeSchedule(s: EffectiveSchedule, shopTimeZone: string): string {
  const words = describeCron(s.spec, shopTimeZone, zoneLabel(shopTimeZone));
  return s.overridden ? `${words} (override, cron ${s.spec.source} in shop time)` : words;
}

/** How long after a slot a run may still be missing before the task counts as overdue. */
export function graceMs(s: EffectiveSchedule, around: Date): number {
  const prev = previousRun(s.spec, around, s.timeZone);
  const interval = prev ? nextRun(s.spec, prev, s.timeZone).getTime() - prev.getTime() : 3_600_000;
  return Math.min(30 * 60_000, Math.max(2 * 60_000, interval / 2));
}

export function nextRunsOf(s: EffectiveSchedule, after: Date, count: number): Date[] {
  return nextRuns(s.spec, after, count, s.timeZone);
}
