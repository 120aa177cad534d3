/**
 * What went wrong, in the words of whoever said no: drizzle wraps a database error as "Failed query:
 * <SQL> params: <values>", so the cause chain is searched for the database's own message and
 * SQLSTATE (a trigger's RAISE, a constraint, a statement timeout). Anything else: its message.
 */
export function errorMessage(err: unknown): string {
  for (let e: unknown = err, depth = 0; e && typeof e === "object" && depth < 5; depth++) {
    const pg = e as { message?: unknown; code?: unknown; constraint?: unknown; cause?: unknown };
    if (typeof pg.code === "string" && /^[0-9A-Z]{5}$/.test(pg.code) && typeof pg.message === "string") {
      const where = typeof pg.constraint === "string" ? `, constraint ${pg.constraint}` : "";
      return `${pg.message} (SQLSTATE ${pg.code}${where})`;
    }
    e = pg.cause;
  }
  return err instanceof Error ? err.message : String(err);
}
