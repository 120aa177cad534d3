/** Structured JSON logs (Workers Logs indexes the fields). Never pass secrets or whole env objects. */
export type LogFields = Record<string, unknown>;

export interface Logger {
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

const EMAIL = /([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+)/g;

/** Masks e-mail addresses so customer identities never land in logs. */
export function maskPersonalData(text: string): string {
  return text.replace(EMAIL, "$1***@$2");
}

/**
 * `secrets` are exact values (the configured secrets) replaced wherever they appear: an error text
 * can carry one (a driver echoing a connection string), and logs must never.
 */
export function createLogger(base: LogFields = {}, secrets: readonly string[] = []): Logger {
  const redact = (text: string) => secrets.reduce((t, s) => (s.length >= 6 ? t.split(s).join("[redacted]") : t), text);
  const write = (level: "info" | "warn" | "error", event: string, fields?: LogFields) => {
    const line = maskPersonalData(redact(JSON.stringify({ level, event, ...base, ...fields })));
    if (level === "error") console.error(line);
    else if (level === "warn") console.warn(line);
    else console.log(line);
  };
  return {
    info: (e, f) => write("info", e, f),
    warn: (e, f) => write("warn", e, f),
    error: (e, f) => write("error", e, f),
    child: (fields) => createLogger({ ...base, ...fields }, secrets),
  };
}
