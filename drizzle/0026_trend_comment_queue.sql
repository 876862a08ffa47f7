CREATE TABLE "topic_comment_queue" (
	"event_timestamp" timestamp with time zone NOT NULL,
	"event_key" bigint NOT NULL,
	"post_id" uuid NOT NULL,
	"comment_text" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "topic_comment_queue" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "topic_comment_queue_service_role_all" ON "topic_comment_queue" AS PERMISSIVE FOR ALL TO "service_role" USING (true) WITH CHECK (true);