import { checkLowStock } from "./check-low-stock";
import { cleanupExpiredLocks } from "./cleanup-expired-locks";
import { cleanupPasswordResets } from "./cleanup-password-resets";
import { cleanupReadNotifications } from "./cleanup-read-notifications";
import { cleanupUnverifiedUsers } from "./cleanup-unverified-users";
import { dailySalesReport } from "./daily-sales-report";
import { deliverOrderEvents } from "./deliver-order-events";
import { pruneHistory } from "./prune-history";
import { reconcileStalePayments } from "./reconcile-stale-payments";
import type { Task } from "./types";
import { createWatchdog } from "./watchdog";

/** The single source of truth for what runs when; wrangler.toml's crons must match it (tested). */
export const TASKS: readonly Task[] = [
  deliverOrderEvents,
  cleanupExpiredLocks,
  reconcileStalePayments,
  checkLowStock,
  cleanupPasswordResets,
  cleanupReadNotifications,
  dailySalesReport,
  cleanupUnverifiedUsers,
  createWatchdog(() => TASKS),
  pruneHistory,
];

export function findTask(name: string): Task | undefined {
  return TASKS.find((t) => t.name === name);
}
