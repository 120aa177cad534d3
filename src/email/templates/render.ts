import * as z from "zod/mini";
import { formatInr } from "../../lib/money";
import { addDays, formatShopDate, formatShopTime, shopDate } from "../../lib/time";
import { describeIssues, type Schema } from "../../lib/validation";
import type { EmailKind } from "../../notices/kinds";
import { ORDER_NOTICE_TYPES } from "../../notices/kinds";
import { html } from "./html";
import { layout, type Rendered } from "./layout";
import { type PillTone, pill, S, table } from "./styles";

export class RenderError extends Error {
  override name = "RenderError";
}

const Item = z.object({ name: z.string(), sku: z.optional(z.string()), quantity: z.number(), unitPrice: z.number() });

const OrderStatus = z.object({
  type: z.enum(ORDER_NOTICE_TYPES),
  title: z.string(),
  message: z.string(),
  orderId: z.string(),
  orderNumber: z.string(),
  customerName: z.nullish(z.string()),
  totalAmount: z.number(),
  currency: z._default(z.string(), "INR"),
  trackingNumber: z.nullish(z.string()),
  at: z.string(),
  items: z._default(z.array(Item), []),
});

const LowStock = z.object({
  at: z.string(),
  items: z.array(
    z.object({
      name: z.string(),
      sku: z.string(),
      stock: z.number(),
      available: z.number(),
      threshold: z.number(),
      reason: z.string(),
      severity: z.enum(["oversold", "out_of_stock", "low"]),
    }),
  ),
});

const Day = z.object({
  date: z.string(),
  orders: z.number(),
  revenue: z.number(),
  averageOrderValue: z.number(),
  cancelled: z.number(),
  failedPayments: z.number(),
});
const SalesReport = z.object({
  date: z.string(),
  cutoff: z.string(),
  complete: z.boolean(),
  catchUp: z._default(z.boolean(), false),
  today: Day,
  previousDay: Day,
  trailing7DayAverageRevenue: z.number(),
  changeVsPreviousDay: z.nullable(z.number()),
  changeVsTrailingAverage: z.nullable(z.number()),
  topProducts: z.array(z.object({ name: z.string(), quantity: z.number(), revenue: z.number() })),
});

const TaskAlert = z.object({
  title: z.string(),
  message: z.string(),
  severity: z._default(z.enum(["critical", "warning", "resolved", "info"]), "warning"),
  task: z.nullish(z.string()),
  details: z._default(z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])), {}),
  at: z.string(),
});

const PaymentReview = z.object({
  orderNumber: z.nullish(z.string()),
  paymentId: z.nullish(z.string()),
  reason: z.string(),
  at: z.string(),
});

const Oversell = z.object({
  orderNumber: z.string(),
  products: z.array(z.object({ name: z.string(), sku: z.string(), stock: z.number() })),
  at: z.string(),
});

function parse<T>(schema: Schema<T>, payload: unknown, kind: string): T {
  const r = schema.safeParse(payload);
  if (!r.success) throw new RenderError(`${kind} payload: ${describeIssues(r.error, 1)}`);
  return r.data;
}

const pct = (n: number | null) => (n === null ? "n/a" : `${n > 0 ? "+" : ""}${n.toFixed(1)}%`);

function itemsTable(items: z.infer<typeof Item>[], total: number) {
  return table(html`<tr><th style="${S.th}">Item</th><th style="${S.thNum}">Qty</th><th style="${S.thNum}">Price</th></tr>
${items.map((i) => html`<tr><td style="${S.td}">${i.name}</td><td style="${S.tdNum}">${i.quantity}</td><td style="${S.tdNum}">${formatInr(i.quantity * i.unitPrice)}</td></tr>`)}
<tr><td style="${S.total}">Total</td><td style="${S.total}"></td><td style="${S.totalNum}">${formatInr(total)}</td></tr>`);
}

function itemsText(items: z.infer<typeof Item>[], total: number): string {
  return [
    ...items.map((i) => `- ${i.name} × ${i.quantity}: ${formatInr(i.quantity * i.unitPrice)}`),
    `Total: ${formatInr(total)}`,
  ].join("\n");
}

function orderStatus(p: z.infer<typeof OrderStatus>, tz: string): Rendered {
  const greeting = p.customerName ? `Hello ${p.customerName},` : "Hello,";
  const confirmed = p.type === "ORDER_CONFIRMED";
  const eta = formatShopDate(addDays(shopDate(new Date(p.at), tz), 7), tz);
  const subject = confirmed ? `Order Confirmation - ${p.orderNumber}` : `${p.title} - ${p.orderNumber}`;
  const body = html`<h1 style="${S.h1}">${p.title}</h1>
<p style="${S.p}">${greeting}</p>
<p style="${S.p}">${p.message}</p>
<p style="${S.p}"><b>Order:</b> ${p.orderNumber}${p.trackingNumber ? html`<br><b>Tracking number:</b> ${p.trackingNumber}` : ""}${
    confirmed ? html`<br><b>Estimated delivery:</b> ${eta}` : ""
  }</p>
${p.items.length > 0 ? itemsTable(p.items, p.totalAmount) : html`<p style="${S.p}"><b>Total:</b> ${formatInr(p.totalAmount)}</p>`}
<p style="${S.p}${S.muted}">Updated ${formatShopTime(new Date(p.at), tz)}</p>`;
  const text = [
    p.title,
    "",
    greeting,
    p.message,
    "",
    `Order: ${p.orderNumber}`,
    ...(p.trackingNumber ? [`Tracking number: ${p.trackingNumber}`] : []),
    ...(confirmed ? [`Estimated delivery: ${eta}`] : []),
    "",
    itemsText(p.items, p.totalAmount),
  ].join("\n");
  return { subject, html: layout({ title: subject, preheader: p.message, body }), text };
}

