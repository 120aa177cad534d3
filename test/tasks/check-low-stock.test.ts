import { describe, expect, it } from "vitest";
import { type TestDatabase, type TestDeps, taskDeps, testDeps } from "../../harness/worker";
import { checkLowStock, type LowStockItem } from "../../src/tasks/check-low-stock";
import { count, insertLock, insertProduct, insertUser } from "../helpers/factories";
import { fileSetup } from "../helpers/file-setup";

let db: TestDatabase;
let deps: TestDeps;
const NOW = new Date("2026-11-28T10:00:00Z");
const HOUR = 3_600_000;

fileSetup({
  setDb: (d) => {
    db = d;
  },
  reset: async () => {
    await db.query(
      "delete from low_stock_state; delete from inventory_locks; delete from notifications; delete from emails; delete from products; delete from users",
    );
  },
  deps: () => {
    deps = testDeps(db, { now: NOW });
    return deps;
  },
});

async function emailedItems(): Promise<LowStockItem[][]> {
  const rows = await db.query<{ payload: { items: LowStockItem[] }; to_addresses: string[] }>(
    "select payload, to_addresses from emails where kind = 'low-stock' order by created_at",
  );
  return rows.map((r) => r.payload.items);
}

describe("check-low-stock", () => {
  it("alerts at exactly the threshold and not one above", async () => {
    await insertProduct(db, { name: "At threshold", stock: 5 });
    await insertProduct(db, { name: "One above", stock: 6 });
    const result = await checkLowStock.run(taskDeps(deps), NOW);
    expect(result).toMatchObject({ low: 1, alerted: 1, newlyLow: 1 });
    const [items] = await emailedItems();
    expect(items?.map((i) => i.name)).toEqual(["At threshold"]);
  });

  it("uses available stock: unexpired locks count, expired ones do not", async () => {
    const p = await insertProduct(db, { name: "Locked down", stock: 8 });
    await insertLock(db, { productId: p, quantity: 3, expiresAt: new Date(NOW.getTime() + 60_000) });
    await insertLock(db, { productId: p, quantity: 4, expiresAt: new Date(NOW.getTime() - 60_000) });
    const result = await checkLowStock.run(taskDeps(deps), NOW);
    expect(result.alerted).toBe(1);
    expect((await emailedItems())[0]?.[0]).toMatchObject({ stock: 8, available: 5 });
  });

  it("honours a product's own threshold, LOW_STOCK_THRESHOLD and the task setting", async () => {
    await insertProduct(db, { name: "Own threshold", stock: 9, threshold: 10 });
    await insertProduct(db, { name: "Default", stock: 7 });
    const strict = testDeps(db, { now: NOW, env: { LOW_STOCK_THRESHOLD: "7" } });
    expect((await checkLowStock.run(taskDeps(strict), NOW)).alerted).toBe(2);
    await strict.close();
    await db.query("delete from low_stock_state");
    const viaSetting = await checkLowStock.run(taskDeps(deps, { settings: { threshold: 2 } }), NOW);
    expect(viaSetting.alerted).toBe(1);
  });

  it("calls out oversold and out-of-stock first, and ignores inactive products", async () => {
    await insertProduct(db, { name: "A low", stock: 3 });
    await insertProduct(db, { name: "B out", stock: 0 });
    await insertProduct(db, { name: "C oversold", stock: -2 });
    await insertProduct(db, { name: "D inactive", stock: 0, isActive: false });
    await checkLowStock.run(taskDeps(deps), NOW);
    const [items] = await emailedItems();
    expect(items?.map((i) => [i.name, i.severity])).toEqual([
      ["C oversold", "oversold"],
      ["B out", "out_of_stock"],
      ["A low", "low"],
    ]);
  });

  it("does not re-send the same list hourly; alerts again when stock falls further; reminds daily", async () => {
    const p = await insertProduct(db, { name: "Pendant", stock: 4 });
    await checkLowStock.run(taskDeps(deps), NOW);
    const again = await checkLowStock.run(taskDeps(deps), new Date(NOW.getTime() + HOUR));
    expect(again.alerted).toBe(0);
    expect(await count(db, "emails")).toBe(1);

    await db.query("update products set stock = 2 where id = $1", [p]);
    const worse = await checkLowStock.run(taskDeps(deps), new Date(NOW.getTime() + 2 * HOUR));
    expect(worse).toMatchObject({ alerted: 1, worse: 1 });

    const quiet = await checkLowStock.run(taskDeps(deps), new Date(NOW.getTime() + 3 * HOUR));
    expect(quiet.alerted).toBe(0);
    const reminder = await checkLowStock.run(taskDeps(deps), new Date(NOW.getTime() + 26 * HOUR));
    expect(reminder).toMatchObject({ alerted: 1, reminders: 1 });
    expect(await count(db, "emails")).toBe(3);
  });

  it("re-arms a product that recovered, so its next crossing alerts again", async () => {
    const p = await insertProduct(db, { name: "Bangle", stock: 3 });
    await checkLowStock.run(taskDeps(deps), NOW);
    await db.query("update products set stock = 50 where id = $1", [p]);
    const recovered = await checkLowStock.run(taskDeps(deps), new Date(NOW.getTime() + HOUR));
    expect(recovered).toMatchObject({ alerted: 0, recovered: 1 });
    await db.query("update products set stock = 3 where id = $1", [p]);
    const crossed = await checkLowStock.run(taskDeps(deps), new Date(NOW.getTime() + 2 * HOUR));
    expect(crossed).toMatchObject({ alerted: 1, newlyLow: 1 });
  });

  it("writes a LOW_STOCK_ALERT notification for each admin and emails every ADMIN_EMAIL through the queue", async () => {
    const admin1 = await insertUser(db, { isAdmin: true });
    const admin2 = await insertUser(db, { isAdmin: true });
    await insertUser(db, { isAdmin: false });
    await insertProduct(db, { name: "Anklet", stock: 1 });
    const result = await checkLowStock.run(taskDeps(deps), NOW);
    expect(result).toMatchObject({ notified: 2, emailed: 1 });
    const notes = await db.query<{ user_id: string; type: string }>(
      "select user_id, type from notifications order by user_id",
    );
    expect(notes.map((n) => n.user_id).sort()).toEqual([admin1, admin2].sort());
    expect(new Set(notes.map((n) => n.type))).toEqual(new Set(["LOW_STOCK_ALERT"]));
    const [email] = await db.query<{ id: string; to_addresses: string[] }>("select id, to_addresses from emails");
    expect(email?.to_addresses).toEqual(["ops@ora.test", "owner@ora.test"]);
    expect(deps.queue.sent.map((m) => m.body)).toEqual([{ emailId: email?.id }]);
  });

  it("dry run reports and changes nothing", async () => {
    await insertProduct(db, { stock: 1 });
    const result = await checkLowStock.run(taskDeps(deps, { dryRun: true }), NOW);
    expect(result).toMatchObject({ alerted: 1, dryRun: true });
    expect(await count(db, "emails")).toBe(0);
    expect(await count(db, "low_stock_state")).toBe(0);
  });
});
