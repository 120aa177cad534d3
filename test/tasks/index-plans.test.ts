import { expect, it } from "vitest";
import { explain } from "../../harness/plans";
import type { TestDatabase } from "../../harness/worker";
import { emailClaim } from "../../src/email/consumer";
import { healthQuery } from "../../src/ops/health";
import { TASKS } from "../../src/ops/registry";
import { lowStockQuery } from "../../src/tasks/check-low-stock";
import { expiredLocksBatch } from "../../src/tasks/cleanup-expired-locks";
import { deadResetsBatch } from "../../src/tasks/cleanup-password-resets";
import { readNotificationsBatch } from "../../src/tasks/cleanup-read-notifications";
import { unverifiedUsersBatch } from "../../src/tasks/cleanup-unverified-users";
import { dayFiguresQuery, topProductsQuery } from "../../src/tasks/daily-sales-report";
import { pendingOrderEvents, requeueStaleEmails } from "../../src/tasks/deliver-order-events";
import { stalePaymentsQuery } from "../../src/tasks/reconcile-stale-payments";
import { describeOnPostgres, fileSetup } from "../helpers/file-setup";

// Large tables (≥ 100,000 rows each) where almost nothing is due, as in production: every task
// statement must reach its few rows through an index, never by reading the whole table.
const ROWS = 120_000;
const NOW = new Date("2026-11-28T12:30:00Z");
let db: TestDatabase;

fileSetup({
  // Hundreds of thousands of rows take minutes to write on a slow machine.
  timeoutMs: 180_000,
  setDb: (d) => {
    db = d;
  },
  seed: async () => {
    await db.query(
      `insert into users (email, is_verified, created_at)
      select 'u' || g || '@example.test', g % 1000 <> 0, $1::timestamptz - (g % 90 || ' days')::interval
      from generate_series(1, ${ROWS}) g`,
      [NOW],
    );
    await db.query(`insert into products (name, sku, price, stock)
      select 'P' || g, 'SKU' || g, 100000, 100 from generate_series(1, 2000) g`);
    await db.query(
      `insert into inventory_locks (product_id, quantity, expires_at)
      select p.ids[1 + g % 2000], 1, $1::timestamptz + ((g % 1000) - 5 || ' minutes')::interval
      from generate_series(1, ${ROWS}) g, (select array_agg(id) as ids from products) p`,
      [NOW],
    );
    await db.query(
      `insert into password_resets (user_id, token_hash, expires_at, used_at)
      select u.id, 'h', $1::timestamptz + ((g % 500) - 2 || ' hours')::interval,
             case when g % 997 = 0 then $1::timestamptz - interval '1 hour' end
      from generate_series(1, ${ROWS}) g, (select id from users limit 1) u`,
      [NOW],
    );
    await db.query(
      `insert into notifications (user_id, type, title, message, is_read, created_at)
      select u.id, 'T', 't', 'm', g % 50 = 0, $1::timestamptz - (g % 40 || ' days')::interval
      from generate_series(1, ${ROWS}) g, (select id from users limit 1) u`,
      [NOW],
    );
    await db.query(
      `insert into orders (order_number, user_id, status, total_amount, created_at)
      select 'ORA' || g, u.id,
             (array['CONFIRMED','PENDING','DELIVERED','CANCELLED','SHIPPED']::order_status[])[1 + g % 5],
             100000 + g, $1::timestamptz - (g * 13 || ' minutes')::interval
      from generate_series(1, ${ROWS}) g, (select id from users where is_verified limit 1) u`,
      [NOW],
    );
    await db.query(`insert into payments (order_id, status, transaction_id, amount, created_at)
      select o.id, case when o.status = 'PENDING' then 'FAILED'::payment_status else 'CAPTURED'::payment_status end,
             'order_' || o.order_number, o.total_amount, o.created_at from orders o`);
    await db.query(`insert into order_items (order_id, product_id, quantity, unit_price)
      select o.id, p.id, 1, o.total_amount from orders o, (select id from products limit 1) p`);
    // Steady state: a few pending payments, undelivered events and queued emails among many settled ones.
    await db.query("update payments set status = 'PENDING' where ctid in (select ctid from payments limit 300)");
    await db.query("update order_events set delivered_at = now() where seq % 500 <> 0");
    await db.query(
      `insert into emails (idempotency_key, kind, to_addresses, payload, status, created_at)
      select 'k' || g, 'task-alert', array['ops@example.test'], '{}'::jsonb,
             case when g % 1000 = 0 then 'queued' else 'sent' end, $1::timestamptz - (g || ' seconds')::interval
      from generate_series(1, ${ROWS}) g`,
      [NOW],
    );
    await db.query("analyze");
  },
});

