import * as z from "zod/mini";
import { describeIssues } from "./validation";

/** A missing secret or a bad variable: the Worker cannot do its job until the deploy is fixed. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Secrets the Worker cannot do its work without; each is checked where it is first needed. */
export type SecretName =
  | "DATABASE_URL"
  | "RAZORPAY_KEY_ID"
  | "RAZORPAY_KEY_SECRET"
  | "RAZORPAY_WEBHOOK_SECRET"
  | "RESEND_API_KEY"
  | "ADMIN_TOKEN"
  | "COURIER_WEBHOOK_TOKEN";

const SECRET_NAMES: readonly SecretName[] = [
  "DATABASE_URL",
  "RAZORPAY_KEY_ID",
  "RAZORPAY_KEY_SECRET",
  "RAZORPAY_WEBHOOK_SECRET",
  "RESEND_API_KEY",
  "ADMIN_TOKEN",
  "COURIER_WEBHOOK_TOKEN",
];

/** The configured secret values (and the database password), for the logger to redact. */
export function secretValues(env: Env): string[] {
  const values = SECRET_NAMES.map((n) => (env as unknown as Record<string, unknown>)[n]).filter(
    (v): v is string => typeof v === "string" && v.length > 0,
  );
  try {
    const password = new URL(String((env as unknown as Record<string, unknown>).DATABASE_URL ?? "")).password;
    if (password) values.push(decodeURIComponent(password));
  } catch {
    // not a URL: nothing more to redact
  }
  return values;
}

export function requireSecret(env: Env, name: SecretName): string {
  const value = (env as unknown as Record<string, unknown>)[name];
  if (typeof value !== "string" || value.trim() === "") {
    throw new ConfigError(
      `${name} is not set: add it with \`wrangler secret put ${name}\` (locally in .dev.vars or the environment)`,
    );
  }
  return value;
}

const emailList = z.pipe(
  z.pipe(
    z._default(z.string(), ""),
    z.transform((s) =>
      s
        .split(",")
        .map((e) => e.trim())
        .filter(Boolean),
    ),
  ),
  z.array(z.email()),
);

const timeZone = z._default(z.string(), "Asia/Kolkata").check(
  z.refine((tz) => {
    try {
      new Intl.DateTimeFormat("en-IN", { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  }, "not an IANA time zone"),
);

const optionalUrl = z.pipe(
  z.pipe(
    z._default(z.string(), ""),
    z.transform((s) => s.trim()),
  ),
  z.union([z.literal(""), z.url()]),
);

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);
const isLoopback = (host: string) => LOOPBACK.has(host.toLowerCase());

/** A provider's API base: https, or plain http only to a local stand-in on loopback. */
const apiBase = (fallback: string) =>
  z._default(z.url(), fallback).check(
    z.refine((u) => {
      const url = new URL(u);
      return url.protocol === "https:" || (url.protocol === "http:" && isLoopback(url.hostname));
    }, "must be https (plain http only to a loopback stand-in)"),
  );

const ConfigSchema = z.object({
  RAZORPAY_API_BASE: apiBase("https://api.razorpay.com"),
  RESEND_API_BASE: apiBase("https://api.resend.com"),
  BUSINESS_TIMEZONE: timeZone,
  LOW_STOCK_THRESHOLD: z._default(z.coerce.number().check(z.int(), z.minimum(0)), 5),
  EMAIL_FROM: z._default(z.string().check(z.minLength(3)), "ORA Jewellery <orders@ora-jewellery.example>"),
  ADMIN_EMAIL: emailList,
  ALERT_WEBHOOK_URL: optionalUrl,
  // Local development only: a production Worker talks to Neon directly, never through a proxy.
  DB_WS_PROXY: z
    ._default(z.string(), "")
    .check(
      z.refine((v) => v === "" || isLoopback(v.replace(/:\d+$/, "")), "is local-only: empty, or a loopback host:port"),
    ),
  EMAIL_QUEUE_NAME: z._default(z.string().check(z.minLength(1)), "ora-email"),
  EMAIL_DLQ_NAME: z._default(z.string().check(z.minLength(1)), "ora-email-dlq"),
  DB_POOL_MAX: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(6)), 3),
  /** How long the public /api/health/cron answer is reused, so polling it cannot load the database. */
  HEALTH_CACHE_SECONDS: z._default(z.coerce.number().check(z.int(), z.minimum(0), z.maximum(300)), 15),
});

export type Config = z.infer<typeof ConfigSchema>;

/** Parses the non-secret settings; a bad value names the variable instead of failing later. */
export function loadConfig(env: Env): Config {
  const raw = Object.fromEntries(
    Object.keys(ConfigSchema.shape).map((k) => {
      const v = (env as unknown as Record<string, unknown>)[k];
      return [k, v === "" && k !== "ADMIN_EMAIL" && k !== "ALERT_WEBHOOK_URL" && k !== "DB_WS_PROXY" ? undefined : v];
    }),
  );
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = describeIssues(parsed.error);
    throw new ConfigError(`invalid configuration: ${issues}`);
  }
  return parsed.data;
}