const SEVERITY_LABEL: Record<"oversold" | "out_of_stock" | "low", readonly [string, PillTone]> = {
  oversold: ["Oversold", "bad"],
  out_of_stock: ["Out of stock", "bad"],
  low: ["Low", "warn"],
};

function lowStock(p: z.infer<typeof LowStock>, tz: string): Rendered {
  const subject = `Low stock: ${p.items.length} product${p.items.length === 1 ? "" : "s"} need attention`;
  const body = html`<h1 style="${S.h1}">${subject}</h1>
<p style="${S.p}${S.muted}">${formatShopTime(new Date(p.at), tz)}. Available = stock minus live cart and checkout locks.</p>
${table(html`<tr><th style="${S.th}">Product</th><th style="${S.th}">Status</th><th style="${S.thNum}">Available</th></tr>
${p.items.map((i) => {
  const [label, tone] = SEVERITY_LABEL[i.severity];
  return html`<tr><td style="${S.td}">${i.name}<br><span style="${S.muted}">${i.sku}${i.reason === "reminder" ? " · still low" : i.reason === "worse" ? " · fell further" : " · new"}</span></td><td style="${S.td}">${pill(label, tone)}</td><td style="${S.tdNum}">${i.available}<br><span style="${S.muted}">min ${i.threshold}</span></td></tr>`;
})}`)}`;
  const text = [
    subject,
    "",
    ...p.items.map(
      (i) =>
        `- [${SEVERITY_LABEL[i.severity][0]}] ${i.name} (${i.sku}): ${i.available} available, threshold ${i.threshold}`,
    ),
  ].join("\n");
  return { subject, html: layout({ title: subject, preheader: subject, body }), text };
}

function salesReport(p: z.infer<typeof SalesReport>, tz: string): Rendered {
  const dayLabel = formatShopDate(p.date, tz);
  const subject = `${p.catchUp ? "[Catch-up] " : ""}Daily Sales Report - ${dayLabel}`;
  const upTo = p.complete ? "full day" : `up to ${formatShopTime(new Date(p.cutoff), tz)}`;
  const t = p.today;
  // Figures as rows, not side by side: three rupee amounts do not fit across a phone.
  const kpi = (label: string, value: string) =>
    html`<tr><td style="${S.kpi}">${label}</td><td style="${S.kpi}${S.kpiValue}">${value}</td></tr>`;
  const row = (label: string, value: string) =>
    html`<tr><td style="${S.td}">${label}</td><td style="${S.tdNum}">${value}</td></tr>`;
  const body = html`<h1 style="${S.h1}">Sales for ${dayLabel}</h1>
<p style="${S.p}${S.muted}">Shop day (${tz}), ${upTo}.${p.catchUp ? " Sent late: this day's report was missed." : ""}</p>
${table([kpi("Revenue", formatInr(t.revenue)), kpi("Orders", String(t.orders)), kpi("Average order", formatInr(t.averageOrderValue))])}
${table([
  row(`vs previous day (${formatInr(p.previousDay.revenue)})`, pct(p.changeVsPreviousDay)),
  row(`vs 7-day average (${formatInr(p.trailing7DayAverageRevenue)})`, pct(p.changeVsTrailingAverage)),
  row("Cancelled orders", String(t.cancelled)),
  row("Failed payments", String(t.failedPayments)),
])}
<h1 style="${S.h1}">Top products</h1>
${
  p.topProducts.length === 0
    ? html`<p style="${S.p}${S.muted}">No sales yet.</p>`
    : table(html`<tr><th style="${S.th}">Product</th><th style="${S.thNum}">Qty</th><th style="${S.thNum}">Revenue</th></tr>
${p.topProducts.map((x) => html`<tr><td style="${S.td}">${x.name}</td><td style="${S.tdNum}">${x.quantity}</td><td style="${S.tdNum}">${formatInr(x.revenue)}</td></tr>`)}`)
}
<h1 style="${S.h1}">Previous day, final</h1>
${table([
  row(
    formatShopDate(p.previousDay.date, tz),
    `${formatInr(p.previousDay.revenue)} · ${p.previousDay.orders} order${p.previousDay.orders === 1 ? "" : "s"}`,
  ),
  row("Cancelled / failed payments", `${p.previousDay.cancelled} / ${p.previousDay.failedPayments}`),
])}`;
  const text = [
    subject,
    `Shop day ${p.date} (${tz}), ${upTo}`,
    `Revenue: ${formatInr(t.revenue)} | Orders: ${t.orders} | Average: ${formatInr(t.averageOrderValue)}`,
    `vs previous day: ${pct(p.changeVsPreviousDay)} | vs 7-day average: ${pct(p.changeVsTrailingAverage)}`,
    `Cancelled: ${t.cancelled} | Failed payments: ${t.failedPayments}`,
    "Top products:",
    ...p.topProducts.map((x) => `- ${x.name} × ${x.quantity}: ${formatInr(x.revenue)}`),
    `Previous day (${p.previousDay.date}), final: ${formatInr(p.previousDay.revenue)}, ${p.previousDay.orders} orders`,
  ].join("\n");
  return {
    subject,
    html: layout({ title: subject, preheader: `${formatInr(t.revenue)} from ${t.orders} orders`, body }),
    text,
  };
}

