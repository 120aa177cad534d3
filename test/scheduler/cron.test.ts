import { describe, expect, it } from "vitest";
import { CronError, describeCron, firesAt, nextRun, nextRuns, parseCron, previousRun } from "../../src/lib/cron";

const IST = "Asia/Kolkata";
const iso = (d: Date | null) => d?.toISOString();

describe("cron expressions", () => {
  it("finds the next UTC firing of each contract schedule", () => {
    const at = new Date("2026-11-28T12:07:30Z");
    expect(iso(nextRun(parseCron("*/5 * * * *"), at))).toBe("2026-11-28T12:10:00.000Z");
    expect(iso(nextRun(parseCron("*/10 * * * *"), at))).toBe("2026-11-28T12:10:00.000Z");
    expect(iso(nextRun(parseCron("0 * * * *"), at))).toBe("2026-11-28T13:00:00.000Z");
    expect(iso(nextRun(parseCron("30 12 * * *"), at))).toBe("2026-11-28T12:30:00.000Z");
    expect(iso(nextRun(parseCron("30 20 * * *"), at))).toBe("2026-11-28T20:30:00.000Z");
    expect(iso(nextRun(parseCron("0 0 1 * *"), at))).toBe("2026-12-01T00:00:00.000Z");
    expect(iso(nextRun(parseCron("* * * * *"), at))).toBe("2026-11-28T12:08:00.000Z");
  });

  it("reads an expression in shop time: 18:00 IST is 12:30 UTC", () => {
    expect(iso(nextRun(parseCron("0 18 * * *"), new Date("2026-11-28T10:00:00Z"), IST))).toBe(
      "2026-11-28T12:30:00.000Z",
    );
    expect(firesAt(parseCron("0 18 * * *"), new Date("2026-11-28T12:30:00Z"), IST)).toBe(true);
    expect(firesAt(parseCron("0 18 * * *"), new Date("2026-11-28T18:00:00Z"), IST)).toBe(false);
  });

  it("handles lists, ranges, steps, names and the day-of-month OR day-of-week rule", () => {
    const spec = parseCron("15,45 9-17/4 * * mon-fri");
    expect(nextRuns(spec, new Date("2026-11-27T16:00:00Z"), 3).map(iso)).toEqual([
      "2026-11-27T17:15:00.000Z",
      "2026-11-27T17:45:00.000Z",
      "2026-11-30T09:15:00.000Z",
    ]);
    const either = parseCron("0 0 1 * 1"); // the 1st, or any Monday
    expect(nextRuns(either, new Date("2026-11-28T00:00:00Z"), 2).map(iso)).toEqual([
      "2026-11-30T00:00:00.000Z",
      "2026-12-01T00:00:00.000Z",
    ]);
    expect(iso(nextRun(parseCron("0 0 29 2 *"), new Date("2026-03-01T00:00:00Z")))).toBe("2028-02-29T00:00:00.000Z");
  });

  it("finds the previous firing", () => {
    expect(iso(previousRun(parseCron("*/5 * * * *"), new Date("2026-11-28T12:07:30Z")))).toBe(
      "2026-11-28T12:05:00.000Z",
    );
    expect(iso(previousRun(parseCron("0 0 1 * *"), new Date("2026-11-28T12:07:30Z")))).toBe("2026-11-01T00:00:00.000Z");
    expect(iso(previousRun(parseCron("30 12 * * *"), new Date("2026-11-28T12:30:00Z")))).toBe(
      "2026-11-28T12:30:00.000Z",
    );
  });

  it("describes the schedules in shop time", () => {
    expect(describeCron(parseCron("*/5 * * * *"), IST, "IST")).toBe("every 5 minutes");
    expect(describeCron(parseCron("0 * * * *"), IST, "IST")).toBe("hourly at :30 IST");
    expect(describeCron(parseCron("30 12 * * *"), IST, "IST")).toBe("daily at 18:00 IST");
    expect(describeCron(parseCron("30 20 * * *"), IST, "IST")).toBe("daily at 02:00 IST");
    expect(describeCron(parseCron("0 0 1 * *"), IST, "IST")).toBe("monthly on day 1 at 05:30 IST");
    expect(describeCron(parseCron("* * * * *"), IST, "IST")).toBe("every minute");
  });

  it("rejects bad expressions with a message that says what is wrong", () => {
    expect(() => parseCron("* * * *")).toThrow(CronError);
    expect(() => parseCron("61 * * * *")).toThrow(/out of range 0-59 in the minute field/);
    expect(() => parseCron("*/0 * * * *")).toThrow(/step/);
    expect(() => parseCron("x * * * *")).toThrow(/not a number/);
  });
});

describe("cron edges", () => {
  it("a DST fall-back wall time that happens twice is read as the earlier instant", async () => {
    const { zonedTimeToUtc } = await import("../../src/lib/time");
    // Berlin, 25 Oct 2026: 02:30 happens at 00:30Z (CEST) and again at 01:30Z (CET).
    expect(zonedTimeToUtc("2026-10-25", "Europe/Berlin", 2, 30).toISOString()).toBe("2026-10-25T00:30:00.000Z");
    // New York, 1 Nov 2026: 01:30 happens at 05:30Z (EDT) and at 06:30Z (EST).
    expect(zonedTimeToUtc("2026-11-01", "America/New_York", 1, 30).toISOString()).toBe("2026-11-01T05:30:00.000Z");
    // An ordinary day is unchanged.
    expect(zonedTimeToUtc("2026-11-28", "Asia/Kolkata", 18, 0).toISOString()).toBe("2026-11-28T12:30:00.000Z");
    expect(iso(nextRun(parseCron("30 2 * * *"), new Date("2026-10-24T12:00:00Z"), "Europe/Berlin"))).toBe(
      "2026-10-25T00:30:00.000Z",
    );
  });

  it("previousRun of a sparse schedule steps by day and agrees with nextRun", () => {
    const monday = parseCron("* * * * 1");
    const at = new Date("2026-11-28T12:07:30Z"); // a Saturday
    expect(iso(previousRun(monday, at))).toBe("2026-11-23T23:59:00.000Z");
    expect(iso(previousRun(parseCron("0 0 1 1 *"), at))).toBe("2026-01-01T00:00:00.000Z");
    expect(previousRun(parseCron("0 0 30 2 *"), at)).toBeNull();
    // Against nextRun on random expressions: the previous run's next run is past `at`.
    for (const expr of ["*/7 3-5 * * *", "15 */6 1,15 * *", "0 12 * * 0", "45 23 31 * *"]) {
      const spec = parseCron(expr);
      const prev = previousRun(spec, at, IST);
      expect(prev).not.toBeNull();
      if (prev) expect(nextRun(spec, prev, IST).getTime()).toBeGreaterThan(at.getTime() - 60_000);
    }
  });
});
