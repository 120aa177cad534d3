import { describe, expect, it } from "vitest";
import { type TestDatabase, type TestDeps, taskDeps, testDeps } from "../../harness/worker";
import { dailySalesReport, type SalesReport } from "../../src/tasks/daily-sales-report";
import { insertOrder, insertOrderItem, insertPayment, insertProduct, insertUser } from "../helpers/factories";
import { fileSetup } from "../helpers/file-setup";

let db: TestDatabase;
let deps: TestDeps;
let user: string;
/** 18:00 IST on 28 Nov 2026, the slot of that day's report. */
const SLOT_28 = new Date("2026-11-28T12:30:00Z");
const SLOT_29 = new Date("2026-11-29T12:30:00Z");
const ist = (local: string) => new Date(`${local}+05:30`);

fileSetup({
  setDb: (d) => {
    db = d;
  },
  reset: async () => {
    await db.query(
      "delete from sales_reports; delete from emails; delete from payments; delete from order_items; delete from orders; delete from users",
    );
    user = await insertUser(db);
  },
  deps: () => {
    deps = testDeps(db, { now: SLOT_28 });
    return deps;
  },
});

async function reports(): Promise<(SalesReport & { catchUp: boolean })[]> {
  const rows = await db.query<{ id: string; payload: SalesReport & { catchUp: boolean } }>(
    "select id, payload from emails where kind = 'daily-sales-report'",
  );
  const byId = new Map(rows.map((r) => [r.id, r.payload]));
  // Queue order is send order.
  return deps.queue.sent.flatMap((m) => {
    const p = byId.get((m.body as { emailId: string }).emailId);
    return p ? [p] : [];
  });
}

describe("daily-sales-report: the shop day", () => {
  it("puts an order at 23:59 IST and one at 00:01 IST on different days (not the UTC day)", async () => {
    await insertOrder(db, {
      userId: user,
      status: "CONFIRMED",
      totalAmount: 100_00,
      createdAt: ist("2026-11-27T23:59:00"),
    });
    await insertOrder(db, {
      userId: user,
      status: "CONFIRMED",
      totalAmount: 200_00,
      createdAt: ist("2026-11-28T00:01:00"),
    });
    const result = await dailySalesReport.run(taskDeps(deps), SLOT_28);
    expect(result).toMatchObject({ reportsSent: 1, orders: 1, revenue: 200_00 });
    const [r] = await reports();
    expect(r?.date).toBe("2026-11-28");
    expect(r?.today).toMatchObject({ orders: 1, revenue: 200_00 });
    expect(r?.previousDay).toMatchObject({ date: "2026-11-27", orders: 1, revenue: 100_00 });
  });

  it("counts CONFIRMED, PROCESSING, SHIPPED and DELIVERED as sales; reports cancellations and failed payments", async () => {
    const at = ist("2026-11-28T10:00:00");
    for (const status of ["CONFIRMED", "PROCESSING", "SHIPPED", "DELIVERED", "PENDING", "CANCELLED", "REFUNDED"]) {
      await insertOrder(db, { userId: user, status, totalAmount: 1_000_00, createdAt: at });
    }
    const failedOrder = await insertOrder(db, { userId: user, status: "PENDING", createdAt: at });
    await insertPayment(db, { orderId: failedOrder.id, status: "FAILED", transactionId: "order_f", createdAt: at });
    await dailySalesReport.run(taskDeps(deps), SLOT_28);
    const [r] = await reports();
    expect(r?.today).toEqual({
      date: "2026-11-28",
      orders: 4,
      revenue: 4_000_00,
      averageOrderValue: 1_000_00,
      cancelled: 1,
      failedPayments: 1,
    });
  });

  it("stops today's figures at the slot; the next day's report carries them in the previous day's final figures", async () => {
    await insertOrder(db, {
      userId: user,
      status: "CONFIRMED",
      totalAmount: 500_00,
      createdAt: ist("2026-11-28T17:59:00"),
    });
    await insertOrder(db, {
      userId: user,
      status: "CONFIRMED",
      totalAmount: 700_00,
      createdAt: ist("2026-11-28T19:30:00"),
    });
    await dailySalesReport.run(taskDeps(deps), SLOT_28);
    await dailySalesReport.run(taskDeps(deps), SLOT_29);
    const [d28, d29] = await reports();
    expect(d28?.today.revenue).toBe(500_00);
    expect(d29?.previousDay).toMatchObject({ date: "2026-11-28", orders: 2, revenue: 1_200_00 });
  });

  it("ranks the top 5 products by revenue and compares with the previous day and the 7-day average", async () => {
    const names = ["Ring", "Chain", "Bangle", "Stud", "Anklet", "Nose pin"];
    const order = await insertOrder(db, {
      userId: user,
      status: "CONFIRMED",
      totalAmount: 21_000_00,
      createdAt: ist("2026-11-28T09:00:00"),
    });
    for (const [i, name] of names.entries()) {
      const p = await insertProduct(db, { name });
      await insertOrderItem(db, { orderId: order.id, productId: p, quantity: 1, unitPrice: (i + 1) * 1_000_00 });
    }
    await insertOrder(db, {
      userId: user,
      status: "DELIVERED",
      totalAmount: 14_000_00,
      createdAt: ist("2026-11-27T09:00:00"),
    });
    await dailySalesReport.run(taskDeps(deps), SLOT_28);
    const [r] = await reports();
    expect(r?.topProducts.map((p) => p.name)).toEqual(["Nose pin", "Anklet", "Stud", "Bangle", "Chain"]);
    expect(r?.changeVsPreviousDay).toBe(50);
    expect(r?.trailing7DayAverageRevenue).toBe(2_000_00);
    expect(r?.changeVsTrailingAverage).toBe(950);
  });
});

