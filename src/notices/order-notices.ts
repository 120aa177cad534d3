// What a customer is told about their order, in one place: the notification row (the storefront shows
// it) and the email (the order-status template renders it). Both are keyed `<type>/<orderId>`, so
// whoever records a notice first (the settlement that made the change, or deliver-order-events
// reading the outbox) records it once.

import { ORDER_NOTICE_TYPES } from "./kinds";
import type { EmailDraft } from "./outbox";

export { ORDER_NOTICE_TYPES };
export type OrderNoticeType = (typeof ORDER_NOTICE_TYPES)[number];

/** An order as a notice needs it (one read: order, customer, items). */
export interface OrderSnapshot {
  id: string;
  orderNumber: string;
  userId: string;
  email: string;
  name: string | null;
  totalAmount: number;
  currency: string;
  trackingNumber: string | null;
  createdAt: string;
  items: { name: string; sku: string; quantity: number; unitPrice: number }[];
}

export interface NotificationDraft {
  userId: string;
  type: OrderNoticeType;
  title: string;
  message: string;
  metadata: { orderId: string; orderNumber: string };
  dedupeKey: string;
}

/** Which outbox events the customer hears about; other changes (REFUNDED, PROCESSING…) say nothing. */
export function noticeForEvent(eventType: string, toStatus: string): OrderNoticeType | null {
  if (eventType === "ORDER_PLACED") return "ORDER_PLACED";
  switch (toStatus) {
    case "CONFIRMED":
      return "ORDER_CONFIRMED";
    case "SHIPPED":
      return "ORDER_SHIPPED";
    case "DELIVERED":
      return "ORDER_DELIVERED";
    case "CANCELLED":
      return "ORDER_CANCELLED";
    case "RETURN_APPROVED":
      return "RETURN_APPROVED";
    default:
      return null;
  }
}

function wording(type: OrderNoticeType, o: OrderSnapshot): { title: string; message: string } {
  switch (type) {
    case "ORDER_PLACED":
      return {
        title: "Order Placed",
        message: `We have received your order ${o.orderNumber} and are waiting for the payment.`,
      };
    case "ORDER_CONFIRMED":
      return { title: "Order Confirmed", message: "Your payment has been received and order is being prepared." };
    case "ORDER_SHIPPED":
      return {
        title: "Order Shipped",
        message: `Your order is on the way. Tracking: ${o.trackingNumber ?? "to follow"}`,
      };
    case "ORDER_DELIVERED":
      return { title: "Order Delivered", message: "Your order has been delivered. Please confirm receipt." };
    case "ORDER_CANCELLED":
      return {
        title: "Order Cancelled",
        message: `Your order ${o.orderNumber} has been cancelled. Any amount paid will be refunded.`,
      };
    case "RETURN_APPROVED":
      return { title: "Return Approved", message: `Your return for order ${o.orderNumber} has been approved.` };
  }
}

/** The notification and the email for one notice about one order. */
export function orderNotice(
  type: OrderNoticeType,
  o: OrderSnapshot,
  now: Date,
): { notification: NotificationDraft; email: EmailDraft } {
  const { title, message } = wording(type, o);
  const key = `${type.toLowerCase().replaceAll("_", "-")}/${o.id}`;
  return {
    notification: {
      userId: o.userId,
      type,
      title,
      message,
      metadata: { orderId: o.id, orderNumber: o.orderNumber },
      dedupeKey: key,
    },
    email: {
      key,
      kind: "order-status",
      to: [o.email],
      payload: {
        type,
        title,
        message,
        orderId: o.id,
        orderNumber: o.orderNumber,
        customerName: o.name,
        totalAmount: o.totalAmount,
        currency: o.currency,
        trackingNumber: o.trackingNumber,
        orderCreatedAt: o.createdAt,
        at: now.toISOString(),
        items: [...o.items].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
      },
    },
  };
}
