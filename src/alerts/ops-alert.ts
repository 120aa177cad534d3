import type { AppDeps } from "../lib/deps";
import { errorMessage } from "../lib/errors";
import { adminRecipients, enqueueEmails, recordEmails } from "../notices/outbox";

export interface OpsAlert {
  /** Unique per incident and transition, e.g. `missed/cleanup-expired-locks/<opened>/open`. */
  key: string;
  title: string;
  message: string;
  severity: "critical" | "warning" | "resolved" | "info";
  task?: string;
  details?: Record<string, string | number | boolean | null>;
}

const ICON = { critical: "🔴", warning: "🟠", resolved: "✅", info: "ℹ️" } as const;

/**
 * Tells the operators: ALERT_WEBHOOK_URL (Slack `text` and Discord `content` in one body) and, unless
 * told not to, an email to the admins. The email is keyed by the alert, so repeating an alert
 * never mails twice. A failing webhook is reported, never thrown.
 */
export async function sendOpsAlert(
  deps: AppDeps,
  alert: OpsAlert,
  now: Date,
  opts: { email?: boolean } = {},
): Promise<{ webhook: "sent" | "failed" | "skipped"; emailed: boolean }> {
  let webhook: "sent" | "failed" | "skipped" = "skipped";
  if (deps.config.ALERT_WEBHOOK_URL) {
    const line = `${ICON[alert.severity]} ${alert.title}\n${alert.message}`;
    try {
      const res = await deps.fetch(deps.config.ALERT_WEBHOOK_URL, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ text: line, content: line.slice(0, 2000) }),
        signal: AbortSignal.timeout(5_000),
      });
      webhook = res.ok ? "sent" : "failed";
      if (!res.ok) deps.log.warn("alert.webhook_failed", { status: res.status, key: alert.key });
    } catch (err) {
      webhook = "failed";
      deps.log.warn("alert.webhook_failed", { error: errorMessage(err), key: alert.key });
    }
  }
  let emailed = false;
  if (opts.email !== false) {
    const to = await adminRecipients(deps);
    const ids = await recordEmails(
      deps.db,
      [
        {
          key: `alert/${alert.key}`,
          kind: "task-alert",
          to,
          payload: {
            title: alert.title,
            message: alert.message,
            severity: alert.severity,
            task: alert.task ?? null,
            details: alert.details ?? {},
            at: now.toISOString(),
          },
        },
      ],
      now,
    );
    await enqueueEmails(deps, ids);
    emailed = ids.length > 0;
  }
  deps.log.info("alert.sent", { key: alert.key, severity: alert.severity, webhook, emailed });
  return { webhook, emailed };
}
