// The database side of a settlement: one read of everything the decision needs, then one statement
// that applies the decision's effects atomically. No lock is held between the two: the write is
// guarded by the order's status and its settlement version, and a guard that fails (someone settled
// or changed the order in between) makes the caller read and decide again. Two round trips.
import { type SQL, sql } from "drizzle-orm";
import type { Executor } from "../db/executor";
import { noticeCtes } from "../notices/notice-store";
import type { NotificationDraft, OrderSnapshot } from "../notices/order-notices";
import type { EmailDraft } from "../notices/outbox";
import type { Attempt, AttemptStatus, Decision, OrderStatus, Refund } from "./lifecycle";

export interface SettlementLookup {
  razorpayOrderId: string | null;
  paymentId: string | null;
  /** Set when the caller already knows the order (the admin console, the reconciler). */
  orderId?: string | null;
}

export interface LoadedOrder {
  snapshot: OrderSnapshot & { status: OrderStatus; createdAt: string };
  version: number;
  stockTaken: boolean;
  stockReturned: boolean;
  abandonedByUs: boolean;
  attempts: Attempt[];
  refunds: Refund[];
  payments: { id: string; transactionId: string; razorpayPaymentId: string | null; createdAt: string }[];
  /** Units per product this order sells: its items, or its locks for an order written without items. */
  units: { productId: string; quantity: number }[];
}

export interface Loaded {
  /** The event id was recorded before: a redelivery. */
  seen: boolean;
  order: LoadedOrder | null;
  admins: string[];
}

interface AttemptRow {
  id: string;
  status: AttemptStatus;
  amount: string | number;
  currency: string;
  method: string | null;
  amount_refunded: string | number;
  failure_reason: string | null;
}

/**
 * The settlement's read: the order behind a Razorpay id (or the caller's order id), with its facts,
 * marks and payment rows, as one JSON value. Every lookup goes through an index
 * (test/ops/console-plans.test.ts).
 */
export function settlementQuery(lookup: SettlementLookup, eventId: string | null): SQL {
  return sql`
    with target as (
      select coalesce(
        ${lookup.orderId ?? null}::text,
        (select id from orders where razorpay_order_id = ${lookup.razorpayOrderId}::text),
        (select order_id from payment_attempts where id = ${lookup.paymentId}::text),
        (select order_id from payments
          where transaction_id = ${lookup.paymentId}::text or razorpay_payment_id = ${lookup.paymentId}::text
             or transaction_id = ${lookup.razorpayOrderId}::text
          order by created_at desc limit 1)
      ) as id
    )
    select json_build_object(
      'seen', exists(select 1 from webhook_events where provider = 'razorpay' and event_id = ${eventId}::text),
      'admins', array(select email from users where is_admin order by email limit 50),
      'order', (
        select json_build_object(
          'snapshot', json_build_object(
            'id', o.id, 'orderNumber', o.order_number, 'userId', o.user_id, 'email', u.email, 'name', u.name,
            'totalAmount', o.total_amount, 'currency', o.currency, 'trackingNumber', o.tracking_number,
            'createdAt', o.created_at, 'status', o.status,
            'items', coalesce((select json_agg(json_build_object('name', p.name, 'sku', p.sku,
                                 'quantity', oi.quantity, 'unitPrice', oi.unit_price))
                               from order_items oi join products p on p.id = oi.product_id
                               where oi.order_id = o.id), '[]')),
          'version', coalesce(s.version, 0),
          'stockTaken', s.stock_taken_at is not null,
          'stockReturned', s.stock_returned_at is not null,
          'abandonedByUs', s.abandoned_at is not null,
          'attempts', coalesce((select json_agg(a order by a.id) from payment_attempts a
                                where a.order_id = o.id or a.razorpay_order_id = o.razorpay_order_id
                                   or a.id = ${lookup.paymentId}::text), '[]'),
          'refunds', coalesce((select json_agg(json_build_object('id', r.id, 'paymentId', r.payment_id,
                                 'amount', r.amount) order by r.id)
                               -- Each way a refund belongs to the order through its own index (one OR
                               -- over them is a sequential scan of every refund).
                               from payment_refunds r
                               where r.id in (
                                 select x.id from payment_refunds x where x.order_id = o.id
                                 union select x.id from payment_refunds x where x.payment_id = ${lookup.paymentId}::text
                                 union select x.id from payment_attempts a join payment_refunds x on x.payment_id = a.id
                                       where a.order_id = o.id)), '[]'),
          'payments', coalesce((select json_agg(json_build_object('id', p.id, 'transactionId', p.transaction_id,
                                 'razorpayPaymentId', p.razorpay_payment_id, 'createdAt', p.created_at)
                                 order by p.created_at desc, p.id)
                                from payments p where p.order_id = o.id), '[]'),
          'units', coalesce(
            (select json_agg(json_build_object('productId', product_id, 'quantity', q) order by product_id)
               from (select product_id, sum(quantity)::int as q from order_items where order_id = o.id
                     group by product_id) i),
            (select json_agg(json_build_object('productId', product_id, 'quantity', q) order by product_id)
               from (select product_id, sum(quantity)::int as q from inventory_locks where order_id = o.id
                     group by product_id) l),
            '[]'))
        from orders o join users u on u.id = o.user_id
        left join order_settlements s on s.order_id = o.id
        where o.id = (select id from target))
    ) as r`;
}

