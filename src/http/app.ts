// hono/tiny: one small router for a handful of routes (the bundle has a 150 KiB gzip budget).

import { HTTPException } from "hono/http-exception";
import { secureHeaders } from "hono/secure-headers";
import { Hono } from "hono/tiny";
import { ConfigError } from "../lib/config";
import { errorMessage } from "../lib/errors";
import { Refusal, type RefusalReason } from "../ops/refusal";
import { InvalidSettingsError } from "../tasks/settings";
import { loggerFor } from "../wiring/open-deps";
import { adminApi } from "./admin-api";
import { opsConsole } from "./console";
import type { Bound } from "./context";
import { AppError, type ErrorCode } from "./errors";
import { health } from "./health";
import { webhooks } from "./webhooks";

export const app = new Hono<Bound>();
// Every API answer: nosniff, no framing (the console under /admin sets its own, stricter, headers).
app.use("/api/*", secureHeaders({ contentSecurityPolicy: { frameAncestors: ["'none'"] }, xFrameOptions: "DENY" }));

app.route("/api/health", health);
app.route("/api/webhooks", webhooks);
app.route("/api/admin", adminApi);
app.route("/admin", opsConsole);

app.notFound((c) => c.json({ error: { code: "not_found", message: "no such route" } }, 404));

const REFUSAL_STATUS = {
  unknown: ["not_found", 404],
  invalid: ["bad_request", 400],
  conflict: ["conflict", 409],
} as const satisfies Record<RefusalReason, readonly [ErrorCode, number]>;

app.onError((err, c) => {
  if (err instanceof AppError) {
    return c.json({ error: { code: err.code, message: err.message } }, err.status);
  }
  if (err instanceof Refusal) {
    const [code, status] = REFUSAL_STATUS[err.reason];
    return c.json({ error: { code, message: err.message } }, status);
  }
  if (err instanceof InvalidSettingsError) return c.json({ error: { code: "bad_request", message: err.message } }, 400);
  if (err instanceof ConfigError) {
    // Says which variable is missing (never its value): the operator fixes the deploy.
    return c.json({ error: { code: "config_missing", message: err.message } }, 500);
  }
  if (err instanceof HTTPException) {
    // Raised by Hono's own middleware (the dashboard's CSRF origin check).
    const code = err.status === 403 ? "forbidden" : err.status === 401 ? "unauthorized" : "bad_request";
    return c.json({ error: { code, message: err.message || code } }, err.status);
  }
  loggerFor(c.env).error("http.unhandled", {
    path: new URL(c.req.url).pathname,
    // The database's own message and SQLSTATE, not the driver's "Failed query: <SQL> params: …" wrapper.
    error: errorMessage(err),
  });
  return c.json({ error: { code: "internal", message: "internal error" } }, 500);
});