describeOnPostgres(`index plans on ${ROWS.toLocaleString("en")}-row tables`, () => {
  it("cleanup-expired-locks batch reads inventory_locks_expires_idx", async () => {
    const plan = await explain(db, expiredLocksBatch(NOW, 5000));
    expect(plan.indexes).toContain("inventory_locks_expires_idx");
    expect(plan.seqScans).not.toContain("inventory_locks");
  });

  it("cleanup-password-resets batch reads the expires and used indexes", async () => {
    const plan = await explain(db, deadResetsBatch(NOW, 5000));
    expect(plan.indexes).toEqual(expect.arrayContaining(["password_resets_expires_idx", "password_resets_used_idx"]));
    expect(plan.seqScans).not.toContain("password_resets");
  });

  it("cleanup-read-notifications batch reads the partial read-notifications index", async () => {
    const plan = await explain(db, readNotificationsBatch(new Date(NOW.getTime() - 30 * 86_400_000), 5000));
    expect(plan.indexes).toContain("notifications_read_created_idx");
    expect(plan.seqScans).not.toContain("notifications");
  });

  it("cleanup-unverified-users batch reads the unverified-users and orders-by-user indexes", async () => {
    const plan = await explain(db, unverifiedUsersBatch(new Date(NOW.getTime() - 30 * 86_400_000), 1000));
    expect(plan.indexes).toEqual(expect.arrayContaining(["users_unverified_created_idx", "orders_user_idx"]));
    expect(plan.seqScans).not.toContain("users");
    expect(plan.seqScans).not.toContain("orders");
  });

  it("daily-sales-report figures read orders and payments by created_at range", async () => {
    const day = { s: "2026-11-27T18:30:00Z", e: NOW.toISOString() };
    const plan = await explain(db, dayFiguresQuery([{ day: "2026-11-28", ...day }]));
    expect(plan.indexes).toEqual(expect.arrayContaining(["orders_created_status_idx", "payments_created_status_idx"]));
    expect(plan.seqScans).not.toContain("orders");
    expect(plan.seqScans).not.toContain("payments");
    const top = await explain(db, topProductsQuery(new Date(day.s), NOW));
    expect(top.indexes).toEqual(expect.arrayContaining(["orders_created_status_idx", "order_items_order_idx"]));
    expect(top.seqScans).not.toContain("orders");
    expect(top.seqScans).not.toContain("order_items");
  });

  it("reconcile-stale-payments walks the oldest PENDING orders by the partial index, then their payments", async () => {
    const plan = await explain(db, stalePaymentsQuery(new Date(NOW.getTime() - 10 * 60_000), 600));
    expect(plan.indexes).toEqual(expect.arrayContaining(["orders_pending_created_idx", "payments_order_idx"]));
    expect(plan.seqScans).not.toContain("orders");
    expect(plan.seqScans).not.toContain("payments");
  });

  it("deliver-order-events: its batch read and the email re-queue sweep use their indexes", async () => {
    const cursor = await explain(db, pendingOrderEvents(200));
    expect(cursor.indexes).toContain("order_events_pending_idx");
    expect(cursor.seqScans).not.toContain("order_events");
    const sweep = await explain(db, requeueStaleEmails(NOW, new Date(NOW.getTime() - 15 * 60_000)));
    expect(sweep.indexes).toContain("emails_status_created_idx");
    expect(sweep.seqScans).not.toContain("emails");
  });

  it("check-low-stock sums each product's live locks through inventory_locks_product_expires_idx", async () => {
    const plan = await explain(db, lowStockQuery(NOW, 5));
    expect(plan.indexes).toContain("inventory_locks_product_expires_idx");
    expect(plan.seqScans).not.toContain("inventory_locks");
  });

  it("health (every minute, and the watchdog's input) reads a long run history through its indexes", async () => {
    // A year of runs for every task: what cron_runs holds before prune-history's default trims it.
    const names = TASKS.map((t) => t.name);
    await db.query(
      `insert into cron_runs (task_name, scheduled_at, status, started_at, finished_at, duration_ms)
       select t.name, $1::timestamptz - (g || ' minutes')::interval,
              case when g % 97 = 0 then 'failed' else 'succeeded' end,
              $1::timestamptz - (g || ' minutes')::interval, $1::timestamptz - (g || ' minutes')::interval, g % 500
       from unnest($2::text[]) t(name), generate_series(1, 20000) g`,
      [NOW, names],
    );
    await db.query("analyze cron_runs");
    const plan = await explain(db, healthQuery(names, new Date(NOW.getTime() - 86_400_000)));
    expect(plan.seqScans).not.toContain("cron_runs");
    expect(plan.indexes).toEqual(expect.arrayContaining(["cron_runs_task_status_slot_idx", "cron_runs_started_idx"]));
  });

  it("the email consumer claims its batch by primary key, never by scanning the outbox", async () => {
    const ids = await db.query<{ id: string }>("select id from emails order by created_at desc limit 100");
    const plan = await explain(
      db,
      emailClaim(
        ids.map((r) => r.id),
        NOW,
      ),
    );
    expect(plan.indexes).toContain("emails_pkey");
    expect(plan.seqScans).not.toContain("emails");
  });
});
