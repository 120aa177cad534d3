import type * as z from "zod/mini";
import { AppError } from "../lib/errors";
import { describeIssues } from "../lib/validation";

/** Parses a task's settings row; a bad stored value fails the run with a message naming it. */
export function parseSettings<S extends z.ZodMiniType>(
  schema: S,
  raw: Record<string, unknown>,
  task: string,
): z.infer<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issues = describeIssues(parsed.error);
    throw new AppError("bad_request", `invalid settings for ${task}: ${issues}`);
  }
  return parsed.data;
}
