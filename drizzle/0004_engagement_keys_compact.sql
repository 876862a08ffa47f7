DROP INDEX "idx_engagement_events_timestamp_brin";--> statement-breakpoint
CREATE INDEX "idx_engagement_events_post" ON "engagement_events" USING btree ("post_id");--> statement-breakpoint
CREATE INDEX "idx_engagement_events_archive_post" ON "engagement_events_archive" USING btree ("post_id");--> statement-breakpoint
ALTER TABLE "engagement_events" DROP CONSTRAINT "engagement_events_pkey";
--> statement-breakpoint
ALTER TABLE "engagement_events" ADD CONSTRAINT "engagement_events_pkey" PRIMARY KEY("event_timestamp","event_key");--> statement-breakpoint
ALTER TABLE "engagement_events_archive" DROP CONSTRAINT "engagement_events_archive_pkey";
--> statement-breakpoint
ALTER TABLE "engagement_events_archive" ADD CONSTRAINT "engagement_events_archive_pkey" PRIMARY KEY("event_timestamp","event_key");