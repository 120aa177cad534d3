import { Hono } from "hono/tiny";
import { formatShopTime } from "../../lib/time";
import { flaggedPayments, resolvedReviews, resolveReview } from "../../ops/payment-reviews";
import { Refusal } from "../../ops/refusal";
import { openIncidents, recentIncidents } from "../../ops/task-views";
import { operatorName } from "../auth";
import type { WithDeps } from "../context";
import { field } from "./forms";
import { Badge, money, Page, Table, withNotice } from "./shell";

export const reviewPages = new Hono<WithDeps>();

reviewPages.get("/reviews", async (c) => {
  const deps = c.get("deps");
  const now = deps.clock();
  const tz = deps.config.BUSINESS_TIMEZONE;
  const [flagged, resolved, open, closed] = await Promise.all([
    flaggedPayments(deps),
    resolvedReviews(deps),
    openIncidents(deps),
    recentIncidents(deps, now),
  ]);
  const at = (d: Date | string | null) => (d ? formatShopTime(new Date(d), tz) : "—");
  return c.html(
    <Page
      title="Reviews and incidents"
      now={now}
      timeZone={tz}
      notice={c.req.query("done")}
      problem={c.req.query("problem")}
    >
      <section id="flagged">
        <h2>Payments needing review ({flagged.length})</h2>
        {flagged.length === 0 ? (
          <p class="muted">Nothing flagged.</p>
        ) : (
          <Table head={["Order", "Payment", "Why", "Flagged", "Resolve"]}>
            {flagged.map((p) => (
              <tr data-payment={p.id}>
                <td>
                  <a href={`/admin/orders/${encodeURIComponent(p.orderNumber)}`}>{p.orderNumber}</a>
                </td>
                <td>
                  <Badge value={p.status} /> {money(p.amount)}
                  <div class="muted">{p.razorpayPaymentId ?? p.transactionId}</div>
                </td>
                <td class="err">{p.reason ?? ""}</td>
                <td>{at(p.flaggedAt)}</td>
                <td>
                  <form method="post" action={`/admin/reviews/${p.id}/resolve`}>
                    <label for={`note-${p.id}`}>What was done</label>
                    <input id={`note-${p.id}`} name="note" required maxlength={500} style="width:100%" />
                    <button type="submit">Resolved</button>
                  </form>
                </td>
              </tr>
            ))}
          </Table>
        )}
      </section>
      <section id="incidents">
        <h2>Open incidents ({open.length})</h2>
        {open.length === 0 ? (
          <p class="muted">None open.</p>
        ) : (
          <table>
            <tbody>
              {open.map((i) => (
                <tr>
                  <td>{i.kind}</td>
                  <td>{i.task ? <a href={`/admin/tasks/${i.task}`}>{i.task}</a> : ""}</td>
                  <td>{at(i.openedAt)}</td>
                  <td class="err">{String(i.details.message ?? "")}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section id="history">
        <h2>Cleared lately</h2>
        <table>
          <tbody>
            {resolved.map((p) => (
              <tr>
                <td>{at(p.resolvedAt)}</td>
                <td>
                  review of <a href={`/admin/orders/${encodeURIComponent(p.orderNumber)}`}>{p.orderNumber}</a>
                </td>
                <td>
                  {p.resolvedBy}: {p.note}
                  <div class="muted">{p.reason}</div>
                </td>
              </tr>
            ))}
            {closed.map((i) => (
              <tr>
                <td>{at(i.resolvedAt)}</td>
                <td>
                  incident {i.kind} {i.task ?? ""}
                </td>
                <td class="muted">opened {at(i.openedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </Page>,
  );
});

reviewPages.post("/reviews/:paymentId/resolve", async (c) => {
  const deps = c.get("deps");
  const note = field(await c.req.parseBody(), "note") ?? "";
  const who = operatorName(c.req.header("authorization"));
  let done: boolean;
  try {
    done = await resolveReview(deps, c.req.param("paymentId"), who, note, deps.clock());
  } catch (err) {
    // The note's rules live with the review (ops); the page only shows the refusal back.
    if (!(err instanceof Refusal) || err.reason !== "invalid") throw err;
    return c.redirect(withNotice("/admin/reviews", `${err.message}: nothing was changed.`, "problem"), 303);
  }
  return c.redirect(
    withNotice("/admin/reviews", done ? `Resolved by ${who}.` : "Already resolved: nothing was changed."),
    303,
  );
});
