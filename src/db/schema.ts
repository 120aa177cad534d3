import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  boolean,
  check,
  date,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { ORDER_STATUSES, PAYMENT_STATUSES } from "./statuses";

// Every writer (storefront included) may omit ids: the database makes them.
const id = () => text("id").primaryKey().default(sql`gen_random_uuid()::text`);
const ts = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });
const createdAt = () => ts("created_at").notNull().defaultNow();

export const orderStatus = pgEnum("order_status", ORDER_STATUSES);
export const paymentStatus = pgEnum("payment_status", PAYMENT_STATUSES);

/** Orders that count as a sale (docs/CONTRACT.md §1). */
export { SALE_STATUSES } from "./statuses";

// ── Storefront tables ────────────────────────────────────────────────────────

export const users = pgTable(
  "users",
  {
    id: id(),
    email: text("email").notNull().unique(),
    name: text("name"),
    isVerified: boolean("is_verified").notNull().default(false),
    isAdmin: boolean("is_admin").notNull().default(false),
    createdAt: createdAt(),
  },
  (t) => [
    // cleanup-unverified-users scans only never-verified accounts by age.
    index("users_unverified_created_idx").on(t.createdAt).where(sql`${t.isVerified} = false`),
    index("users_admin_idx").on(t.id).where(sql`${t.isAdmin} = true`),
  ],
);

export const products = pgTable(
  "products",
  {
    id: id(),
    name: text("name").notNull(),
    sku: text("sku").notNull().unique(),
    price: integer("price").notNull(),
    stock: integer("stock").notNull().default(0),
    lowStockThreshold: integer("low_stock_threshold"),
    isActive: boolean("is_active").notNull().default(true),
    createdAt: createdAt(),
    updatedAt: ts("updated_at").notNull().defaultNow(),
  },
  (t) => [index("products_active_stock_idx").on(t.stock).where(sql`${t.isActive} = true`)],
);

