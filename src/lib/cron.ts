import { zonedParts, zonedTimeToUtc } from "./time";

/** A parsed 5-field cron expression (minute hour day-of-month month day-of-week). */
export interface CronSpec {
  source: string;
  minutes: ReadonlySet<number>;
  hours: ReadonlySet<number>;
  days: ReadonlySet<number>;
  months: ReadonlySet<number>;
  weekdays: ReadonlySet<number>;
  /** Standard cron: when both day fields are restricted, a day matching either runs. */
  daysRestricted: boolean;
  weekdaysRestricted: boolean;
}

export class CronError extends Error {
  override name = "CronError";
}

const FIELDS = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12 },
  { name: "day of week", min: 0, max: 7 },
] as const;

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

function value(token: string, field: number): number {
  const lower = token.toLowerCase();
  if (field === 3 && MONTHS.includes(lower)) return MONTHS.indexOf(lower) + 1;
  if (field === 4 && DAYS.includes(lower)) return DAYS.indexOf(lower);
  if (!/^\d+$/.test(token)) throw new CronError(`"${token}" is not a number in the ${FIELDS[field]?.name} field`);
  return Number(token);
}

function parseField(text: string, field: number): { set: Set<number>; restricted: boolean } {
  const { min, max, name } = FIELDS[field] ?? FIELDS[0];
  const set = new Set<number>();
  for (const part of text.split(",")) {
    const [range = "", stepText] = part.split("/");
    const step = stepText === undefined ? 1 : value(stepText, 0);
    if (step < 1) throw new CronError(`step must be at least 1 in the ${name} field`);
    let lo: number;
    let hi: number;
    if (range === "*") {
      lo = min;
      hi = max;
    } else if (range.includes("-")) {
      const [a = "", b = ""] = range.split("-");
      lo = value(a, field);
      hi = value(b, field);
    } else {
      lo = value(range, field);
      hi = stepText === undefined ? lo : max;
    }
    if (lo < min || hi > max || lo > hi)
      throw new CronError(`${part} is out of range ${min}-${max} in the ${name} field`);
    for (let v = lo; v <= hi; v += step) set.add(field === 4 && v === 7 ? 0 : v);
  }
  return { set, restricted: text !== "*" };
}

export function parseCron(source: string): CronSpec {
  const parts = source.trim().split(/\s+/);
  if (parts.length !== 5) throw new CronError(`expected 5 fields (minute hour day month weekday), got ${parts.length}`);
  const [m, h, d, mo, w] = parts.map((p, i) => parseField(p, i));
  if (!m || !h || !d || !mo || !w) throw new CronError("unreadable expression");
  return {
    source: parts.join(" "),
    minutes: m.set,
    hours: h.set,
    days: d.set,
    months: mo.set,
    weekdays: w.set,
    daysRestricted: d.restricted,
    weekdaysRestricted: w.restricted,
  };
}

function dayMatches(spec: CronSpec, y: number, mo: number, d: number): boolean {
  const dim = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  if (d > dim) return false;
  const wd = new Date(Date.UTC(y, mo - 1, d)).getUTCDay();
  const dom = spec.days.has(d);
  const dow = spec.weekdays.has(wd);
  if (spec.daysRestricted && spec.weekdaysRestricted) return dom || dow;
  if (spec.daysRestricted) return dom;
  if (spec.weekdaysRestricted) return dow;
  return true;
}

