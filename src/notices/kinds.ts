export const EMAIL_KINDS = [
  "order-status",
  "low-stock",
  "daily-sales-report",
  "task-alert",
  "payment-review",
  "oversell",
] as const;
export type EmailKind = (typeof EMAIL_KINDS)[number];

/** The order notices a customer can receive (notification and email), one per order and type. */
export const ORDER_NOTICE_TYPES = [
  "ORDER_PLACED",
  "ORDER_CONFIRMED",
  "ORDER_SHIPPED",
  "ORDER_DELIVERED",
  "ORDER_CANCELLED",
  "RETURN_APPROVED",
] as const;
