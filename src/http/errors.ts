// The HTTP edge's one error: raised by routes and middleware, turned into
// `{"error": {"code", "message"}}` with its status by the app's one onError. Layers below raise their
// own (ops' Refusal, InvalidSettingsError, ConfigError), which onError maps too.
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
