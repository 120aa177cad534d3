export const EMAIL_KINDS = [
  "order-status",
  "low-stock",
  "daily-sales-report",
  "task-alert",
  "payment-review",
  "oversell",
] as const;
export type EmailKind = (typeof EMAIL_KINDS)[number];