export const orders = pgTable(
  "orders",
  {
    id: id(),
    orderNumber: text("order_number").notNull().unique(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    status: orderStatus("status").notNull().default("PENDING"),
    totalAmount: integer("total_amount").notNull(),
    currency: text("currency").notNull().default("INR"),
    trackingNumber: text("tracking_number"),
    razorpayOrderId: text("razorpay_order_id").unique(),
    createdAt: createdAt(),
    updatedAt: ts("updated_at").notNull().defaultNow(),
  },
  (t) => [
    index("orders_user_idx").on(t.userId),
    // daily-sales-report: one range scan per day, covering the figures it sums.
    index("orders_created_status_idx").on(t.createdAt, t.status, t.totalAmount),
    // reconcile-stale-payments: PENDING orders, oldest first.
    index("orders_pending_created_idx").on(t.createdAt).where(sql`${t.status} = 'PENDING'`),
  ],
);

export const orderItems = pgTable(
  "order_items",
  {
    id: id(),
    orderId: text("order_id")
      .notNull()
      .references(() => orders.id, { onDelete: "cascade" }),
    productId: text("product_id")
      .notNull()
      .references(() => products.id),
    quantity: integer("quantity").notNull(),
    unitPrice: integer("unit_price").notNull(),
  },
  (t) => [index("order_items_order_idx").on(t.orderId), index("order_items_product_idx").on(t.productId)],
);

export const inventoryLocks = pgTable(
  "inventory_locks",
  {
    id: id(),
    productId: text("product_id")
      .notNull()
      .references(() => products.id, { onDelete: "cascade" }),
    orderId: text("order_id").references(() => orders.id, { onDelete: "cascade" }),
    // Extension: the shopper holding a cart lock, so an account cleanup takes its locks along.
    userId: text("user_id").references(() => users.id, { onDelete: "cascade" }),
    quantity: integer("quantity").notNull(),
    expiresAt: ts("expires_at").notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    check("inventory_locks_quantity_positive", sql`${t.quantity} > 0`),
    index("inventory_locks_expires_idx").on(t.expiresAt),
    index("inventory_locks_product_expires_idx").on(t.productId, t.expiresAt),
    index("inventory_locks_order_idx").on(t.orderId),
    index("inventory_locks_user_idx").on(t.userId),
  ],
);

export const payments = pgTable(
  "payments",
  {
    id: id(),
    orderId: text("order_id")
      .notNull()
      .references(() => orders.id),
    status: paymentStatus("status").notNull().default("PENDING"),
    transactionId: text("transaction_id").notNull(),
    razorpayPaymentId: text("razorpay_payment_id"),
    amount: integer("amount").notNull(),
    currency: text("currency").notNull().default("INR"),
    method: text("method"),
    failureReason: text("failure_reason"),
    createdAt: createdAt(),
    updatedAt: ts("updated_at").notNull().defaultNow(),
    // Extensions owned by the worker.
    refundedAmount: integer("refunded_amount").notNull().default(0),
    needsReview: boolean("needs_review").notNull().default(false),
    reviewReason: text("review_reason"),
    lastCheckedAt: ts("last_checked_at"),
    /** A flagged payment cleared by an operator in the console: who, when and why. */
    reviewResolvedAt: ts("review_resolved_at"),
    reviewResolvedBy: text("review_resolved_by"),
    reviewNote: text("review_note"),
  },
  (t) => [
    index("payments_order_idx").on(t.orderId),
    index("payments_transaction_idx").on(t.transactionId),
    index("payments_razorpay_payment_idx").on(t.razorpayPaymentId),
    // reconcile-stale-payments: oldest PENDING first, never touching settled rows.
    index("payments_pending_created_idx").on(t.createdAt).where(sql`${t.status} = 'PENDING'`),
    index("payments_created_status_idx").on(t.createdAt, t.status),
    // The console's review queue: flagged payments, and those resolved lately.
    index("payments_review_idx").on(t.updatedAt).where(sql`${t.needsReview} = true`),
    index("payments_review_resolved_idx").on(t.reviewResolvedAt).where(sql`${t.reviewResolvedAt} is not null`),
  ],
);

export const notifications = pgTable(
  "notifications",
  {
    id: id(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    type: text("type").notNull(),
    title: text("title").notNull(),
    message: text("message").notNull(),
    metadata: jsonb("metadata").$type<Record<string, unknown>>(),
    isRead: boolean("is_read").notNull().default(false),
    createdAt: createdAt(),
    // Extension: makes "told once" a constraint, not a hope (null for storefront rows).
    dedupeKey: text("dedupe_key").unique(),
  },
  (t) => [
    index("notifications_user_idx").on(t.userId),
    // cleanup-read-notifications: only read rows, by age.
    index("notifications_read_created_idx").on(t.createdAt).where(sql`${t.isRead} = true`),
  ],
);

export const passwordResets = pgTable(
  "password_resets",
  {
    id: id(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    tokenHash: text("token_hash").notNull(),
    expiresAt: ts("expires_at").notNull(),
    usedAt: ts("used_at"),
    createdAt: createdAt(),
  },
  (t) => [
    index("password_resets_user_idx").on(t.userId),
    index("password_resets_expires_idx").on(t.expiresAt),
    index("password_resets_used_idx").on(t.usedAt).where(sql`${t.usedAt} is not null`),
  ],
);

// ── Worker tables ────────────────────────────────────────────────────────────

export const cronRuns = pgTable(
  "cron_runs",
  {
    id: id(),
    taskName: text("task_name").notNull(),
    scheduledAt: ts("scheduled_at").notNull(),
    status: text("status").notNull(),
    startedAt: ts("started_at").notNull().defaultNow(),
    finishedAt: ts("finished_at"),
    durationMs: integer("duration_ms"),
    result: jsonb("result").$type<Record<string, unknown>>(),
    error: text("error"),
    // Extensions: who fired it, the claim that owns it, and how often the slot fired again.
    trigger: text("trigger").notNull().default("cron"),
    claimToken: text("claim_token"),
    attempt: integer("attempt").notNull().default(1),
    duplicateFires: integer("duplicate_fires").notNull().default(0),
    takeovers: integer("takeovers").notNull().default(0),
    dryRun: boolean("dry_run").notNull().default(false),
    /** For an automatic retry: the run it retries (its scheduled_at is that slot plus `attempt - 1` ms). */
    retryOf: text("retry_of"),
  },
  (t) => [
    uniqueIndex("cron_runs_task_slot_uq").on(t.taskName, t.scheduledAt),
    index("cron_runs_started_idx").on(t.startedAt),
    // Health and the watchdog: the latest success or failure of each task.
    index("cron_runs_task_status_slot_idx").on(t.taskName, t.status, t.scheduledAt),
    check("cron_runs_status_check", sql`${t.status} in ('running', 'succeeded', 'failed', 'skipped')`),
  ],
);

export const webhookEvents = pgTable(
  "webhook_events",
  {
    id: id(),
    provider: text("provider").notNull(),
    eventId: text("event_id").notNull(),
    eventType: text("event_type").notNull(),
    receivedAt: ts("received_at").notNull().defaultNow(),
    processedAt: ts("processed_at"),
    outcome: text("outcome"),
    /** The order the event concerned, when we knew it: the ops console lists an order's events. */
    orderId: text("order_id"),
  },
  (t) => [
    uniqueIndex("webhook_events_provider_event_uq").on(t.provider, t.eventId),
    index("webhook_events_order_idx").on(t.orderId, t.receivedAt),
    check("webhook_events_provider_check", sql`${t.provider} in ('razorpay', 'courier')`),
  ],
);

/** Settings that take effect without a redeploy; one row per task plus the '*' row for the shop. */
export const taskSettings = pgTable("task_settings", {
  taskName: text("task_name").primaryKey(),
  paused: boolean("paused").notNull().default(false),
  scheduleOverride: text("schedule_override"),
  settings: jsonb("settings").$type<Record<string, unknown>>().notNull().default({}),
  updatedAt: ts("updated_at").notNull().defaultNow(),
});

/** Outbox of order events, filled by a trigger on orders in the writer's own transaction. */
export const orderEvents = pgTable(
  "order_events",
  {
    seq: bigserial("seq", { mode: "number" }).primaryKey(),
    orderId: text("order_id").notNull(),
    eventType: text("event_type").notNull(),
    fromStatus: text("from_status"),
    toStatus: text("to_status").notNull(),
    createdAt: createdAt(),
    deliveredAt: ts("delivered_at"),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
  },
  (t) => [
    index("order_events_pending_idx").on(t.seq).where(sql`${t.deliveredAt} is null`),
    // The console's order page: one order's status changes.
    index("order_events_order_idx").on(t.orderId, t.seq),
  ],
);

/** Every email the worker sends, keyed by what it is, so a retry can never send it twice. */
export const emails = pgTable(
  "emails",
  {
    id: id(),
    idempotencyKey: text("idempotency_key").notNull().unique(),
    kind: text("kind").notNull(),
    toAddresses: text("to_addresses").array().notNull(),
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull(),
    status: text("status").notNull().default("queued"),
    providerId: text("provider_id"),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    createdAt: createdAt(),
    /** Last time a queue message for it was put on or taken off the queue. */
    enqueuedAt: ts("enqueued_at"),
    /** A consumer working on it holds it until then; a second delivery of its message waits. */
    lockedUntil: ts("locked_until"),
    sentAt: ts("sent_at"),
    updatedAt: ts("updated_at").notNull().defaultNow(),
    /** Times an operator re-queued it after it failed; each resend is a new request to Resend. */
    resends: integer("resends").notNull().default(0),
  },
  (t) => [
    index("emails_status_created_idx").on(t.status, t.createdAt),
    // The console's order page: the emails about one order.
    index("emails_order_idx").on(sql`(${t.payload}->>'orderId')`),
    check("emails_status_check", sql`${t.status} in ('queued', 'sent', 'failed', 'dead')`),
  ],
);

/** What check-low-stock last told the admins about each product. */
export const lowStockState = pgTable("low_stock_state", {
  productId: text("product_id")
    .primaryKey()
    .references(() => products.id, { onDelete: "cascade" }),
  lastAvailable: integer("last_available").notNull(),
  lastAlertedAt: ts("last_alerted_at").notNull(),
});

/** One row per shop day reported: the ledger that makes the daily report exactly-once. */
export const salesReports = pgTable("sales_reports", {
  reportDate: date("report_date", { mode: "string" }).primaryKey(),
  figures: jsonb("figures").$type<Record<string, unknown>>().notNull(),
  emailKey: text("email_key").notNull(),
  createdAt: createdAt(),
});

/** Operational incidents (missed slot, failing task, slow run): one alert when opened, one when cleared. */
export const incidents = pgTable(
  "incidents",
  {
    id: id(),
    key: text("key").notNull(),
    kind: text("kind").notNull(),
    taskName: text("task_name"),
    details: jsonb("details").$type<Record<string, unknown>>().notNull().default({}),
    openedAt: ts("opened_at").notNull(),
    resolvedAt: ts("resolved_at"),
  },
  (t) => [uniqueIndex("incidents_open_key_uq").on(t.key).where(sql`${t.resolvedAt} is null`)],
);

// ── Payment facts (docs/PAYMENTS.md) ─────────────────────────────────────────

/** Each Razorpay attempt (pay_…) with the furthest status it reached; order unknown until resolved. */
export const paymentAttempts = pgTable(
  "payment_attempts",
  {
    id: text("id").primaryKey(),
    orderId: text("order_id").references(() => orders.id, { onDelete: "cascade" }),
    razorpayOrderId: text("razorpay_order_id"),
    status: text("status").notNull(),
    amount: bigint("amount", { mode: "number" }).notNull(),
    currency: text("currency").notNull(),
    method: text("method"),
    amountRefunded: bigint("amount_refunded", { mode: "number" }).notNull().default(0),
    failureReason: text("failure_reason"),
    firstSeenAt: ts("first_seen_at").notNull().defaultNow(),
    updatedAt: ts("updated_at").notNull().defaultNow(),
  },
  (t) => [
    index("payment_attempts_order_idx").on(t.orderId),
    index("payment_attempts_razorpay_order_idx").on(t.razorpayOrderId),
    check(
      "payment_attempts_status_check",
      sql`${t.status} in ('created', 'failed', 'authorized', 'captured', 'refunded')`,
    ),
  ],
);

/** Each refund (rfnd_…) once; partial refunds add up. */
export const paymentRefunds = pgTable(
  "payment_refunds",
  {
    id: text("id").primaryKey(),
    paymentId: text("payment_id").notNull(),
    orderId: text("order_id").references(() => orders.id, { onDelete: "cascade" }),
    amount: bigint("amount", { mode: "number" }).notNull(),
    receivedAt: ts("received_at").notNull().defaultNow(),
  },
  (t) => [index("payment_refunds_payment_idx").on(t.paymentId), index("payment_refunds_order_idx").on(t.orderId)],
);

/** The worker's marks on an order (stock taken / given back once, abandoned by us) and the version
 * that guards every settlement write against a concurrent one. */
export const orderSettlements = pgTable("order_settlements", {
  orderId: text("order_id")
    .primaryKey()
    .references(() => orders.id, { onDelete: "cascade" }),
  version: integer("version").notNull().default(0),
  stockTakenAt: ts("stock_taken_at"),
  stockReturnedAt: ts("stock_returned_at"),
  abandonedAt: ts("abandoned_at"),
  updatedAt: ts("updated_at").notNull().defaultNow(),
});

/** What the reconciler (or an operator's "Ask Razorpay now") asked Razorpay about an order, and learned. */
export const paymentChecks = pgTable(
  "payment_checks",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    orderId: text("order_id")
      .notNull()
      .references(() => orders.id, { onDelete: "cascade" }),
    paymentId: text("payment_id"),
    razorpayId: text("razorpay_id").notNull(),
    source: text("source").notNull(),
    outcome: text("outcome").notNull(),
    detail: text("detail"),
    checkedAt: ts("checked_at").notNull(),
  },
  (t) => [
    index("payment_checks_order_idx").on(t.orderId, t.checkedAt),
    // prune-history deletes old checks by age.
    index("payment_checks_checked_idx").on(t.checkedAt),
    check("payment_checks_source_check", sql`${t.source} in ('reconciler', 'console')`),
  ],
);
