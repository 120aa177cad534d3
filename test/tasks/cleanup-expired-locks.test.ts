import { describe, expect, it } from "vitest";
import { type TestDatabase, type TestDeps, testDeps } from "../../harness/worker";
import { cleanupExpiredLocks } from "../../src/tasks/cleanup-expired-locks";
import type { TaskDeps } from "../../src/tasks/types";
import { count, insertLock, insertProduct } from "../helpers/factories";
import { fileSetup } from "../helpers/file-setup";

let db: TestDatabase;
let deps: TestDeps;
const NOW = new Date("2026-11-28T10:00:00Z");

function taskDeps(over: Partial<TaskDeps> = {}): TaskDeps {
  return { ...deps, signal: new AbortController().signal, dryRun: false, settings: {}, ...over };
}

fileSetup({
  setDb: (d) => {
    db = d;
  },
  reset: async () => {
    await db.query("delete from inventory_locks");
  },
  deps: () => {
    deps = testDeps(db, { now: NOW });
    return deps;
  },
});

describe("cleanup-expired-locks", () => {
  it("deletes one expired lock and reports a count of 1 (the seed's own example)", async () => {
    const product = await insertProduct(db);
    const lock = await insertLock(db, { productId: product, expiresAt: new Date(NOW.getTime() - 1000) });
    const result = await cleanupExpiredLocks.run(taskDeps(), NOW);
    expect(result.deleted).toBe(1);
    expect(await count(db, "inventory_locks", "id = $1", [lock])).toBe(0);
  });

  it("leaves live locks, and a lock expiring exactly at the slot, alone", async () => {
    const product = await insertProduct(db);
    await insertLock(db, { productId: product, expiresAt: new Date(NOW.getTime() - 60_000) });
    const live = await insertLock(db, { productId: product, expiresAt: new Date(NOW.getTime() + 60_000) });
    const edge = await insertLock(db, { productId: product, expiresAt: NOW });
    const result = await cleanupExpiredLocks.run(taskDeps(), NOW);
    expect(result.deleted).toBe(1);
    const left = await db.query<{ id: string }>("select id from inventory_locks order by id");
    expect(left.map((r) => r.id).sort()).toEqual([live, edge].sort());
  });

  it("cleans a 20,000-row mix across several bounded batches (index, then a heap sweep), sparing every live lock", async () => {
    const product = await insertProduct(db);
    await db.query(
      `insert into inventory_locks (product_id, quantity, expires_at)
       select $1, 1, $2::timestamptz - (g || ' seconds')::interval from generate_series(1, 15000) g`,
      [product, NOW],
    );
    await db.query(
      `insert into inventory_locks (product_id, quantity, expires_at)
       select $1, 1, $2::timestamptz + (g || ' seconds')::interval from generate_series(1, 5000) g`,
      [product, NOW],
    );
    const result = await cleanupExpiredLocks.run(taskDeps({ settings: { batchSize: 4000, pagesPerBatch: 20 } }), NOW);
    expect(result).toMatchObject({ deleted: 15000, backlogRemains: false, mode: "sweep" });
    expect(result.batches).toBeGreaterThan(3);
    expect(await count(db, "inventory_locks", "expires_at < $1", [NOW])).toBe(0);
    expect(await count(db, "inventory_locks", "expires_at > $1", [NOW])).toBe(5000);
  });

  it("is idempotent: a second run finds nothing to delete", async () => {
    const product = await insertProduct(db);
    await insertLock(db, { productId: product, expiresAt: new Date(NOW.getTime() - 1000) });
    await cleanupExpiredLocks.run(taskDeps(), NOW);
    const again = await cleanupExpiredLocks.run(taskDeps(), NOW);
    expect(again.deleted).toBe(0);
  });

  it("stops between batches when its budget is spent and says a backlog remains", async () => {
    const product = await insertProduct(db);
    await db.query(
      `insert into inventory_locks (product_id, quantity, expires_at)
       select $1, 1, $2::timestamptz - interval '1 hour' from generate_series(1, 3000) g`,
      [product, NOW],
    );
    const ac = new AbortController();
    ac.abort();
    const result = await cleanupExpiredLocks.run(taskDeps({ signal: ac.signal, settings: { batchSize: 1000 } }), NOW);
    expect(result).toMatchObject({ deleted: 1000, batches: 1, backlogRemains: true });
    expect(await count(db, "inventory_locks")).toBe(2000);
  });

  it("dry run reports what it would delete and deletes nothing", async () => {
    const product = await insertProduct(db);
    await insertLock(db, { productId: product, expiresAt: new Date(NOW.getTime() - 1000) });
    await insertLock(db, { productId: product, expiresAt: new Date(NOW.getTime() - 2000) });
    const result = await cleanupExpiredLocks.run(taskDeps({ dryRun: true }), NOW);
    expect(result).toEqual({ wouldDelete: 2 });
    expect(await count(db, "inventory_locks")).toBe(2);
  });
});
