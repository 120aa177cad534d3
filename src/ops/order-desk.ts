import { eq, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import type { Executor } from "../db/executor";
import { orders } from "../db/schema";

/** What an operator typed into the console's search box, as we read it. */
export type SearchTerm =
  | { kind: "email"; value: string }
  | { kind: "payment"; value: string }
  | { kind: "razorpay-order"; value: string }
  | { kind: "order-number"; value: string };

/** Reads a search box: an address, a Razorpay payment (pay_…) or order (order_…) id, else an order number. */
export function readSearchTerm(raw: string): SearchTerm | { problem: string } {
  const value = raw.trim();
  if (value === "") return { problem: "type an order number, a customer's email, or a Razorpay id" };
  if (value.length > 200) return { problem: "that is too long to be an order number, email or Razorpay id" };
  if (value.includes("@")) return { kind: "email", value };
  if (/^pay_/i.test(value)) return { kind: "payment", value };
  if (/^order_/i.test(value)) return { kind: "razorpay-order", value };
  return { kind: "order-number", value };
}

export type SearchHit = {
  orderNumber: string;
  status: string;
  totalAmount: number;
  currency: string;
  email: string;
  createdAt: string;
};

/**
 * The orders a search term names, newest first. Each branch reads one unique or foreign-key index
 * (test/ops/console-plans.test.ts): users.email, payments.razorpay_payment_id / transaction_id,
 * payment_attempts' primary key, orders.razorpay_order_id, orders.order_number.
 */
export function searchQuery(term: SearchTerm) {
  const v = term.value;
  const ids =
    term.kind === "email"
      ? sql`select o.id from users u join orders o on o.user_id = u.id where u.email in (${v}, ${v.toLowerCase()})`
      : term.kind === "payment"
        ? sql`select order_id as id from payments where razorpay_payment_id = ${v}
              union select order_id from payments where transaction_id = ${v}
              union select order_id from payment_attempts where id = ${v} and order_id is not null`
        : term.kind === "razorpay-order"
          ? sql`select id from orders where razorpay_order_id = ${v}
                union select order_id from payments where transaction_id = ${v}`
          : sql`select id from orders where order_number in (${v}, ${v.toUpperCase()})`;
  return sql`
    select o.order_number as "orderNumber", o.status, o.total_amount as "totalAmount", o.currency,
           u.email, o.created_at as "createdAt"
    from orders o join users u on u.id = o.user_id
    where o.id in (${ids})
    order by o.created_at desc
    limit 50`;
}

export async function searchOrders(db: Executor, term: SearchTerm): Promise<SearchHit[]> {
  const res = await db.execute<SearchHit>(searchQuery(term));
  return res.rows.map((r) => ({ ...r, createdAt: new Date(r.createdAt).toISOString() }));
}

export type OrderDossier = {
  id: string;
  orderNumber: string;
  status: string;
  totalAmount: number;
  currency: string;
  trackingNumber: string | null;
  razorpayOrderId: string | null;
  createdAt: string;
  updatedAt: string;
  email: string;
  name: string | null;
  items: { name: string; sku: string; quantity: number; unitPrice: number }[];
  payments: {
    id: string;
    status: string;
    transactionId: string;
    razorpayPaymentId: string | null;
    amount: number;
    refundedAmount: number;
    method: string | null;
    failureReason: string | null;
    needsReview: boolean;
    reviewReason: string | null;
    createdAt: string;
    updatedAt: string;
  }[];
  attempts: {
    id: string;
    status: string;
    amount: number;
    amountRefunded: number;
    method: string | null;
    failureReason: string | null;
    firstSeenAt: string;
    updatedAt: string;
  }[];
  refunds: { id: string; paymentId: string; amount: number; receivedAt: string }[];
  events: {
    provider: string;
    eventId: string;
    eventType: string;
    outcome: string | null;
    receivedAt: string;
  }[];
  checks: {
    razorpayId: string;
    source: string;
    outcome: string;
    detail: string | null;
    checkedAt: string;
  }[];
  statusChanges: { fromStatus: string | null; toStatus: string; createdAt: string }[];
  notifications: { type: string; title: string; isRead: boolean; createdAt: string }[];
  emails: {
    id: string;
    kind: string;
    subject: string | null;
    to: string[];
    status: string;
    attempts: number;
    resends: number;
    lastError: string | null;
    createdAt: string;
    sentAt: string | null;
  }[];
};

/**
 * Everything the console knows about one order, in one round trip: each part is a subquery on an
 * index keyed by the order (plans checked in test/ops/console-plans.test.ts).
 */
export function dossierQuery(orderNumber: string) {
  const list = (expr: ReturnType<typeof sql>) => sql`coalesce((${expr}), '[]'::json)`;
  return sql`
    select o.id, o.order_number as "orderNumber", o.status, o.total_amount as "totalAmount", o.currency,
           o.tracking_number as "trackingNumber", o.razorpay_order_id as "razorpayOrderId",
           o.created_at as "createdAt", o.updated_at as "updatedAt", u.email, u.name,
      ${list(sql`select json_agg(json_build_object('name', p.name, 'sku', p.sku, 'quantity', i.quantity,
              'unitPrice', i.unit_price) order by p.name)
            from order_items i join products p on p.id = i.product_id where i.order_id = o.id`)} as items,
      ${list(sql`select json_agg(json_build_object('id', pm.id, 'status', pm.status, 'transactionId', pm.transaction_id,
              'razorpayPaymentId', pm.razorpay_payment_id, 'amount', pm.amount, 'refundedAmount', pm.refunded_amount,
              'method', pm.method, 'failureReason', pm.failure_reason, 'needsReview', pm.needs_review,
              'reviewReason', pm.review_reason, 'createdAt', pm.created_at, 'updatedAt', pm.updated_at)
              order by pm.created_at)
            from payments pm where pm.order_id = o.id`)} as payments,
      ${list(sql`select json_agg(json_build_object('id', a.id, 'status', a.status, 'amount', a.amount,
              'amountRefunded', a.amount_refunded, 'method', a.method, 'failureReason', a.failure_reason,
              'firstSeenAt', a.first_seen_at, 'updatedAt', a.updated_at) order by a.first_seen_at)
            from payment_attempts a where a.order_id = o.id`)} as attempts,
      ${list(sql`select json_agg(json_build_object('id', r.id, 'paymentId', r.payment_id, 'amount', r.amount,
              'receivedAt', r.received_at) order by r.received_at)
            from payment_refunds r where r.order_id = o.id`)} as refunds,
      ${list(sql`select json_agg(json_build_object('provider', w.provider, 'eventId', w.event_id,
              'eventType', w.event_type, 'outcome', w.outcome, 'receivedAt', w.received_at) order by w.received_at)
            from webhook_events w where w.order_id = o.id`)} as events,
      ${list(sql`select json_agg(x order by x."checkedAt") from (
              select c.razorpay_id as "razorpayId", c.source, c.outcome, c.detail, c.checked_at as "checkedAt"
              from payment_checks c where c.order_id = o.id order by c.checked_at desc limit 50) x`)} as checks,
      ${list(sql`select json_agg(json_build_object('fromStatus', e.from_status, 'toStatus', e.to_status,
              'createdAt', e.created_at) order by e.seq)
            from order_events e where e.order_id = o.id`)} as "statusChanges",
      ${list(sql`select json_agg(json_build_object('type', n.type, 'title', n.title, 'isRead', n.is_read,
              'createdAt', n.created_at) order by n.created_at)
            from notifications n where n.user_id = o.user_id and n.metadata->>'orderId' = o.id`)} as notifications,
      ${list(sql`select json_agg(json_build_object('id', m.id, 'kind', m.kind, 'subject', m.payload->>'title',
              'to', m.to_addresses, 'status', m.status, 'attempts', m.attempts, 'resends', m.resends,
              'lastError', m.last_error, 'createdAt', m.created_at, 'sentAt', m.sent_at) order by m.created_at)
            from emails m where m.payload->>'orderId' = o.id`)} as emails
    from orders o join users u on u.id = o.user_id
    where o.order_number = ${orderNumber}`;
}

export async function orderDossier(db: Executor, orderNumber: string): Promise<OrderDossier | null> {
  const res = await db.execute<OrderDossier>(dossierQuery(orderNumber));
  const row = res.rows[0];
  if (!row) return null;
  return { ...row, createdAt: new Date(row.createdAt).toISOString(), updatedAt: new Date(row.updatedAt).toISOString() };
}

export interface TimelineEntry {
  at: string;
  what: string;
  detail: string;
}

/** Every dated thing about the order, oldest first (a stable sort keeps same-instant entries in kind order). */
export function timeline(d: OrderDossier): TimelineEntry[] {
  const t = (at: string) => new Date(at).toISOString();
  const entries: TimelineEntry[] = [
    {
      at: t(d.createdAt),
      what: "order placed",
      detail: `${d.orderNumber}, ${d.status === "PENDING" ? "pending" : `now ${d.status}`}`,
    },
    ...d.statusChanges.map((s) => ({
      at: t(s.createdAt),
      what: "status",
      detail: s.fromStatus ? `${s.fromStatus} → ${s.toStatus}` : s.toStatus,
    })),
    ...d.attempts.map((a) => ({
      at: t(a.firstSeenAt),
      what: "payment attempt",
      detail: `${a.id}: ${a.status}${a.failureReason ? ` (${a.failureReason})` : ""}`,
    })),
    ...d.refunds.map((r) => ({ at: t(r.receivedAt), what: "refund", detail: `${r.id} of ${r.paymentId}` })),
    ...d.events.map((e) => ({
      at: t(e.receivedAt),
      what: `${e.provider} webhook`,
      detail: `${e.eventType} (${e.eventId}) → ${e.outcome ?? "received"}`,
    })),
    ...d.checks.map((c) => ({
      at: t(c.checkedAt),
      what: c.source === "console" ? "asked Razorpay (operator)" : "asked Razorpay (reconciler)",
      detail: `${c.razorpayId} → ${c.outcome}${c.detail && c.detail !== c.outcome ? `: ${c.detail}` : ""}`,
    })),
    ...d.notifications.map((n) => ({ at: t(n.createdAt), what: "notification", detail: `${n.type}: ${n.title}` })),
    ...d.emails.map((m) => ({
      at: t(m.sentAt ?? m.createdAt),
      what: `email ${m.status}`,
      detail: `${m.subject ?? m.kind} to ${m.to.join(", ")}${m.lastError ? ` — ${m.lastError}` : ""}`,
    })),
  ];
  return entries.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
}

/** An order's id and number by its number (orders_order_number_unique), for an action on it. */
export async function orderByNumber(db: Executor & Pick<Db, "select">, orderNumber: string) {
  const [o] = await db
    .select({ id: orders.id, orderNumber: orders.orderNumber })
    .from(orders)
    .where(eq(orders.orderNumber, orderNumber));
  return o ?? null;
}
