import type * as z from "zod";
import { AppError } from "../lib/errors";

/** Parses a task's settings row; a bad stored value fails the run with a message naming it. */
export function parseSettings<S extends z.ZodType>(schema: S, raw: Record<string, unknown>, task: string): z.infer<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
    throw new AppError("bad_request", `invalid settings for ${task}: ${issues}`);
  }
  return parsed.data;
}
