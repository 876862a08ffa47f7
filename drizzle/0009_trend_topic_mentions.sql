CREATE TABLE "fitness_lexicon" (
	"term" varchar(100) PRIMARY KEY NOT NULL,
	"weight" smallint NOT NULL,
	"match_mode" varchar(10) DEFAULT 'contains' NOT NULL,
	"category" varchar(50),
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "fitness_lexicon_weight_range" CHECK ("fitness_lexicon"."weight" BETWEEN 1 AND 100),
	CONSTRAINT "fitness_lexicon_match_mode_valid" CHECK ("fitness_lexicon"."match_mode" IN ('exact', 'contains')),
	CONSTRAINT "fitness_lexicon_term_format" CHECK ("fitness_lexicon"."term" = lower("fitness_lexicon"."term") AND "fitness_lexicon"."term" ~ '^[^#@[:space:]_-]+$'),
	CONSTRAINT "fitness_lexicon_contains_min_length" CHECK ("fitness_lexicon"."match_mode" = 'exact' OR char_length("fitness_lexicon"."term") >= 4)
);
--> statement-breakpoint
ALTER TABLE "fitness_lexicon" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "topic_mention_hourly" (
	"bucket_start" timestamp with time zone NOT NULL,
	"platform_id" integer NOT NULL,
	"mention_count" integer DEFAULT 0 NOT NULL,
	"hashtag_count" integer DEFAULT 0 NOT NULL,
	"keyword_count" integer DEFAULT 0 NOT NULL,
	"at_mention_count" integer DEFAULT 0 NOT NULL,
	"engagement_weight" bigint DEFAULT 0 NOT NULL,
	"topic_name" varchar(100) NOT NULL,
	CONSTRAINT "topic_mention_hourly_pkey" PRIMARY KEY("bucket_start","platform_id","topic_name"),
	CONSTRAINT "topic_mention_hourly_counts_nonnegative" CHECK ("topic_mention_hourly"."hashtag_count" >= 0 AND "topic_mention_hourly"."keyword_count" >= 0 AND "topic_mention_hourly"."at_mention_count" >= 0 AND "topic_mention_hourly"."engagement_weight" >= 0),
	CONSTRAINT "topic_mention_hourly_total_matches" CHECK ("topic_mention_hourly"."mention_count" = "topic_mention_hourly"."hashtag_count" + "topic_mention_hourly"."keyword_count" + "topic_mention_hourly"."at_mention_count"),
	CONSTRAINT "topic_mention_hourly_bucket_is_hour" CHECK ("topic_mention_hourly"."bucket_start" = date_trunc('hour', "topic_mention_hourly"."bucket_start", 'UTC'))
);
--> statement-breakpoint
ALTER TABLE "topic_mention_hourly" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "topic_mentions" (
	"mention_key" bigint PRIMARY KEY NOT NULL,
	"mentioned_at" timestamp with time zone NOT NULL,
	"platform_id" integer NOT NULL,
	"engagement_weight" integer DEFAULT 1 NOT NULL,
	"post_id" uuid,
	"topic_name" varchar(100) NOT NULL,
	"topic_type" varchar(20) DEFAULT 'hashtag' NOT NULL,
	"source" varchar(10) NOT NULL,
	CONSTRAINT "topic_mentions_topic_type_valid" CHECK ("topic_mentions"."topic_type" IN ('hashtag', 'keyword', 'mention')),
	CONSTRAINT "topic_mentions_source_valid" CHECK ("topic_mentions"."source" IN ('own_post', 'comment', 'external')),
	CONSTRAINT "topic_mentions_engagement_weight_range" CHECK ("topic_mentions"."engagement_weight" BETWEEN 0 AND 1000000000),
	CONSTRAINT "topic_mentions_topic_name_normalized" CHECK ("topic_mentions"."topic_name" <> '' AND "topic_mentions"."topic_name" = lower("topic_mentions"."topic_name") AND "topic_mentions"."topic_name" !~ '^[#@[:space:]]' AND "topic_mentions"."topic_name" !~ '[[:space:]]$')
);
--> statement-breakpoint
ALTER TABLE "topic_mentions" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "trending_topics" ADD COLUMN "previous_mention_count" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "trending_topics" ADD COLUMN "peak_mention_count" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "trending_topics" ADD COLUMN "engagement_growth_rate" numeric(12, 2);--> statement-breakpoint
ALTER TABLE "trending_topics" ADD COLUMN "previous_status" varchar(20);--> statement-breakpoint
ALTER TABLE "topic_mention_hourly" ADD CONSTRAINT "topic_mention_hourly_platform_id_social_platforms_id_fk" FOREIGN KEY ("platform_id") REFERENCES "public"."social_platforms"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "topic_mentions" ADD CONSTRAINT "topic_mentions_platform_id_social_platforms_id_fk" FOREIGN KEY ("platform_id") REFERENCES "public"."social_platforms"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "topic_mentions" ADD CONSTRAINT "topic_mentions_post_id_social_posts_id_fk" FOREIGN KEY ("post_id") REFERENCES "public"."social_posts"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "idx_topic_mentions_mentioned_at" ON "topic_mentions" USING btree ("mentioned_at");--> statement-breakpoint
CREATE INDEX "idx_topic_mentions_post" ON "topic_mentions" USING btree ("post_id") WHERE "topic_mentions"."post_id" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "idx_trending_topics_active_topic" ON "trending_topics" USING btree ("topic_name","platform_id") WHERE "trending_topics"."trend_status" <> 'expired';--> statement-breakpoint
ALTER TABLE "trending_topics" ADD CONSTRAINT "trending_topics_previous_status_valid" CHECK ("trending_topics"."previous_status" IN ('emerging', 'trending', 'declining', 'expired'));--> statement-breakpoint
ALTER TABLE "trending_topics" ADD CONSTRAINT "trending_topics_previous_mention_count_nonnegative" CHECK ("trending_topics"."previous_mention_count" >= 0);--> statement-breakpoint
ALTER TABLE "trending_topics" ADD CONSTRAINT "trending_topics_peak_mention_count_nonnegative" CHECK ("trending_topics"."peak_mention_count" >= 0);--> statement-breakpoint
CREATE POLICY "fitness_lexicon_authenticated_select" ON "fitness_lexicon" AS PERMISSIVE FOR SELECT TO "authenticated" USING (true);--> statement-breakpoint
CREATE POLICY "fitness_lexicon_service_role_all" ON "fitness_lexicon" AS PERMISSIVE FOR ALL TO "service_role" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "topic_mention_hourly_authenticated_select" ON "topic_mention_hourly" AS PERMISSIVE FOR SELECT TO "authenticated" USING (true);--> statement-breakpoint
CREATE POLICY "topic_mention_hourly_service_role_all" ON "topic_mention_hourly" AS PERMISSIVE FOR ALL TO "service_role" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "topic_mentions_owner_select" ON "topic_mentions" AS PERMISSIVE FOR SELECT TO "authenticated" USING ("topic_mentions"."post_id" IN (SELECT p.id FROM social_posts p WHERE p.user_id = (select auth.uid())));--> statement-breakpoint
CREATE POLICY "topic_mentions_service_role_all" ON "topic_mentions" AS PERMISSIVE FOR ALL TO "service_role" USING (true) WITH CHECK (true);