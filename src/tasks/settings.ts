import type * as z from "zod/mini";
import { describeIssues } from "../lib/validation";

/** A stored settings row the task cannot use: the run fails naming it; an operator's request gets a 400. */
export class InvalidSettingsError extends Error {
  override name = "InvalidSettingsError";
}

/** Parses a task's settings row; a bad stored value fails the run with a message naming it. */
export function parseSettings<S extends z.ZodMiniType>(
  schema: S,
  raw: Record<string, unknown>,
  task: string,
): z.infer<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issues = describeIssues(parsed.error);
    throw new InvalidSettingsError(`invalid settings for ${task}: ${issues}`);
  }
  return parsed.data;
}