/** The first time strictly after `after` that the expression fires, read in `timeZone`. */
export function nextRun(spec: CronSpec, after: Date, timeZone = "UTC"): Date {
  const p = zonedParts(new Date(after.getTime() + 60_000 - (after.getTime() % 60_000)), timeZone);
  let { year: y, month: mo, day: d } = p;
  let minuteOfDay = p.hour * 60 + p.minute;
  const sortedMinutes = [...spec.hours]
    .sort((a, b) => a - b)
    .flatMap((h) => [...spec.minutes].sort((a, b) => a - b).map((m) => h * 60 + m));
  for (let i = 0; i < 366 * 5; i++) {
    if (spec.months.has(mo) && dayMatches(spec, y, mo, d)) {
      const hit = sortedMinutes.find((t) => t >= minuteOfDay);
      if (hit !== undefined) {
        const date = `${y}-${String(mo).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
        const at = zonedTimeToUtc(date, timeZone, Math.floor(hit / 60), hit % 60);
        if (at.getTime() > after.getTime()) return at;
        minuteOfDay = hit + 1;
        continue;
      }
    }
    const next = new Date(Date.UTC(y, mo - 1, d + 1));
    y = next.getUTCFullYear();
    mo = next.getUTCMonth() + 1;
    d = next.getUTCDate();
    minuteOfDay = 0;
  }
  throw new CronError(`"${spec.source}" never fires`);
}

export function nextRuns(spec: CronSpec, after: Date, count: number, timeZone = "UTC"): Date[] {
  const out: Date[] = [];
  let t = after;
  for (let i = 0; i < count; i++) {
    t = nextRun(spec, t, timeZone);
    out.push(t);
  }
  return out;
}

/** Whether the expression fires in the minute of `at`. */
export function firesAt(spec: CronSpec, at: Date, timeZone = "UTC"): boolean {
  const p = zonedParts(at, timeZone);
  return (
    spec.minutes.has(p.minute) &&
    spec.hours.has(p.hour) &&
    spec.months.has(p.month) &&
    dayMatches(spec, p.year, p.month, p.day)
  );
}

/**
 * The last firing at or before `at`, searching back up to `maxDays` days one day at a time (a sparse
 * schedule costs what a dense one does: a day, not each minute of it).
 */
export function previousRun(spec: CronSpec, at: Date, timeZone = "UTC", maxDays = 400): Date | null {
  const floor = at.getTime() - (at.getTime() % 60_000);
  const p = zonedParts(new Date(floor), timeZone);
  let { year: y, month: mo, day: d } = p;
  let minuteOfDay = p.hour * 60 + p.minute;
  const sortedMinutes = [...spec.hours]
    .sort((a, b) => b - a)
    .flatMap((h) => [...spec.minutes].sort((a, b) => b - a).map((m) => h * 60 + m));
  for (let i = 0; i <= maxDays; i++) {
    if (spec.months.has(mo) && dayMatches(spec, y, mo, d)) {
      const date = `${y}-${String(mo).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
      for (const hit of sortedMinutes) {
        if (hit > minuteOfDay) continue;
        const t = zonedTimeToUtc(date, timeZone, Math.floor(hit / 60), hit % 60);
        if (t.getTime() <= floor) return t;
      }
    }
    const prev = new Date(Date.UTC(y, mo - 1, d - 1));
    y = prev.getUTCFullYear();
    mo = prev.getUTCMonth() + 1;
    d = prev.getUTCDate();
    minuteOfDay = 24 * 60;
  }
  return null;
}

/** The first firing after `after` if there is one within `withinMs`, else null (never throws). */
export function nextRunWithin(spec: CronSpec, after: Date, withinMs: number, timeZone = "UTC"): Date | null {
  try {
    const next = nextRun(spec, after, timeZone);
    return next.getTime() - after.getTime() <= withinMs ? next : null;
  } catch (err) {
    if (err instanceof CronError) return null;
    throw err;
  }
}

const pad = (n: number) => String(n).padStart(2, "0");

/** Plain words for the common shapes, in `timeZone` (the crons are UTC; people read shop time). */
export function describeCron(spec: CronSpec, timeZone: string, label: string): string {
  const all = (s: ReadonlySet<number>, n: number) => s.size === n;
  const everyMinute = all(spec.minutes, 60) && all(spec.hours, 24);
  const daily = !spec.daysRestricted && !spec.weekdaysRestricted && all(spec.months, 12);
  if (everyMinute && daily) return "every minute";
  if (daily && all(spec.hours, 24) && spec.minutes.size > 1) {
    const step = [...spec.minutes].sort((a, b) => a - b);
    const gap = (step[1] ?? 0) - (step[0] ?? 0);
    if (step.every((m, i) => m === (step[0] ?? 0) + i * gap)) return `every ${gap} minutes`;
  }
  const sample = nextRun(spec, new Date(Date.UTC(2026, 0, 5)), "UTC");
  const local = zonedParts(sample, timeZone);
  const time = `${pad(local.hour)}:${pad(local.minute)} ${label}`;
  if (daily && all(spec.hours, 24) && spec.minutes.size === 1) return `hourly at :${pad(local.minute)} ${label}`;
  if (daily && spec.hours.size === 1 && spec.minutes.size === 1) return `daily at ${time}`;
  if (spec.daysRestricted && spec.days.size === 1 && !spec.weekdaysRestricted && spec.hours.size === 1) {
    return `monthly on day ${local.day} at ${time}`;
  }
  return `cron ${spec.source}`;
}
