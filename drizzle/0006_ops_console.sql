CREATE TABLE "payment_checks" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"order_id" text NOT NULL,
	"payment_id" text,
	"razorpay_id" text NOT NULL,
	"source" text NOT NULL,
	"outcome" text NOT NULL,
	"detail" text,
	"checked_at" timestamp with time zone NOT NULL,
	CONSTRAINT "payment_checks_source_check" CHECK ("payment_checks"."source" in ('reconciler', 'console'))
);
--> statement-breakpoint
ALTER TABLE "emails" ADD COLUMN "resends" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "payments" ADD COLUMN IF NOT EXISTS "review_resolved_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "payments" ADD COLUMN IF NOT EXISTS "review_resolved_by" text;--> statement-breakpoint
ALTER TABLE "payments" ADD COLUMN IF NOT EXISTS "review_note" text;--> statement-breakpoint
ALTER TABLE "payment_checks" ADD CONSTRAINT "payment_checks_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "payment_checks_order_idx" ON "payment_checks" USING btree ("order_id","checked_at");--> statement-breakpoint
CREATE INDEX "payment_checks_checked_idx" ON "payment_checks" USING btree ("checked_at");--> statement-breakpoint
CREATE INDEX "emails_order_idx" ON "emails" USING btree (("payload"->>'orderId'));--> statement-breakpoint
CREATE INDEX "order_events_order_idx" ON "order_events" USING btree ("order_id","seq");--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "payments_review_idx" ON "payments" USING btree ("updated_at") WHERE "payments"."needs_review" = true;--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "payments_review_resolved_idx" ON "payments" USING btree ("review_resolved_at") WHERE "payments"."review_resolved_at" is not null;