/** Round trip 1: the order behind a Razorpay id, with its facts, marks and payment rows. */
export async function loadSettlement(db: Executor, lookup: SettlementLookup, eventId: string | null): Promise<Loaded> {
  const res = await db.execute<{ r: Record<string, unknown> }>(settlementQuery(lookup, eventId));
  const r = res.rows[0]?.r as {
    seen: boolean;
    admins: string[];
    order:
      | (Omit<LoadedOrder, "attempts" | "snapshot"> & {
          attempts: AttemptRow[];
          snapshot: LoadedOrder["snapshot"] & { totalAmount: number | string };
        })
      | null;
  };
  const order = r.order
    ? {
        ...r.order,
        snapshot: { ...r.order.snapshot, totalAmount: Number(r.order.snapshot.totalAmount) },
        attempts: r.order.attempts.map(
          (a): Attempt => ({
            id: a.id,
            status: a.status,
            amount: Number(a.amount),
            currency: a.currency,
            method: a.method,
            amountRefunded: Number(a.amount_refunded),
            failureReason: a.failure_reason,
          }),
        ),
        refunds: r.order.refunds.map((x) => ({ ...x, amount: Number(x.amount) })),
      }
    : null;
  return { seen: r.seen, admins: r.admins ?? [], order };
}

export interface Application {
  orderId: string;
  expectedStatus: OrderStatus;
  expectedVersion: number;
  decision: Decision;
  event: { id: string; type: string } | null;
  /** The payments row that speaks for the order (null: insert one). */
  paymentRowId: string | null;
  razorpayOrderId: string | null;
  stock: { productId: string; delta: number }[];
  notifications: NotificationDraft[];
  emails: EmailDraft[];
  oversell: { key: string; to: string[]; payload: Record<string, unknown> } | null;
  now: Date;
}

export type Applied = { kind: "applied"; emailIds: string[] } | { kind: "conflict" } | { kind: "duplicate" };

const json = (v: unknown) => sql`${JSON.stringify(v)}::jsonb`;

