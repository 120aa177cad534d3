import { sql } from "drizzle-orm";
import * as z from "zod/mini";
import type { Executor } from "../db/executor";
import { salesReports } from "../db/schema";
import { SALE_STATUSES } from "../db/statuses";
import { addDays, shopDate, shopDayRange } from "../lib/time";
import { adminRecipients, enqueueEmails, recordEmails } from "../notices/outbox";
import { parseSettings } from "./settings";
import type { Task } from "./types";

const saleStatuses = sql.raw(SALE_STATUSES.map((s) => `'${s}'`).join(", "));

const Settings = z.object({
  /** How far back a missed day is still caught up. */
  catchUpDays: z._default(z.int().check(z.minimum(0), z.maximum(31)), 7),
});

export interface DayFigures {
  date: string;
  orders: number;
  revenue: number;
  averageOrderValue: number;
  cancelled: number;
  failedPayments: number;
}

export interface SalesReport {
  date: string;
  /** Figures for `date` from shop midnight up to `cutoff` (the slot, or the day's end once it is over). */
  cutoff: string;
  complete: boolean;
  today: DayFigures;
  /** The previous shop day in full, so orders after the previous report's cutoff are never left out. */
  previousDay: DayFigures;
  trailing7DayAverageRevenue: number;
  changeVsPreviousDay: number | null;
  changeVsTrailingAverage: number | null;
  topProducts: { productId: string; name: string; quantity: number; revenue: number }[];
}

function pctChange(now: number, before: number): number | null {
  return before === 0 ? null : Math.round(((now - before) / before) * 1000) / 10;
}

export interface DayWindow {
  day: string;
  s: string;
  e: string;
}

/** Sales, cancellations and failed payments per window: index range scans per window. */
export const dayFiguresQuery = (windows: DayWindow[]) => sql`
  with w as (select * from jsonb_to_recordset(${JSON.stringify(windows)}::jsonb) as w(day text, s timestamptz, e timestamptz))
  select w.day,
    (select count(*) from orders o where o.created_at >= w.s and o.created_at < w.e and o.status in (${saleStatuses}))::int as orders,
    (select coalesce(sum(o.total_amount), 0) from orders o
      where o.created_at >= w.s and o.created_at < w.e and o.status in (${saleStatuses}))::text as revenue,
    (select count(*) from orders o where o.created_at >= w.s and o.created_at < w.e and o.status = 'CANCELLED')::int as cancelled,
    (select count(*) from payments p where p.created_at >= w.s and p.created_at < w.e and p.status = 'FAILED')::int as failed
  from w`;

export const topProductsQuery = (start: Date, cutoff: Date) => sql`
  select oi.product_id, p.name, sum(oi.quantity)::int as quantity, sum(oi.quantity * oi.unit_price)::text as revenue
  from orders o
  join order_items oi on oi.order_id = o.id
  join products p on p.id = oi.product_id
  where o.created_at >= ${start} and o.created_at < ${cutoff} and o.status in (${saleStatuses})
  group by oi.product_id, p.name
  order by sum(oi.quantity * oi.unit_price) desc, p.name
  limit 5`;

/** Every figure of one report: three index range scans (orders, payments, items of the day). */
export async function computeSalesReport(db: Executor, date: string, at: Date, timeZone: string): Promise<SalesReport> {
  const day = shopDayRange(date, timeZone);
  const cutoff = new Date(Math.min(at.getTime(), day.end.getTime()));
  const windows: DayWindow[] = [];
  for (let i = 7; i >= 1; i--) {
    const d = addDays(date, -i);
    const r = shopDayRange(d, timeZone);
    windows.push({ day: d, s: r.start.toISOString(), e: r.end.toISOString() });
  }
  windows.push({ day: date, s: day.start.toISOString(), e: cutoff.toISOString() });
  const rows = await db.execute<{ day: string; orders: number; revenue: string; cancelled: number; failed: number }>(
    dayFiguresQuery(windows),
  );
  const byDay = new Map(
    rows.rows.map((r) => {
      const revenue = Number(r.revenue);
      const f: DayFigures = {
        date: r.day,
        orders: r.orders,
        revenue,
        averageOrderValue: r.orders === 0 ? 0 : Math.round(revenue / r.orders),
        cancelled: r.cancelled,
        failedPayments: r.failed,
      };
      return [r.day, f];
    }),
  );
  const empty = (d: string): DayFigures => ({
    date: d,
    orders: 0,
    revenue: 0,
    averageOrderValue: 0,
    cancelled: 0,
    failedPayments: 0,
  });
  const today = byDay.get(date) ?? empty(date);
  const previousDay = byDay.get(addDays(date, -1)) ?? empty(addDays(date, -1));
  const trailing = windows.slice(0, 7).map((w) => byDay.get(w.day)?.revenue ?? 0);
  const trailing7DayAverageRevenue = Math.round(trailing.reduce((a, b) => a + b, 0) / 7);
  const top = await db.execute<{ product_id: string; name: string; quantity: number; revenue: string }>(
    topProductsQuery(day.start, cutoff),
  );
  return {
    date,
    cutoff: cutoff.toISOString(),
    complete: cutoff.getTime() >= day.end.getTime(),
    today,
    previousDay,
    trailing7DayAverageRevenue,
    changeVsPreviousDay: pctChange(today.revenue, previousDay.revenue),
    changeVsTrailingAverage: pctChange(today.revenue, trailing7DayAverageRevenue),
    topProducts: top.rows.map((r) => ({
      productId: r.product_id,
      name: r.name,
      quantity: r.quantity,
      revenue: Number(r.revenue),
    })),
  };
}

