import { Hono } from "hono/tiny";
import { formatShopTime } from "../../lib/time";
import { askRazorpay, paymentOfOrder } from "../../ops/ask-razorpay";
import { orderByNumber, orderDossier, readSearchTerm, searchOrders, timeline } from "../../ops/order-desk";
import type { WithDeps } from "../context";
import { AppError } from "../errors";
import { backTo } from "./forms";
import { Badge, money, Page, Table, withNotice } from "./shell";

export const orderPages = new Hono<WithDeps>();

orderPages.get("/search", async (c) => {
  const deps = c.get("deps");
  const now = deps.clock();
  const tz = deps.config.BUSINESS_TIMEZONE;
  const q = c.req.query("q") ?? "";
  const term = readSearchTerm(q);
  const hits = "problem" in term ? [] : await searchOrders(deps.db, term);
  return c.html(
    <Page title="Search" now={now} timeZone={tz} query={q} problem={"problem" in term ? term.problem : undefined}>
      <section>
        {"problem" in term ? null : hits.length === 0 ? (
          <p id="no-results">
            Nothing found for <b>{q.trim()}</b> (searched {term.kind.replace("-", " ")}s).
          </p>
        ) : (
          <Table
            id="results"
            head={["Order", "Status", "Amount", "Customer", "Placed"]}
            caption={
              <>
                {hits.length} order{hits.length === 1 ? "" : "s"} for {term.kind.replace("-", " ")} {term.value}
              </>
            }
          >
            {hits.map((h) => (
              <tr>
                <td>
                  <a href={`/admin/orders/${encodeURIComponent(h.orderNumber)}`}>{h.orderNumber}</a>
                </td>
                <td>
                  <Badge value={h.status} />
                </td>
                <td>{money(h.totalAmount, h.currency)}</td>
                <td>{h.email}</td>
                <td>{formatShopTime(new Date(h.createdAt), tz)}</td>
              </tr>
            ))}
          </Table>
        )}
      </section>
    </Page>,
  );
});

