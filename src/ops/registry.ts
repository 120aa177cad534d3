import { checkLowStock } from "../tasks/check-low-stock";
import { cleanupExpiredLocks } from "../tasks/cleanup-expired-locks";
import { cleanupPasswordResets } from "../tasks/cleanup-password-resets";
import { cleanupReadNotifications } from "../tasks/cleanup-read-notifications";
import { cleanupUnverifiedUsers } from "../tasks/cleanup-unverified-users";
import { dailySalesReport } from "../tasks/daily-sales-report";
import { deliverOrderEvents } from "../tasks/deliver-order-events";
import { pruneHistory } from "../tasks/prune-history";
import { reconcileStalePayments } from "../tasks/reconcile-stale-payments";
import type { Task } from "../tasks/types";
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
