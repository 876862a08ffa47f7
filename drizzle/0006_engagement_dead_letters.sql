CREATE TABLE "engagement_dead_letters" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "engagement_dead_letters_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"source" varchar(100) NOT NULL,
	"platform" varchar(50),
	"kind" varchar(20) DEFAULT 'event' NOT NULL,
	"batch_index" integer NOT NULL,
	"field" varchar(200) NOT NULL,
	"reason" text NOT NULL,
	"payload" jsonb NOT NULL,
	"replay_attempts" integer DEFAULT 0 NOT NULL,
	"last_replay_at" timestamp with time zone,
	"replayed_at" timestamp with time zone,
	CONSTRAINT "engagement_dead_letters_kind_valid" CHECK ("engagement_dead_letters"."kind" IN ('event', 'webhook')),
	CONSTRAINT "engagement_dead_letters_batch_index_nonnegative" CHECK ("engagement_dead_letters"."batch_index" >= 0),
	CONSTRAINT "engagement_dead_letters_replay_attempts_nonnegative" CHECK ("engagement_dead_letters"."replay_attempts" >= 0)
);
--> statement-breakpoint
ALTER TABLE "engagement_dead_letters" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE INDEX "idx_engagement_dead_letters_pending" ON "engagement_dead_letters" USING btree ("received_at","id") WHERE "engagement_dead_letters"."replayed_at" IS NULL;--> statement-breakpoint
CREATE POLICY "engagement_dead_letters_service_role_all" ON "engagement_dead_letters" AS PERMISSIVE FOR ALL TO "service_role" USING (true) WITH CHECK (true);