orderPages.get("/orders/:orderNumber", async (c) => {
  const deps = c.get("deps");
  const now = deps.clock();
  const tz = deps.config.BUSINESS_TIMEZONE;
  const d = await orderDossier(deps.db, c.req.param("orderNumber"));
  if (!d) throw new AppError("not_found", `no order ${c.req.param("orderNumber")}`);
  const at = (iso: string | null) => (iso ? formatShopTime(new Date(iso), tz) : "—");
  const self = `/admin/orders/${encodeURIComponent(d.orderNumber)}`;
  return c.html(
    <Page title={`Order ${d.orderNumber}`} now={now} timeZone={tz} notice={c.req.query("done")}>
      <div class="grid">
        <section id="order">
          <h2>
            Order <Badge value={d.status} />
          </h2>
          <dl>
            <dt>Amount</dt>
            <dd>{money(d.totalAmount, d.currency)}</dd>
            <dt>Customer</dt>
            <dd>
              {d.name ?? "—"} · {d.email}
            </dd>
            <dt>Placed</dt>
            <dd>{at(d.createdAt)}</dd>
            <dt>Updated</dt>
            <dd>{at(d.updatedAt)}</dd>
            <dt>Razorpay order</dt>
            <dd>{d.razorpayOrderId ?? "—"}</dd>
            <dt>Tracking</dt>
            <dd>{d.trackingNumber ?? "—"}</dd>
          </dl>
          <form method="post" action={`${self}/reconcile`} style="margin-top:12px">
            <button class="primary" type="submit" id="ask-razorpay">
              Ask Razorpay now
            </button>{" "}
            <span class="muted">settles the order from what Razorpay says, like a webhook would</span>
          </form>
        </section>
        <section id="items">
          <h2>Items</h2>
          <Table head={["Piece", "Qty", ">Price"]}>
            {d.items.map((i) => (
              <tr>
                <td>
                  {i.name} <span class="muted">{i.sku}</span>
                </td>
                <td>{i.quantity}</td>
                <td style="text-align:right">{money(i.unitPrice, d.currency)}</td>
              </tr>
            ))}
          </Table>
        </section>
      </div>
      <section id="payments">
        <h2>Payments and attempts</h2>
        <Table head={["Payment", "Status", "Razorpay ids", "Amount", "Note"]}>
          {d.payments.map((p) => (
            <tr>
              <td>
                row <span class="muted">{p.id}</span>
              </td>
              <td>
                <Badge value={p.status} />
              </td>
              <td>
                {p.transactionId}
                {p.razorpayPaymentId && p.razorpayPaymentId !== p.transactionId && <div>{p.razorpayPaymentId}</div>}
              </td>
              <td>
                {money(p.amount, d.currency)}
                {p.refundedAmount > 0 && <div class="muted">refunded {money(p.refundedAmount, d.currency)}</div>}
              </td>
              <td>
                {p.needsReview && <div class="err">needs review: {p.reviewReason}</div>}
                {p.failureReason && <div class="muted">{p.failureReason}</div>}
              </td>
            </tr>
          ))}
          {d.attempts.map((a) => (
            <tr>
              <td>attempt</td>
              <td>
                <Badge value={a.status} />
              </td>
              <td>{a.id}</td>
              <td>
                {money(a.amount, d.currency)}
                {a.amountRefunded > 0 && <div class="muted">refunded {money(a.amountRefunded, d.currency)}</div>}
              </td>
              <td class="muted">
                {a.method ?? ""} {a.failureReason ?? ""}
              </td>
            </tr>
          ))}
        </Table>
      </section>
      <section id="webhooks">
        <h2>Webhook events received ({d.events.length})</h2>
        {d.events.length === 0 ? (
          <p class="muted">None recorded for this order.</p>
        ) : (
          <Table head={["Received", "Type", "Event id", "Outcome"]}>
            {d.events.map((e) => (
              <tr>
                <td>{at(e.receivedAt)}</td>
                <td>
                  {e.eventType} <span class="muted">{e.provider}</span>
                </td>
                <td>{e.eventId}</td>
                <td>{e.outcome ?? "—"}</td>
              </tr>
            ))}
          </Table>
        )}
      </section>
      <section id="checks">
        <h2>What we asked Razorpay</h2>
        {d.checks.length === 0 ? (
          <p class="muted">Never asked: the webhooks told us, or the payment was never stale.</p>
        ) : (
          <Table head={["When", "Who", "Asked about", "Learned"]}>
            {d.checks.map((k) => (
              <tr>
                <td>{at(k.checkedAt)}</td>
                <td>{k.source}</td>
                <td>{k.razorpayId}</td>
                <td>
                  {k.outcome}
                  {k.detail && k.detail !== k.outcome && <div class="muted">{k.detail}</div>}
                </td>
              </tr>
            ))}
          </Table>
        )}
      </section>
      <section id="messages">
        <h2>Notifications and emails</h2>
        <Table head={["What", "To", "Status", "Tries", "Last error"]}>
          {d.notifications.map((n) => (
            <tr>
              <td>
                notification · {n.type}
                <div class="muted">{n.title}</div>
              </td>
              <td>in the shop</td>
              <td>{n.isRead ? "read" : "unread"}</td>
              <td />
              <td />
            </tr>
          ))}
          {d.emails.map((m) => (
            <tr data-email={m.id}>
              <td>
                email · {m.kind}
                <div class="muted">{m.subject ?? ""}</div>
              </td>
              <td>{m.to.join(", ")}</td>
              <td>
                <Badge value={m.status} />
              </td>
              <td>
                {m.attempts}
                {m.resends > 0 ? ` · resent ${m.resends}×` : ""}
              </td>
              <td class="err">
                {m.lastError ?? ""}
                {(m.status === "failed" || m.status === "dead") && (
                  <form method="post" action={`/admin/emails/${m.id}/resend`} class="inline">
                    <input type="hidden" name="back" value={self} /> <button type="submit">Resend</button>
                  </form>
                )}
              </td>
            </tr>
          ))}
        </Table>
      </section>
      <section id="timeline">
        <h2>Timeline</h2>
        <table>
          <tbody>
            {timeline(d).map((e) => (
              <tr>
                <td style="white-space:nowrap">{at(e.at)}</td>
                <td>{e.what}</td>
                <td class="muted">{e.detail}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </Page>,
  );
});

orderPages.post("/orders/:orderNumber/reconcile", async (c) => {
  const deps = c.get("deps");
  const d = await orderByNumber(deps.db, c.req.param("orderNumber"));
  if (!d) throw new AppError("not_found", `no order ${c.req.param("orderNumber")}`);
  const self = `/admin/orders/${encodeURIComponent(d.orderNumber)}`;
  const payment = await paymentOfOrder(deps, d.id);
  if (!payment) return c.redirect(withNotice(self, "This order has no payment to ask Razorpay about."), 303);
  const r = await askRazorpay(deps, payment);
  const said = r.detail && r.detail !== r.outcome ? `${r.outcome} (${r.detail})` : r.outcome;
  return c.redirect(
    backTo(
      await c.req.parseBody(),
      self,
      `Razorpay asked about ${r.razorpayId}: ${said}. The order is ${r.orderStatus}.`,
    ),
    303,
  );
});