/** Round trip 2: every effect of the decision in one statement, or none of them. */
export async function applySettlement(db: Executor, a: Application): Promise<Applied> {
  const d = a.decision;
  const now = a.now;
  const ctes: SQL[] = [];
  ctes.push(sql`lock as (
    select id from orders where id = ${a.orderId} and status::text = ${a.expectedStatus} for update)`);
  ctes.push(sql`guard as (
    insert into order_settlements as s (order_id, version, stock_taken_at, stock_returned_at, abandoned_at, updated_at)
    select id, 1, ${d.takeStock ? now : null}::timestamptz, ${d.returnStock ? now : null}::timestamptz,
           ${d.markAbandoned ? now : null}::timestamptz, ${now} from lock
    on conflict (order_id) do update set version = s.version + 1,
      stock_taken_at = coalesce(s.stock_taken_at, excluded.stock_taken_at),
      stock_returned_at = coalesce(s.stock_returned_at, excluded.stock_returned_at),
      -- A revived order is no longer ours to have abandoned; a later abandonment marks it again.
      abandoned_at = ${d.orderStatus === "CONFIRMED" || d.orderStatus === "REFUNDED" ? sql`null` : sql`coalesce(excluded.abandoned_at, s.abandoned_at)`},
      updated_at = excluded.updated_at
    where s.version = ${a.expectedVersion}
    returning order_id)`);
  // A plain insert: a concurrent or earlier claim of the same event fails the whole statement.
  ctes.push(
    a.event
      ? sql`go as (
          insert into webhook_events (provider, event_id, event_type, received_at, processed_at, outcome, order_id)
          select 'razorpay', ${a.event.id}, ${a.event.type}, ${now}, ${now}, ${d.outcome}, order_id from guard
          returning order_id)`
      : sql`go as (select order_id from guard)`,
  );
  if (d.attempts.length > 0) {
    ctes.push(sql`att as (
      insert into payment_attempts as pa (id, order_id, razorpay_order_id, status, amount, currency, method,
                                          amount_refunded, failure_reason, first_seen_at, updated_at)
      select x.id, go.order_id, ${a.razorpayOrderId}::text, x.status, x.amount, x.currency, x.method,
             x."amountRefunded", x."failureReason", ${now}, ${now}
      from jsonb_to_recordset(${json(d.attempts)}) as x(id text, status text, amount bigint, currency text,
             method text, "amountRefunded" bigint, "failureReason" text), go
      on conflict (id) do update set order_id = excluded.order_id, status = excluded.status,
        amount = excluded.amount, currency = excluded.currency, method = excluded.method,
        amount_refunded = excluded.amount_refunded, failure_reason = excluded.failure_reason,
        updated_at = excluded.updated_at
      returning 1)`);
  }
  if (d.refunds.length > 0) {
    ctes.push(sql`rf as (
      insert into payment_refunds (id, payment_id, order_id, amount, received_at)
      select x.id, x."paymentId", go.order_id, x.amount, ${now}
      from jsonb_to_recordset(${json(d.refunds)}) as x(id text, "paymentId" text, amount bigint), go
      on conflict (id) do update set order_id = excluded.order_id
      returning 1)`);
  }
  if (d.orderStatus) {
    ctes.push(sql`ord as (
      update orders o set status = ${d.orderStatus}, updated_at = ${now}
      from go where o.id = go.order_id returning o.id)`);
  }
  if (d.releaseLocks) {
    ctes.push(sql`unlocked as (delete from inventory_locks l using go where l.order_id = go.order_id returning 1)`);
  }
  if (a.stock.length > 0) {
    // Products are locked in id order before any is changed, so two settlements sharing products
    // cannot deadlock.
    ctes.push(sql`prods as (
      select p.id from products p
      where p.id in (select x."productId" from jsonb_to_recordset(${json(a.stock)}) as x("productId" text, delta int))
        and exists (select 1 from go)
      order by p.id for update)`);
    ctes.push(sql`moved as (
      update products p set stock = p.stock + x.delta, updated_at = ${now}
      from jsonb_to_recordset(${json(a.stock)}) as x("productId" text, delta int)
      where p.id = x."productId" and p.id in (select id from prods)
      returning p.id, p.name, p.sku, p.stock)`);
  }
  const p = d.payment;
  const review = d.review;
  if (a.paymentRowId) {
    ctes.push(sql`pay as (
      update payments pm set status = ${p.status},
        razorpay_payment_id = coalesce(${p.attemptId}::text, pm.razorpay_payment_id),
        method = coalesce(${p.method}::text, pm.method), refunded_amount = ${p.refundedAmount},
        failure_reason = ${p.failureReason}::text,
        needs_review = ${review ? sql`true` : sql`pm.needs_review`},
        review_reason = ${review ? sql`${review.message}::text` : sql`pm.review_reason`},
        updated_at = ${now}
      from go where pm.id = ${a.paymentRowId} returning pm.id)`);
  } else if (p.attemptId) {
    ctes.push(sql`pay as (
      insert into payments (order_id, status, transaction_id, razorpay_payment_id, amount, currency, method,
                            refunded_amount, failure_reason, needs_review, review_reason, created_at, updated_at)
      select go.order_id, ${p.status}, ${p.attemptId}, ${p.attemptId}, ${p.amount}, ${a.decision.attempts[0]?.currency.toUpperCase() ?? "INR"},
             ${p.method}::text, ${p.refundedAmount}, ${p.failureReason}::text, ${review !== null}, ${review?.message ?? null}::text,
             ${now}, ${now}
      from go returning id)`);
  }
  const notices = noticeCtes(sql`go`, a.notifications, a.emails, now);
  ctes.push(...notices.ctes);
  const mailSources: SQL[] = notices.emailIds ? [notices.emailIds] : [];
  if (a.oversell && a.stock.length > 0 && a.oversell.to.length > 0) {
    ctes.push(sql`oversold as (
      insert into emails (idempotency_key, kind, to_addresses, payload, enqueued_at, created_at, updated_at)
      select ${a.oversell.key}, 'oversell', array(select jsonb_array_elements_text(${json(a.oversell.to)})),
             ${json(a.oversell.payload)} || jsonb_build_object('products',
               jsonb_agg(jsonb_build_object('productId', m.id, 'name', m.name, 'sku', m.sku, 'stock', m.stock)
                         order by m.name)),
             ${now}, ${now}, ${now}
      from moved m where m.stock < 0
      having count(*) > 0
      on conflict (idempotency_key) do nothing returning id)`);
    mailSources.push(sql`select id from oversold`);
  }
  const emailIds =
    mailSources.length > 0 ? sql.join(mailSources, sql` union all `) : sql`select null::text where false`;
  const statement = sql`with ${sql.join(ctes, sql`, `)}
    select (select count(*) from go)::int as applied, array(${emailIds}) as email_ids`;
  try {
    const res = await db.execute<{ applied: number; email_ids: string[] }>(statement);
    const row = res.rows[0];
    if (!row || row.applied === 0) return { kind: "conflict" };
    return { kind: "applied", emailIds: row.email_ids ?? [] };
  } catch (err) {
    if (isUniqueViolation(err, "webhook_events_provider_event_uq")) return { kind: "duplicate" };
    throw err;
  }
}