describe("daily-sales-report: exactly once", () => {
  it("a repeated trigger or a manual run for the same day sends nothing more", async () => {
    await dailySalesReport.run(taskDeps(deps), SLOT_28);
    const again = await dailySalesReport.run(taskDeps(deps), SLOT_28);
    const manualLater = await dailySalesReport.run(taskDeps(deps), new Date("2026-11-28T17:00:00Z"));
    expect(again).toMatchObject({ reportsSent: 0, alreadySent: true });
    expect(manualLater).toMatchObject({ reportsSent: 0 });
    expect((await reports()).length).toBe(1);
  });

  it("catches up missed days once, oldest first, then sends only the new day", async () => {
    await db.query(
      "insert into sales_reports (report_date, figures, email_key) values ('2026-11-25', '{}', 'daily-sales-report/2026-11-25')",
    );
    const result = await dailySalesReport.run(taskDeps(deps), SLOT_28);
    expect(result).toMatchObject({ reportsSent: 3, caughtUp: 2, days: ["2026-11-26", "2026-11-27", "2026-11-28"] });
    const sent = await reports();
    expect(sent.map((r) => [r.date, r.catchUp, r.complete])).toEqual([
      ["2026-11-26", true, true],
      ["2026-11-27", true, true],
      ["2026-11-28", false, false],
    ]);
    const replay = await dailySalesReport.run(taskDeps(deps), SLOT_28);
    expect(replay.reportsSent).toBe(0);
    const next = await dailySalesReport.run(taskDeps(deps), SLOT_29);
    expect(next).toMatchObject({ reportsSent: 1, days: ["2026-11-29"] });
  });

  it("catches up at most 7 days back, and a first-ever run sends just today", async () => {
    const first = await dailySalesReport.run(taskDeps(deps), SLOT_28);
    expect(first).toMatchObject({ reportsSent: 1, days: ["2026-11-28"] });
    const muchLater = await dailySalesReport.run(taskDeps(deps), new Date("2026-12-20T12:30:00Z"));
    expect(muchLater).toMatchObject({ reportsSent: 8, caughtUp: 7 });
    expect((muchLater.days as string[])[0]).toBe("2026-12-13");
  });

  it("sends to every ADMIN_EMAIL and, with none configured, to the is_admin users", async () => {
    await dailySalesReport.run(taskDeps(deps), SLOT_28);
    const [withConfig] = await db.query<{ to_addresses: string[] }>("select to_addresses from emails");
    expect(withConfig?.to_addresses).toEqual(["ops@ora.test", "owner@ora.test"]);
    await db.query("delete from sales_reports; delete from emails");
    await insertUser(db, { email: "boss@ora.test", isAdmin: true });
    const noList = testDeps(db, { now: SLOT_28, env: { ADMIN_EMAIL: "" } });
    await dailySalesReport.run(taskDeps(noList), SLOT_28);
    await noList.close();
    const [fallback] = await db.query<{ to_addresses: string[] }>("select to_addresses from emails");
    expect(fallback?.to_addresses).toEqual(["boss@ora.test"]);
  });
});
