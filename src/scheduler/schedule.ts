import { CronError, type CronSpec, describeCron, nextRunWithin, parseCron, previousRun } from "../lib/cron";
import type { Task } from "../tasks/types";

/** The schedule a task runs on right now: its UTC cron, or an override read in shop time. */
export interface EffectiveSchedule {
  spec: CronSpec;
  timeZone: string;
  overridden: boolean;
  /** A stored override that cannot be used (it does not parse, or never fires): shown, not obeyed. */
  configError: string | null;
}

/** An override must fire within this long, or it is refused (on write) and ignored (on read). */
export const OVERRIDE_HORIZON_MS = 366 * 86_400_000;

/** Why an override cannot be used, or null when it can. */
export function overrideProblem(expr: string, now: Date, shopTimeZone: string): string | null {
  let spec: CronSpec;
  try {
    spec = parseCron(expr);
  } catch (err) {
    return `invalid cron: ${err instanceof CronError ? err.message : String(err)}`;
  }
  return nextRunWithin(spec, now, OVERRIDE_HORIZON_MS, shopTimeZone)
    ? null
    : `"${expr}" never fires within a year (in ${shopTimeZone})`;
}

export function effectiveSchedule(
  task: Task,
  override: string | null,
  shopTimeZone: string,
  now: Date,
): EffectiveSchedule {
  const fallback = { spec: parseCron(task.cron), timeZone: "UTC", overridden: false };
  if (!override) return { ...fallback, configError: null };
  // Whatever was stored (validated on write, or written by hand), one bad value stays with its task.
  const problem = overrideProblem(override, now, shopTimeZone);
  if (problem) return { ...fallback, configError: `schedule override ignored: ${problem}` };
  return { spec: parseCron(override), timeZone: shopTimeZone, overridden: true, configError: null };
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
  const next = prev ? nextRunWithin(s.spec, prev, OVERRIDE_HORIZON_MS, s.timeZone) : null;
  const interval = prev && next ? next.getTime() - prev.getTime() : 3_600_000;
  return Math.min(30 * 60_000, Math.max(2 * 60_000, interval / 2));
}

/** Up to `count` next runs within the horizon (fewer for a schedule that stops firing). */
export function nextRunsOf(s: EffectiveSchedule, after: Date, count: number): Date[] {
  const out: Date[] = [];
  let t = after;
  while (out.length < count) {
    const next = nextRunWithin(s.spec, t, OVERRIDE_HORIZON_MS, s.timeZone);
    if (!next) break;
    out.push(next);
    t = next;
  }
  return out;
}
