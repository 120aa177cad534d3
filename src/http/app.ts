import { Hono } from "hono";
import { AppError } from "../lib/errors";
import { createLogger } from "../lib/log";
import type { HonoEnv } from "./context";
import { health } from "./health";
import { webhooks } from "./webhooks";

export const app = new Hono<HonoEnv>();

app.route("/api/health", health);
app.route("/api/webhooks", webhooks);

app.notFound((c) => c.json({ error: { code: "not_found", message: "no such route" } }, 404));

app.onError((err, c) => {
  if (err instanceof AppError) {
    return c.json({ error: { code: err.code, message: err.message } }, err.status);
  }
  createLogger({ service: "ora-jobs" }).error("http.unhandled", {
    path: new URL(c.req.url).pathname,
    error: err.message,
  });
  return c.json({ error: { code: "internal", message: "internal error" } }, 500);
});
