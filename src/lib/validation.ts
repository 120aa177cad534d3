import * as z from "zod/mini";
import en from "zod/v4/locales/en.js";

// zod/mini ships without messages ("Invalid input"); operators and webhooks deserve the reason.
z.config(en());

/** Any zod schema whose output is T (zod/mini keeps the bundle small: see README, "Bundle"). */
export type Schema<T = unknown> = z.ZodMiniType<T>;

/** The one way a validation failure is put into words: "path: message; …", at most `limit` issues. */
export function describeIssues(error: { issues: readonly z.core.$ZodIssue[] }, limit = 5, root = "(root)"): string {
  return error.issues
    .slice(0, limit)
    .map((i) => `${i.path.map(String).join(".") || root}: ${i.message}`)
    .join("; ");
}
