import { createMiddleware } from "hono/factory";
import { requireSecret } from "../lib/config";
import { secretsEqual } from "../lib/crypto";
import type { Bound } from "./context";
import { AppError } from "./errors";

/** HTTP Basic credentials, or null when the header is not Basic or cannot be read. */
function basicCredentials(header: string): { user: string; password: string } | null {
  if (!header.startsWith("Basic ")) return null;
  try {
    const decoded = atob(header.slice(6).trim());
    const colon = decoded.indexOf(":");
    return colon >= 0 ? { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) } : null;
  } catch {
    return null;
  }
}

function presented(header: string, allowBasic: boolean): string | null {
  if (header.startsWith("Bearer ")) return header.slice(7).trim() || null;
  return allowBasic ? (basicCredentials(header)?.password ?? null) : null;
}

/**
 * ADMIN_TOKEN as a Bearer token (and, for the browser dashboard, as the HTTP Basic password with any
 * user name), compared in constant time. Without it: 401 and nothing else.
 */
export const requireAdmin = (opts: { basic: boolean }) =>
  createMiddleware<Bound>(async (c, next) => {
    const expected = requireSecret(c.env, "ADMIN_TOKEN");
    const given = presented(c.req.header("authorization") ?? "", opts.basic);
    if (!given || !(await secretsEqual(given, expected))) {
      if (opts.basic) c.header("WWW-Authenticate", 'Basic realm="ORA Jobs", charset="UTF-8"');
      throw new AppError("unauthorized", "valid admin credentials are required");
    }
    await next();
  });

/** Who is at the console, for the record of what they did: the Basic user name, else "admin token". */
export function operatorName(header: string | undefined): string {
  const user = basicCredentials(header ?? "")?.user.trim();
  return user ? user.slice(0, 100) : "admin token";
}
