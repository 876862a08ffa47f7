DROP POLICY "topic_mention_hourly_authenticated_select" ON "topic_mention_hourly" CASCADE;--> statement-breakpoint
DROP POLICY "topic_mention_hourly_service_role_all" ON "topic_mention_hourly" CASCADE;--> statement-breakpoint
DROP TABLE "topic_mention_hourly" CASCADE;