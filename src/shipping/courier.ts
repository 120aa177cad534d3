// A courier tracking update: the rule (statuses only move forward; a late IN TRANSIT never undoes
// DELIVERED) as a pure function, and its effects in one guarded statement with the customer's notice.
import { type SQL, sql } from "drizzle-orm";
import type { Executor } from "../db/executor";
import { noticeCtes } from "../notices/notice-store";
import { type OrderSnapshot, orderNotice } from "../notices/order-notices";
import type { OrderStatus } from "../payments/lifecycle";
import { isUniqueViolation } from "../payments/settlement-store";

export type CourierTarget = "SHIPPED" | "DELIVERED" | "IGNORE";
export type CourierOutcome =
  | "shipped"
  | "delivered"
  | "tracking_updated"
  | "unchanged"
  | "ignored"
  | `ignored_status_${Lowercase<OrderStatus>}`;

/** Shiprocket-style statuses: in transit means shipped for the customer; DELIVERED is final. */
export function courierTarget(status: string): CourierTarget {
  const s = status.toUpperCase().replace(/[_-]+/g, " ").replace(/\s+/g, " ").trim();
  if (s === "DELIVERED") return "DELIVERED";
  if (["SHIPPED", "IN TRANSIT", "OUT FOR DELIVERY"].includes(s)) return "SHIPPED";
  return "IGNORE";
}

export interface CourierDecision {
  outcome: CourierOutcome;
  status: OrderStatus | null;
  trackingNumber: string | null;
}

export function decideCourier(
  order: { status: OrderStatus; trackingNumber: string | null },
  target: CourierTarget,
  awb: string,
): CourierDecision {
  const ignored = {
    outcome: `ignored_status_${order.status.toLowerCase()}` as CourierOutcome,
    status: null,
    trackingNumber: null,
  };
  const preShipping = order.status === "CONFIRMED" || order.status === "PROCESSING";
  switch (target) {
    case "SHIPPED":
      if (preShipping) return { outcome: "shipped", status: "SHIPPED", trackingNumber: awb };
      if (order.status !== "SHIPPED") return ignored;
      return order.trackingNumber === awb
        ? { outcome: "unchanged", status: null, trackingNumber: null }
        : { outcome: "tracking_updated", status: null, trackingNumber: awb };
    case "DELIVERED":
      if (preShipping || order.status === "SHIPPED")
        return { outcome: "delivered", status: "DELIVERED", trackingNumber: order.trackingNumber ?? awb };
      if (order.status === "DELIVERED") return { outcome: "unchanged", status: null, trackingNumber: null };
      return ignored;
    case "IGNORE":
      return { outcome: "ignored", status: null, trackingNumber: null };
  }
}

export type CourierResult =
  | { outcome: "unknown_order" | "duplicate"; orderId: string | null; emailIds: string[] }
  | { outcome: CourierOutcome; orderId: string; emailIds: string[] };

/** Reads the order, decides, writes; an unknown order writes nothing (not even the event log). */
export async function applyCourierUpdate(
  db: Executor,
  u: { eventId: string; orderNumber: string; awb: string; target: CourierTarget; rawStatus: string },
  now: Date,
): Promise<CourierResult> {
  for (let attempt = 1; attempt <= 8; attempt++) {
    const res = await db.execute<{ r: (OrderSnapshot & { status: OrderStatus; seen: boolean }) | null }>(sql`
      select (select json_build_object(
        'id', o.id, 'orderNumber', o.order_number, 'userId', o.user_id, 'email', u.email, 'name', u.name,
        'totalAmount', o.total_amount, 'currency', o.currency, 'trackingNumber', o.tracking_number,
        'createdAt', o.created_at, 'status', o.status, 'items', '[]'::json,
        'seen', exists(select 1 from webhook_events where provider = 'courier' and event_id = ${u.eventId}))
      from orders o join users u on u.id = o.user_id where o.order_number = ${u.orderNumber}) as r`);
    const o = res.rows[0]?.r;
    if (!o) return { outcome: "unknown_order", orderId: null, emailIds: [] };
    if (o.seen) return { outcome: "duplicate", orderId: o.id, emailIds: [] };
    const d = decideCourier(o, u.target, u.awb);
    const tracking = d.trackingNumber ?? o.trackingNumber;
    const notice =
      d.status === "SHIPPED" || d.status === "DELIVERED"
        ? orderNotice(
            d.status === "SHIPPED" ? "ORDER_SHIPPED" : "ORDER_DELIVERED",
            { ...o, trackingNumber: tracking },
            now,
          )
        : null;
    const ctes: SQL[] = [
      sql`lock as (select id from orders where id = ${o.id} and status::text = ${o.status}
                   and tracking_number is not distinct from ${o.trackingNumber}::text for update)`,
      sql`go as (insert into webhook_events (provider, event_id, event_type, received_at, processed_at, outcome, order_id)
                 select 'courier', ${u.eventId}, ${u.rawStatus.slice(0, 100)}, ${now}, ${now}, ${d.outcome}, id from lock
                 returning order_id)`,
    ];
    if (d.status || d.trackingNumber) {
      ctes.push(sql`ord as (update orders o set
        status = ${d.status ? sql`${d.status}` : sql`o.status`},
        tracking_number = ${tracking}, updated_at = ${now}
        from go where o.id = go.order_id returning o.id)`);
    }
    const notices = noticeCtes(sql`go`, notice ? [notice.notification] : [], notice ? [notice.email] : [], now);
    ctes.push(...notices.ctes);
    try {
      const out = await db.execute<{ applied: number; email_ids: string[] }>(sql`with ${sql.join(ctes, sql`, `)}
        select (select count(*) from go)::int as applied,
               array(${notices.emailIds ?? sql`select null::text where false`}) as email_ids`);
      const row = out.rows[0];
      if (!row || row.applied === 0) continue; // the order changed under us: read and decide again
      return { outcome: d.outcome, orderId: o.id, emailIds: row.email_ids ?? [] };
    } catch (err) {
      if (isUniqueViolation(err, "webhook_events_provider_event_uq"))
        return { outcome: "duplicate", orderId: o.id, emailIds: [] };
      throw err;
    }
  }
  throw new Error(`courier update for ${u.orderNumber} lost 8 races in a row`);
}
