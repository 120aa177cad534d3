import { sql } from "drizzle-orm";
import * as z from "zod/mini";
import { countDoomed, deleteInBatches } from "./batched-delete";
import { parseSettings } from "./settings";
import type { Task } from "./types";

const Settings = z.object({
  batchSize: z._default(z.int().check(z.minimum(100), z.maximum(50_000)), 5_000),
  softBudgetMs: z._default(z.int().check(z.minimum(1_000), z.maximum(25_000)), 20_000),
});

const dead = (now: Date) => sql`(expires_at < ${now} or used_at < ${now})`;

/** One bounded batch; the expires and used indexes drive it (a BitmapOr). */
export const deadResetsBatch = (now: Date, limit: number) => sql`
  delete from password_resets
  where ctid = any(array(select ctid from password_resets where ${dead(now)} limit ${limit} for update skip locked))`;

/** A reset token is dead once expired or used: keeping it only widens what a leak could expose. */
export const cleanupPasswordResets: Task = {
  name: "cleanup-password-resets",
  cron: "0 * * * *",
  priority: "MEDIUM",
  description: "Delete expired and used password reset tokens",
  budgetMs: 25_000,
  deletes: true,
  settingsSchema: Settings,
  async run(deps, now) {
    const { batchSize, softBudgetMs } = parseSettings(Settings, deps.settings, this.name);
    if (deps.dryRun) {
      return { wouldDelete: await countDoomed(deps, sql`password_resets`, dead(now)) };
    }
    const result = await deleteInBatches(deps, batchSize, softBudgetMs, (limit) => deadResetsBatch(now, limit));
    return { ...result };
  },
};