/**
 * Emails the admins the shop day's sales once per day. The sales_reports ledger row and the email
 * row are written in one transaction, so a repeated trigger or a manual run for the same day sends
 * nothing new. Days missed since the first report (up to `catchUpDays` back) go out first, oldest
 * first, each once.
 */
export const dailySalesReport: Task = {
  name: "daily-sales-report",
  cron: "30 12 * * *",
  priority: "LOW",
  description: "Email the admins the day's sales (shop day up to 18:00) plus the previous day's final figures",
  budgetMs: 25_000,
  deletes: false,
  settingsSchema: Settings,
  async run(deps, now) {
    const { catchUpDays } = parseSettings(Settings, deps.settings, this.name);
    const tz = deps.config.BUSINESS_TIMEZONE;
    const today = shopDate(now, tz);
    const earliest = addDays(today, -catchUpDays);
    const ledger = await deps.db.execute<{ first: string | null; sent: string[] }>(sql`
      select (select to_char(min(report_date), 'YYYY-MM-DD') from sales_reports) as first,
             array(select to_char(report_date, 'YYYY-MM-DD') from sales_reports
                   where report_date >= ${earliest}::date and report_date <= ${today}::date) as sent`);
    const sent = new Set(ledger.rows[0]?.sent ?? []);
    const firstEver = ledger.rows[0]?.first ?? null;
    const due: string[] = [];
    if (firstEver !== null) {
      for (let d = earliest; d < today; d = addDays(d, 1)) if (d > firstEver && !sent.has(d)) due.push(d);
    }
    if (!sent.has(today)) due.push(today);
    if (due.length === 0) return { reportsSent: 0, alreadySent: true, days: [] };

    const recipients = await adminRecipients(deps);
    if (recipients.length === 0) return { reportsSent: 0, noRecipients: true, days: [] };
    const reports: SalesReport[] = [];
    for (const date of due) reports.push(await computeSalesReport(deps.db, date, now, tz));
    if (deps.dryRun) return { reportsSent: 0, wouldSend: due.length, days: due, dryRun: true };

    const emailIds = await deps.db.transaction(async (tx) => {
      const ids: string[] = [];
      for (const report of reports) {
        const key = `daily-sales-report/${report.date}`;
        // The ledger row is the claim: a day already reported (by a concurrent run too) is skipped.
        const [claimed] = await tx
          .insert(salesReports)
          .values({ reportDate: report.date, figures: { ...report }, emailKey: key })
          .onConflictDoNothing({ target: salesReports.reportDate })
          .returning({ reportDate: salesReports.reportDate });
        if (!claimed) continue;
        ids.push(
          ...(await recordEmails(
            tx,
            [
              {
                key,
                kind: "daily-sales-report",
                to: recipients,
                payload: { ...report, catchUp: report.date !== today },
              },
            ],
            now,
          )),
        );
      }
      return ids;
    });
    await enqueueEmails(deps, emailIds);
    const today_ = reports.at(-1);
    return {
      reportsSent: emailIds.length,
      days: due,
      caughtUp: due.filter((d) => d !== today).length,
      orders: today_?.today.orders ?? 0,
      revenue: today_?.today.revenue ?? 0,
    };
  },
};
