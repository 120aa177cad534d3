// The status words of docs/CONTRACT.md §1, shared by the schema and the rules (no drizzle import, so
// code that needs only the words does not pull the table definitions into the bundle).
export const ORDER_STATUSES = [
  "PENDING",
  "CONFIRMED",
  "PROCESSING",
  "SHIPPED",
  "DELIVERED",
  "CANCELLED",
  "RETURN_REQUESTED",
  "RETURN_APPROVED",
  "REFUNDED",
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const PAYMENT_STATUSES = ["PENDING", "CAPTURED", "FAILED", "REFUNDED"] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

/** Orders that count as a sale. */
export const SALE_STATUSES = ["CONFIRMED", "PROCESSING", "SHIPPED", "DELIVERED"] as const;

/** The states of an email row (the worker's `emails` table, emails_status_check). */
export const EMAIL_STATUSES = ["queued", "sent", "failed", "dead"] as const;
export type EmailStatus = (typeof EMAIL_STATUSES)[number];
