import { describe, expect, it } from "vitest";
import { type TestDatabase, type TestDeps, taskDeps, testDeps } from "../../harness/worker";
import { cleanupPasswordResets } from "../../src/tasks/cleanup-password-resets";
import { cleanupReadNotifications } from "../../src/tasks/cleanup-read-notifications";
import { cleanupUnverifiedUsers } from "../../src/tasks/cleanup-unverified-users";
import { count, insertOrder, insertPayment, insertProduct, insertUser } from "../helpers/factories";
import { fileSetup } from "../helpers/file-setup";

let db: TestDatabase;
let deps: TestDeps;
const NOW = new Date("2026-12-01T00:00:00Z");
const DAY = 86_400_000;
const MIN = 60_000;
const ago = (ms: number) => new Date(NOW.getTime() - ms);

fileSetup({
  setDb: (d) => {
    db = d;
  },
  deps: () => {
    deps = testDeps(db, { now: NOW });
    return deps;
  },
});

async function insertReset(userId: string, expiresAt: Date, usedAt: Date | null = null) {
  const [r] = await db.query<{ id: string }>(
    "insert into password_resets (user_id, token_hash, expires_at, used_at) values ($1, 'h', $2, $3) returning id",
    [userId, expiresAt, usedAt],
  );
  return r?.id;
}

async function insertNotification(userId: string, isRead: boolean, createdAt: Date) {
  const [r] = await db.query<{ id: string }>(
    "insert into notifications (user_id, type, title, message, is_read, created_at) values ($1, 'T', 't', 'm', $2, $3) returning id",
    [userId, isRead, createdAt],
  );
  return r?.id;
}

describe("cleanup-password-resets", () => {
  it("deletes expired and used tokens and keeps live unused ones", async () => {
    const u = await insertUser(db);
    const expired = await insertReset(u, ago(MIN));
    const used = await insertReset(u, new Date(NOW.getTime() + DAY), ago(5 * MIN));
    const live = await insertReset(u, new Date(NOW.getTime() + DAY));
    const result = await cleanupPasswordResets.run(taskDeps(deps), NOW);
    expect(result.deleted).toBe(2);
    expect(await count(db, "password_resets", "id = any($1)", [[expired, used]])).toBe(0);
    expect(await count(db, "password_resets", "id = $1", [live])).toBe(1);
  });
});

describe("cleanup-read-notifications", () => {
  it("deletes read notifications exactly 30 days old, keeps one a minute younger, never deletes unread", async () => {
    const u = await insertUser(db);
    const exactly30 = await insertNotification(u, true, ago(30 * DAY));
    const minuteLess = await insertNotification(u, true, ago(30 * DAY - MIN));
    const oldUnread = await insertNotification(u, false, ago(400 * DAY));
    const result = await cleanupReadNotifications.run(taskDeps(deps), NOW);
    expect(result.deleted).toBe(1);
    expect(await count(db, "notifications", "id = $1", [exactly30])).toBe(0);
    expect(await count(db, "notifications", "id = any($1)", [[minuteLess, oldUnread]])).toBe(2);
  });

  it("takes its retention from settings and rejects a bad one", async () => {
    const u = await insertUser(db);
    const tenDays = await insertNotification(u, true, ago(10 * DAY));
    await cleanupReadNotifications.run(taskDeps(deps, { settings: { retentionDays: 7 } }), NOW);
    expect(await count(db, "notifications", "id = $1", [tenDays])).toBe(0);
    await expect(
      cleanupReadNotifications.run(taskDeps(deps, { settings: { retentionDays: -1 } }), NOW),
    ).rejects.toThrow(/invalid settings for cleanup-read-notifications: retentionDays/);
  });
});

describe("cleanup-unverified-users", () => {
  it("deletes old never-verified users with their resets, notifications and locks; spares everyone else", async () => {
    const doomed = await insertUser(db, { isVerified: false, createdAt: ago(30 * DAY) });
    await insertReset(doomed, ago(DAY));
    await insertNotification(doomed, false, ago(DAY));
    const product = await insertProduct(db);
    await db.query("insert into inventory_locks (product_id, user_id, quantity, expires_at) values ($1, $2, 1, $3)", [
      product,
      doomed,
      new Date(NOW.getTime() + DAY),
    ]);
    const young = await insertUser(db, { isVerified: false, createdAt: ago(30 * DAY - MIN) });
    const verified = await insertUser(db, { isVerified: true, createdAt: ago(90 * DAY) });
    const admin = await insertUser(db, { isVerified: false, isAdmin: true, createdAt: ago(90 * DAY) });
    const withOrder = await insertUser(db, { isVerified: false, createdAt: ago(90 * DAY) });
    const order = await insertOrder(db, { userId: withOrder, status: "CANCELLED" });
    const withPayment = await insertUser(db, { isVerified: false, createdAt: ago(90 * DAY) });
    const paidOrder = await insertOrder(db, { userId: withPayment, status: "PENDING" });
    await insertPayment(db, { orderId: paidOrder.id, transactionId: "order_x", status: "FAILED" });

    const result = await cleanupUnverifiedUsers.run(taskDeps(deps), NOW);
    expect(result).toMatchObject({ users: 1, passwordResets: 1, notifications: 1, locks: 1 });
    expect(await count(db, "users", "id = $1", [doomed])).toBe(0);
    expect(await count(db, "users", "id = any($1)", [[young, verified, admin, withOrder, withPayment]])).toBe(5);
    expect(await count(db, "orders", "id = $1", [order.id])).toBe(1);
  });

  it("works through a backlog in batches and dry run deletes nothing", async () => {
    await db.query(
      `insert into users (email, is_verified, created_at)
       select 'bulk' || g || '@example.test', false, $1 from generate_series(1, 250) g`,
      [ago(60 * DAY)],
    );
    const dry = await cleanupUnverifiedUsers.run(taskDeps(deps, { dryRun: true }), NOW);
    expect(dry.wouldDelete).toBe(250);
    expect(await count(db, "users", "email like 'bulk%'")).toBe(250);
    const result = await cleanupUnverifiedUsers.run(taskDeps(deps, { settings: { batchSize: 100 } }), NOW);
    expect(result).toMatchObject({ users: 250, batches: 3, backlogRemains: false });
  });
});
