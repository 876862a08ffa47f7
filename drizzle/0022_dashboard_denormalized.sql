ALTER TABLE "post_conversion_totals" ADD COLUMN "platform_id" integer;--> statement-breakpoint
ALTER TABLE "post_latest_analytics" ADD COLUMN "platform_id" integer;--> statement-breakpoint
ALTER TABLE "post_latest_analytics" ADD COLUMN "published_at" timestamp with time zone;