function taskAlert(p: z.infer<typeof TaskAlert>, tz: string): Rendered {
  const tag = { critical: "[ALERT]", warning: "[WARN]", resolved: "[RESOLVED]", info: "[INFO]" }[p.severity];
  const tone = ({ critical: "bad", warning: "warn", resolved: "ok", info: "ok" } as const)[p.severity];
  const subject = `${tag} ${p.title}`;
  const details = Object.entries(p.details);
  const body = html`<h1 style="${S.h1}">${pill(p.severity.toUpperCase(), tone)} ${p.title}</h1>
<p style="${S.p}">${p.message}</p>
${details.length > 0 ? table(details.map(([k, v]) => html`<tr><td style="${S.td}">${k}</td><td style="${S.td}">${String(v)}</td></tr>`)) : ""}
<p style="${S.p}${S.muted}">${p.task ? `Task ${p.task} · ` : ""}${formatShopTime(new Date(p.at), tz)}</p>`;
  const text = [subject, "", p.message, ...details.map(([k, v]) => `${k}: ${String(v)}`)].join("\n");
  return { subject, html: layout({ title: subject, preheader: p.message, body }), text };
}

function paymentReview(p: z.infer<typeof PaymentReview>, tz: string): Rendered {
  const subject = `[Review] Payment needs attention${p.orderNumber ? ` - ${p.orderNumber}` : ""}`;
  const body = html`<h1 style="${S.h1}">A payment needs review</h1>
<p style="${S.p}">${p.reason}</p>
${table([
  p.orderNumber ? html`<tr><td style="${S.td}">Order</td><td style="${S.td}">${p.orderNumber}</td></tr>` : html``,
  p.paymentId ? html`<tr><td style="${S.td}">Razorpay id</td><td style="${S.td}">${p.paymentId}</td></tr>` : html``,
])}
<p style="${S.p}${S.muted}">The order was not confirmed automatically. ${formatShopTime(new Date(p.at), tz)}</p>`;
  return { subject, html: layout({ title: subject, preheader: p.reason, body }), text: `${subject}\n\n${p.reason}` };
}

function oversell(p: z.infer<typeof Oversell>, tz: string): Rendered {
  const subject = `[Oversold] Order ${p.orderNumber} took stock below zero`;
  const body = html`<h1 style="${S.h1}">Oversold by order ${p.orderNumber}</h1>
<p style="${S.p}">A payment was captured after its stock locks had expired. The order is confirmed (the customer paid); these products are now below zero:</p>
${table(html`<tr><th style="${S.th}">Product</th><th style="${S.thNum}">Stock</th></tr>
${p.products.map((x) => html`<tr><td style="${S.td}">${x.name}<br><span style="${S.muted}">${x.sku}</span></td><td style="${S.tdNum}">${x.stock}</td></tr>`)}`)}
<p style="${S.p}${S.muted}">${formatShopTime(new Date(p.at), tz)}</p>`;
  const text = [subject, "", ...p.products.map((x) => `- ${x.name} (${x.sku}): stock ${x.stock}`)].join("\n");
  return { subject, html: layout({ title: subject, preheader: subject, body }), text };
}

/** Renders a recorded email from its kind and payload; a payload that does not fit is a RenderError. */
export function renderEmail(kind: EmailKind | string, payload: unknown, timeZone: string): Rendered {
  switch (kind) {
    case "order-status":
      return orderStatus(parse(OrderStatus, payload, kind), timeZone);
    case "low-stock":
      return lowStock(parse(LowStock, payload, kind), timeZone);
    case "daily-sales-report":
      return salesReport(parse(SalesReport, payload, kind), timeZone);
    case "task-alert":
      return taskAlert(parse(TaskAlert, payload, kind), timeZone);
    case "payment-review":
      return paymentReview(parse(PaymentReview, payload, kind), timeZone);
    case "oversell":
      return oversell(parse(Oversell, payload, kind), timeZone);
    default:
      throw new RenderError(`no template for email kind "${kind}"`);
  }
}
