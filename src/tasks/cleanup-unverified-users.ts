import { sql } from "drizzle-orm";
import * as z from "zod/mini";
import { DAY_MS } from "../lib/time";
import { batchUntilBudget, countDoomed } from "./batched-delete";
import { parseSettings } from "./settings";
import type { Task } from "./types";

const Settings = z.object({
  retentionDays: z._default(z.int().check(z.minimum(1), z.maximum(3650)), 30),
  batchSize: z._default(z.int().check(z.minimum(10), z.maximum(10_000)), 1_000),
  softBudgetMs: z._default(z.int().check(z.minimum(1_000), z.maximum(25_000)), 20_000),
});

const eligible = (cutoff: Date) => sql`
  u.is_verified = false and u.is_admin = false and u.created_at <= ${cutoff}
  and not exists (select 1 from orders o where o.user_id = u.id)`;

/** One bounded batch, children first; users_unverified_created_idx and orders_user_idx drive it. */
export const unverifiedUsersBatch = (cutoff: Date, limit: number) => sql`
  with doomed as (
    select u.id from users u where ${eligible(cutoff)}
    order by u.created_at limit ${limit}
    for update of u skip locked
  ),
  r as (delete from password_resets where user_id in (select id from doomed) returning 1),
  n as (delete from notifications where user_id in (select id from doomed) returning 1),
  l as (delete from inventory_locks where user_id in (select id from doomed) returning 1),
  d as (delete from users where id in (select id from doomed) returning 1)
  select (select count(*) from d)::int as users, (select count(*) from r)::int as resets,
         (select count(*) from n)::int as notes, (select count(*) from l)::int as locks`;

/**
 * Never-verified accounts older than the retention with no order (payments hang off orders, so no
 * order means no payment). Admins are never deleted. Their resets, notifications and cart locks go
 * in the same statement. Should the storefront insert an order for one of them mid-batch, the
 * orders foreign key fails the batch instead of orphaning the order: the user survives.
 */
export const cleanupUnverifiedUsers: Task = {
  name: "cleanup-unverified-users",
  cron: "0 0 1 * *",
  priority: "LOW",
  description: "Delete never-verified accounts older than 30 days that have no orders or payments",
  budgetMs: 25_000,
  deletes: true,
  settingsSchema: Settings,
  async run(deps, now) {
    const { retentionDays, batchSize, softBudgetMs } = parseSettings(Settings, deps.settings, this.name);
    const cutoff = new Date(now.getTime() - retentionDays * DAY_MS);
    if (deps.dryRun) {
      return { wouldDelete: await countDoomed(deps, sql`users u`, eligible(cutoff)), cutoff: cutoff.toISOString() };
    }
    const totals = { users: 0, passwordResets: 0, notifications: 0, locks: 0 };
    const loop = await batchUntilBudget(deps, softBudgetMs, async () => {
      const res = await deps.db.execute<{ users: number; resets: number; notes: number; locks: number }>(
        unverifiedUsersBatch(cutoff, batchSize),
      );
      const row = res.rows[0] ?? { users: 0, resets: 0, notes: 0, locks: 0 };
      totals.users += row.users;
      totals.passwordResets += row.resets;
      totals.notifications += row.notes;
      totals.locks += row.locks;
      return { more: row.users >= batchSize };
    });
    return { deleted: totals.users, ...totals, batches: loop.batches, backlogRemains: loop.backlogRemains };
  },
};
