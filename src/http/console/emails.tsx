import type { FC } from "hono/jsx";
import { Hono } from "hono/tiny";
import * as z from "zod/mini";
import { formatShopTime } from "../../lib/time";
import { EMAIL_STATUSES, type EmailStatus, listEmails, resendEmail } from "../../ops/email-desk";
import { emailPipelineStats } from "../../ops/task-views";
import type { WithDeps } from "../context";
import { valid } from "../validate";
import { backTo } from "./forms";
import { Badge, Page, Table } from "./shell";

export const emailPages = new Hono<WithDeps>();

/** The outbox at a glance, one link per email state (the overview and the emails page). */
export const EmailPipeline: FC<{
  stats: Awaited<ReturnType<typeof emailPipelineStats>>;
  current?: EmailStatus;
  id?: string;
}> = ({ stats, current, id }) => (
  <nav class="kpis" id={id} aria-label="Email states">
    {EMAIL_STATUSES.map((s) => (
      <a class="kpi" href={`/admin/emails?status=${s}`} aria-current={s === current ? "page" : undefined}>
        {s}
        <b>{stats[s]}</b>
      </a>
    ))}
    {stats.oldestQueuedAgeSeconds !== null && (
      <span class="kpi">
        oldest queued<b>{stats.oldestQueuedAgeSeconds} s</b>
      </span>
    )}
  </nav>
);

const EmailsQuery = z.object({ status: z._default(z.enum(EMAIL_STATUSES), "failed"), done: z.optional(z.string()) });

emailPages.get("/emails", valid("query", EmailsQuery), async (c) => {
  const deps = c.get("deps");
  const now = deps.clock();
  const tz = deps.config.BUSINESS_TIMEZONE;
  const { status } = c.req.valid("query");
  const [rows, stats] = await Promise.all([listEmails(deps, status), emailPipelineStats(deps, now)]);
  const self = `/admin/emails?status=${status}`;
  return c.html(
    <Page title={`Emails: ${status}`} now={now} timeZone={tz} notice={c.req.query("done")}>
      <section>
        <EmailPipeline stats={stats} current={status} />
      </section>
      <section>
        {rows.length === 0 ? (
          <p id="no-emails">No {status} emails.</p>
        ) : (
          <Table
            id="emails"
            head={["Created", "What", "To", "Status", "Why", ""]}
            caption={
              <>
                newest {rows.length} {status}
              </>
            }
          >
            {rows.map((m) => (
              <tr data-email={m.id}>
                <td style="white-space:nowrap">{formatShopTime(m.createdAt, tz)}</td>
                <td>
                  {m.kind}
                  {m.title && <div class="muted">{m.title}</div>}
                  {m.orderNumber && (
                    <div>
                      <a href={`/admin/orders/${encodeURIComponent(m.orderNumber)}`}>{m.orderNumber}</a>
                    </div>
                  )}
                </td>
                <td>{m.to.join(", ")}</td>
                <td>
                  <Badge value={m.status} />
                  <div class="muted">
                    {m.attempts} tr{m.attempts === 1 ? "y" : "ies"}
                    {m.resends > 0 ? ` · resent ${m.resends}×` : ""}
                    {m.sentAt ? ` · sent ${formatShopTime(m.sentAt, tz)}` : ""}
                  </div>
                </td>
                <td class="err">{m.lastError ?? ""}</td>
                <td>
                  {(m.status === "failed" || m.status === "dead") && (
                    <form method="post" action={`/admin/emails/${m.id}/resend`} class="inline">
                      <input type="hidden" name="back" value={self} />
                      <button type="submit" aria-label={`Resend ${m.kind} to ${m.to.join(", ")}`}>
                        Resend
                      </button>
                    </form>
                  )}
                </td>
              </tr>
            ))}
          </Table>
        )}
      </section>
    </Page>,
  );
});

emailPages.post("/emails/:id/resend", async (c) => {
  const deps = c.get("deps");
  const r = await resendEmail(deps, c.req.param("id"), deps.clock());
  const message =
    r.kind === "requeued"
      ? "Email queued again; it goes out within a minute."
      : `Nothing done: the email is ${r.status} (only a failed or dead email can be resent).`;
  return c.redirect(backTo(await c.req.parseBody(), "/admin/emails?status=queued", message), 303);
});
