CREATE TABLE "topic_mention_daily" (
	"day" date NOT NULL,
	"platform_id" integer NOT NULL,
	"hashtag_count" integer DEFAULT 0 NOT NULL,
	"keyword_count" integer DEFAULT 0 NOT NULL,
	"at_mention_count" integer DEFAULT 0 NOT NULL,
	"topic_name" varchar(100) NOT NULL,
	"cum_mentions" integer[] NOT NULL,
	"cum_engagement" bigint[] NOT NULL,
	CONSTRAINT "topic_mention_daily_pkey" PRIMARY KEY("day","platform_id","topic_name"),
	CONSTRAINT "topic_mention_daily_hours" CHECK (cardinality("topic_mention_daily"."cum_mentions") = 24 AND cardinality("topic_mention_daily"."cum_engagement") = 24),
	CONSTRAINT "topic_mention_daily_counts_nonnegative" CHECK ("topic_mention_daily"."hashtag_count" >= 0 AND "topic_mention_daily"."keyword_count" >= 0 AND "topic_mention_daily"."at_mention_count" >= 0 AND "topic_mention_daily"."cum_mentions"[1] >= 0 AND "topic_mention_daily"."cum_engagement"[1] >= 0),
	CONSTRAINT "topic_mention_daily_total_matches" CHECK ("topic_mention_daily"."cum_mentions"[24] = "topic_mention_daily"."hashtag_count" + "topic_mention_daily"."keyword_count" + "topic_mention_daily"."at_mention_count")
);
--> statement-breakpoint
ALTER TABLE "topic_mention_daily" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "topic_mention_daily" ADD CONSTRAINT "topic_mention_daily_platform_id_social_platforms_id_fk" FOREIGN KEY ("platform_id") REFERENCES "public"."social_platforms"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE POLICY "topic_mention_daily_authenticated_select" ON "topic_mention_daily" AS PERMISSIVE FOR SELECT TO "authenticated" USING (true);--> statement-breakpoint
CREATE POLICY "topic_mention_daily_service_role_all" ON "topic_mention_daily" AS PERMISSIVE FOR ALL TO "service_role" USING (true) WITH CHECK (true);