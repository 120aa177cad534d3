/**
 * A refusal an operator or a caller should read: the HTTP edge turns it into
 * `{"error": {"code", "message"}}` with its status. Tasks and configuration raise their own errors
 * (InvalidSettingsError, ConfigError), which the edge maps too.
 */
export const ERROR_STATUS = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  config_missing: 500,
  internal: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "AppError";
  }

  get status(): (typeof ERROR_STATUS)[ErrorCode] {
    return ERROR_STATUS[this.code];
  }
}

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
