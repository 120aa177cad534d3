import type { ValidationTargets } from "hono";
import { bodyLimit } from "hono/body-limit";
import { validator } from "hono/validator";
import { describeIssues, type Schema } from "../lib/validation";
import { AppError } from "./errors";

/**
 * Hono's validator with a zod schema: bad input is one 400 naming each problem, and the handler
 * reads the typed value with `c.req.valid(target)`.
 */
export const valid = <Target extends keyof ValidationTargets, T>(target: Target, schema: Schema<T>) =>
  validator(target, (value): T => {
    const r = schema.safeParse(value);
    if (!r.success) throw new AppError("bad_request", `invalid ${target}: ${describeIssues(r.error)}`);
    return r.data;
  });

/** Admin and console bodies are a few fields: anything over 64 KiB is refused (413) before it is read. */
export const smallBody = bodyLimit({
  maxSize: 64 * 1024,
  onError: () => {
    throw new AppError("payload_too_large", "body over 64 KiB");
  },
});
