ALTER TABLE "cron_runs" ADD COLUMN "retry_of" text;--> statement-breakpoint
CREATE INDEX "cron_runs_task_status_slot_idx" ON "cron_runs" USING btree ("task_name","status","scheduled_at");