/**
 * Records an event that changes nothing: it concerns no order we know (its facts are kept, so a refund
 * or capture is not lost if its order becomes known later), or it tells us only what we knew (then
 * whoever recorded those facts applied them already). False when the event was seen before.
 */
export async function recordEvent(
  db: Executor,
  event: { id: string; type: string },
  outcome: string,
  facts: { attempts: Attempt[]; refunds: Refund[]; razorpayOrderId: string | null },
  now: Date,
  orderId: string | null = null,
): Promise<boolean> {
  const ctes: SQL[] = [
    sql`claim as (
      insert into webhook_events (provider, event_id, event_type, received_at, processed_at, outcome, order_id)
      values ('razorpay', ${event.id}, ${event.type}, ${now}, ${now}, ${outcome}, ${orderId}::text) returning 1)`,
  ];
  if (facts.attempts.length > 0) {
    ctes.push(sql`att as (
      insert into payment_attempts (id, razorpay_order_id, status, amount, currency, method, amount_refunded,
                                    failure_reason, first_seen_at, updated_at)
      select x.id, ${facts.razorpayOrderId}::text, x.status, x.amount, x.currency, x.method, x."amountRefunded",
             x."failureReason", ${now}, ${now}
      from jsonb_to_recordset(${json(facts.attempts)}) as x(id text, status text, amount bigint, currency text,
             method text, "amountRefunded" bigint, "failureReason" text), claim
      on conflict (id) do nothing returning 1)`);
  }
  if (facts.refunds.length > 0) {
    ctes.push(sql`rf as (
      insert into payment_refunds (id, payment_id, amount, received_at)
      select x.id, x."paymentId", x.amount, ${now}
      from jsonb_to_recordset(${json(facts.refunds)}) as x(id text, "paymentId" text, amount bigint), claim
      on conflict (id) do nothing returning 1)`);
  }
  try {
    await db.execute(sql`with ${sql.join(ctes, sql`, `)} select 1`);
    return true;
  } catch (err) {
    if (isUniqueViolation(err, "webhook_events_provider_event_uq")) return false;
    throw err;
  }
}

/** The database's own error under drizzle's wrapper: a unique violation of one constraint. */
export function isUniqueViolation(err: unknown, constraint: string): boolean {
  for (let e: unknown = err; e && typeof e === "object"; e = (e as { cause?: unknown }).cause) {
    const pg = e as { code?: string; constraint?: string };
    if (pg.code === "23505" && pg.constraint === constraint) return true;
  }
  return false;
}
