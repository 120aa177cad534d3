import { cleanupExpiredLocks } from "./cleanup-expired-locks";
import type { Task } from "./types";

/** The single source of truth for what runs when; wrangler.toml's crons must match it (tested). */
export const TASKS: readonly Task[] = [cleanupExpiredLocks];

export function findTask(name: string): Task | undefined {
  return TASKS.find((t) => t.name === name);
}
