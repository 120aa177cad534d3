CREATE TABLE "order_settlements" (
	"order_id" text PRIMARY KEY NOT NULL,
	"version" integer DEFAULT 0 NOT NULL,
	"stock_taken_at" timestamp with time zone,
	"stock_returned_at" timestamp with time zone,
	"abandoned_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "payment_attempts" (
	"id" text PRIMARY KEY NOT NULL,
	"order_id" text,
	"razorpay_order_id" text,
	"status" text NOT NULL,
	"amount" bigint NOT NULL,
	"currency" text NOT NULL,
	"method" text,
	"amount_refunded" bigint DEFAULT 0 NOT NULL,
	"failure_reason" text,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "payment_attempts_status_check" CHECK ("payment_attempts"."status" in ('created', 'failed', 'authorized', 'captured', 'refunded'))
);
--> statement-breakpoint
CREATE TABLE "payment_refunds" (
	"id" text PRIMARY KEY NOT NULL,
	"payment_id" text NOT NULL,
	"order_id" text,
	"amount" bigint NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "webhook_events" ADD COLUMN "order_id" text;--> statement-breakpoint
ALTER TABLE "order_settlements" ADD CONSTRAINT "order_settlements_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payment_attempts" ADD CONSTRAINT "payment_attempts_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payment_refunds" ADD CONSTRAINT "payment_refunds_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "payment_attempts_order_idx" ON "payment_attempts" USING btree ("order_id");--> statement-breakpoint
CREATE INDEX "payment_attempts_razorpay_order_idx" ON "payment_attempts" USING btree ("razorpay_order_id");--> statement-breakpoint
CREATE INDEX "payment_refunds_payment_idx" ON "payment_refunds" USING btree ("payment_id");--> statement-breakpoint
CREATE INDEX "payment_refunds_order_idx" ON "payment_refunds" USING btree ("order_id");--> statement-breakpoint
CREATE INDEX "orders_pending_created_idx" ON "orders" USING btree ("created_at") WHERE "orders"."status" = 'PENDING';--> statement-breakpoint
CREATE INDEX "webhook_events_order_idx" ON "webhook_events" USING btree ("order_id","received_at");--> statement-breakpoint
-- Settlement moved to TypeScript (src/payments/lifecycle.ts decides, settlement-store.ts applies);
-- notices are worded in src/email/order-notices.ts. The database functions that did both go.
DROP FUNCTION IF EXISTS ora_settle_payment(text, text, text, text, text, bigint, text, text, text, bigint, text[], timestamptz);--> statement-breakpoint
DROP FUNCTION IF EXISTS ora_courier_update(text, text, text, text, text, timestamptz);--> statement-breakpoint
DROP FUNCTION IF EXISTS ora_deliver_order_events(text, timestamptz, integer);--> statement-breakpoint
-- Facts for payments settled before this migration, so later refunds find their capture and a
-- full refund before shipping gives the stock back once.
INSERT INTO payment_attempts (id, order_id, status, amount, currency, method, amount_refunded, failure_reason)
SELECT DISTINCT ON (p.razorpay_payment_id) p.razorpay_payment_id, p.order_id,
       CASE p.status::text WHEN 'CAPTURED' THEN 'captured' WHEN 'REFUNDED' THEN 'refunded' ELSE 'failed' END,
       p.amount, upper(p.currency), p.method, p.refunded_amount, p.failure_reason
FROM payments p
WHERE p.razorpay_payment_id LIKE 'pay\_%' AND p.status::text IN ('CAPTURED', 'REFUNDED', 'FAILED')
ORDER BY p.razorpay_payment_id, p.updated_at DESC
ON CONFLICT (id) DO NOTHING;--> statement-breakpoint
INSERT INTO order_settlements (order_id, version, stock_taken_at)
SELECT DISTINCT o.id, 0, o.updated_at
FROM orders o JOIN payments p ON p.order_id = o.id
WHERE p.status::text IN ('CAPTURED', 'REFUNDED') AND o.status::text NOT IN ('PENDING', 'CANCELLED')
ON CONFLICT (order_id) DO NOTHING;
