CREATE TABLE "social_platforms" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" varchar(50) NOT NULL,
	"display_name" varchar(100) NOT NULL,
	"api_version" varchar(20),
	"rate_limits" jsonb,
	"supported_content_types" text[] DEFAULT '{}'::text[] NOT NULL,
	"max_caption_length" integer,
	"max_hashtags" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "social_platforms_name_key" UNIQUE("name"),
	CONSTRAINT "social_platforms_name_format" CHECK ("social_platforms"."name" ~ '^[a-z][a-z0-9_]*$'),
	CONSTRAINT "social_platforms_max_caption_length_positive" CHECK ("social_platforms"."max_caption_length" > 0),
	CONSTRAINT "social_platforms_max_hashtags_nonnegative" CHECK ("social_platforms"."max_hashtags" >= 0)
);
--> statement-breakpoint
CREATE TABLE "account_follower_history" (
	"account_id" uuid NOT NULL,
	"recorded_on" date NOT NULL,
	"follower_count" integer NOT NULL,
	CONSTRAINT "account_follower_history_pkey" PRIMARY KEY("account_id","recorded_on"),
	CONSTRAINT "account_follower_history_follower_count_nonnegative" CHECK ("account_follower_history"."follower_count" >= 0)
);
--> statement-breakpoint
CREATE TABLE "social_accounts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"platform_id" integer NOT NULL,
	"handle" varchar(100) NOT NULL,
	"platform_account_id" varchar(100) NOT NULL,
	"display_name" varchar(150),
	"follower_count" integer DEFAULT 0 NOT NULL,
	"is_active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "social_accounts_platform_account_key" UNIQUE("platform_id","platform_account_id"),
	CONSTRAINT "social_accounts_follower_count_nonnegative" CHECK ("social_accounts"."follower_count" >= 0),
	CONSTRAINT "social_accounts_handle_not_blank" CHECK (btrim("social_accounts"."handle") <> '')
);
--> statement-breakpoint
CREATE TABLE "content_templates" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"name" varchar(100) NOT NULL,
	"category" varchar(50),
	"platform_id" integer,
	"caption_template" text,
	"hashtag_sets" text[] DEFAULT '{}'::text[] NOT NULL,
	"image_style_prompts" text[] DEFAULT '{}'::text[] NOT NULL,
	"avg_engagement_rate" numeric(10, 6),
	"usage_count" integer DEFAULT 0 NOT NULL,
	"success_rate" numeric(5, 4),
	"ai_optimized" boolean DEFAULT false NOT NULL,
	"optimization_notes" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "content_templates_usage_count_nonnegative" CHECK ("content_templates"."usage_count" >= 0),
	CONSTRAINT "content_templates_avg_engagement_rate_nonnegative" CHECK ("content_templates"."avg_engagement_rate" >= 0),
	CONSTRAINT "content_templates_success_rate_range" CHECK ("content_templates"."success_rate" BETWEEN 0 AND 1),
	CONSTRAINT "content_templates_name_not_blank" CHECK (btrim("content_templates"."name") <> '')
);
--> statement-breakpoint
CREATE TABLE "social_posts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"platform_id" integer NOT NULL,
	"account_id" uuid,
	"template_id" uuid,
	"title" varchar(255),
	"caption" text,
	"hashtags" text[] DEFAULT '{}'::text[] NOT NULL,
	"mentions" text[] DEFAULT '{}'::text[] NOT NULL,
	"media_type" varchar(20) NOT NULL,
	"media_urls" text[] DEFAULT '{}'::text[] NOT NULL,
	"thumbnail_url" text,
	"platform_post_id" varchar(100),
	"platform_url" text,
	"platform_metadata" jsonb,
	"status" varchar(20) DEFAULT 'draft' NOT NULL,
	"scheduled_at" timestamp with time zone,
	"published_at" timestamp with time zone,
	"publish_attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"content_category" varchar(50),
	"target_audience" varchar(50),
	"content_goals" text[] DEFAULT '{}'::text[] NOT NULL,
	"ai_generated" boolean DEFAULT false NOT NULL,
	"ai_prompt" text,
	"ai_model" varchar(50),
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "social_posts_platform_post_key" UNIQUE("platform_id","platform_post_id"),
	CONSTRAINT "social_posts_status_valid" CHECK ("social_posts"."status" IN ('draft', 'scheduled', 'publishing', 'published', 'failed')),
	CONSTRAINT "social_posts_media_type_valid" CHECK ("social_posts"."media_type" IN ('image', 'video', 'carousel', 'story', 'reel')),
	CONSTRAINT "social_posts_content_category_valid" CHECK ("social_posts"."content_category" IN ('workout', 'nutrition', 'motivation', 'transformation', 'education', 'lifestyle', 'community', 'promotion')),
	CONSTRAINT "social_posts_target_audience_valid" CHECK ("social_posts"."target_audience" IN ('beginners', 'intermediate', 'advanced', 'general')),
	CONSTRAINT "social_posts_content_goals_valid" CHECK ("social_posts"."content_goals" <@ ARRAY['engagement', 'traffic', 'conversions', 'awareness', 'community']::text[]),
	CONSTRAINT "social_posts_published_has_published_at" CHECK ("social_posts"."status" <> 'published' OR "social_posts"."published_at" IS NOT NULL),
	CONSTRAINT "social_posts_scheduled_has_scheduled_at" CHECK ("social_posts"."status" <> 'scheduled' OR "social_posts"."scheduled_at" IS NOT NULL),
	CONSTRAINT "social_posts_publish_attempts_nonnegative" CHECK ("social_posts"."publish_attempts" >= 0),
	CONSTRAINT "social_posts_hashtags_format" CHECK (array_position("social_posts"."hashtags", NULL) IS NULL AND array_to_string("social_posts"."hashtags", '|') !~ '[#[:space:]]' AND array_position("social_posts"."hashtags", '') IS NULL)
);
--> statement-breakpoint
CREATE TABLE "engagement_events" (
	"post_id" uuid NOT NULL,
	"event_timestamp" timestamp with time zone NOT NULL,
	"event_key" bigint NOT NULL,
	"event_value" integer DEFAULT 1 NOT NULL,
	"user_follower_count" integer,
	"event_type" varchar(20) NOT NULL,
	"platform_user_id" varchar(100),
	"platform_username" varchar(100),
	"country_code" char(2),
	"age_range" varchar(10),
	"gender" varchar(10),
	"event_metadata" jsonb,
	CONSTRAINT "engagement_events_pkey" PRIMARY KEY("post_id","event_timestamp","event_key"),
	CONSTRAINT "engagement_events_event_type_valid" CHECK ("engagement_events"."event_type" IN ('like', 'comment', 'share', 'save', 'view', 'profile_visit', 'website_click')),
	CONSTRAINT "engagement_events_event_value_range" CHECK ("engagement_events"."event_value" BETWEEN 0 AND 86400),
	CONSTRAINT "engagement_events_user_follower_count_nonnegative" CHECK ("engagement_events"."user_follower_count" >= 0),
	CONSTRAINT "engagement_events_country_code_format" CHECK ("engagement_events"."country_code" ~ '^[A-Z]{2}$'),
	CONSTRAINT "engagement_events_age_range_valid" CHECK ("engagement_events"."age_range" IN ('13-17', '18-24', '25-34', '35-44', '45-54', '55-64', '65+')),
	CONSTRAINT "engagement_events_gender_valid" CHECK ("engagement_events"."gender" IN ('female', 'male', 'other', 'unknown'))
);
--> statement-breakpoint
CREATE TABLE "engagement_events_archive" (
	"post_id" uuid NOT NULL,
	"event_timestamp" timestamp with time zone NOT NULL,
	"event_key" bigint NOT NULL,
	"event_value" integer DEFAULT 1 NOT NULL,
	"user_follower_count" integer,
	"event_type" varchar(20) NOT NULL,
	"platform_user_id" varchar(100),
	"platform_username" varchar(100),
	"country_code" char(2),
	"age_range" varchar(10),
	"gender" varchar(10),
	"event_metadata" jsonb,
	CONSTRAINT "engagement_events_archive_pkey" PRIMARY KEY("post_id","event_timestamp","event_key")
);
--> statement-breakpoint
CREATE TABLE "post_analytics" (
	"post_id" uuid NOT NULL,
	"analysis_date" date NOT NULL,
	"hours_since_published" integer,
	"likes_count" integer DEFAULT 0 NOT NULL,
	"comments_count" integer DEFAULT 0 NOT NULL,
	"shares_count" integer DEFAULT 0 NOT NULL,
	"saves_count" integer DEFAULT 0 NOT NULL,
	"views_count" bigint DEFAULT 0 NOT NULL,
	"engagement_rate" numeric(10, 6),
	"reach" bigint,
	"impressions" bigint,
	"click_through_rate" numeric(5, 4),
	"profile_visits" integer DEFAULT 0 NOT NULL,
	"website_clicks" integer DEFAULT 0 NOT NULL,
	"conversion_events" integer DEFAULT 0 NOT NULL,
	"virality_score" smallint,
	"quality_score" smallint,
	"relevance_score" smallint,
	"platform_metrics" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "post_analytics_pkey" PRIMARY KEY("post_id","analysis_date"),
	CONSTRAINT "post_analytics_counts_nonnegative" CHECK ("post_analytics"."likes_count" >= 0 AND "post_analytics"."comments_count" >= 0 AND "post_analytics"."shares_count" >= 0 AND "post_analytics"."saves_count" >= 0
        AND "post_analytics"."views_count" >= 0 AND "post_analytics"."profile_visits" >= 0 AND "post_analytics"."website_clicks" >= 0 AND "post_analytics"."conversion_events" >= 0
        AND "post_analytics"."reach" >= 0 AND "post_analytics"."impressions" >= 0),
	CONSTRAINT "post_analytics_engagement_rate_nonnegative" CHECK ("post_analytics"."engagement_rate" >= 0),
	CONSTRAINT "post_analytics_click_through_rate_range" CHECK ("post_analytics"."click_through_rate" BETWEEN 0 AND 1),
	CONSTRAINT "post_analytics_virality_score_range" CHECK ("post_analytics"."virality_score" BETWEEN 0 AND 100),
	CONSTRAINT "post_analytics_quality_score_range" CHECK ("post_analytics"."quality_score" BETWEEN 0 AND 100),
	CONSTRAINT "post_analytics_relevance_score_range" CHECK ("post_analytics"."relevance_score" BETWEEN 0 AND 100),
	CONSTRAINT "post_analytics_platform_metrics_object" CHECK (jsonb_typeof("post_analytics"."platform_metrics") = 'object')
);
--> statement-breakpoint
CREATE TABLE "trending_topics" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"topic_name" varchar(100) NOT NULL,
	"topic_type" varchar(20) DEFAULT 'hashtag' NOT NULL,
	"platform_id" integer NOT NULL,
	"mention_count" integer DEFAULT 0 NOT NULL,
	"engagement_score" bigint DEFAULT 0 NOT NULL,
	"growth_rate" numeric(12, 2),
	"trend_start_date" date,
	"trend_peak_date" date,
	"trend_status" varchar(20) DEFAULT 'emerging' NOT NULL,
	"fitness_relevance_score" smallint,
	"content_opportunities" text[] DEFAULT '{}'::text[] NOT NULL,
	"first_detected_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "trending_topics_topic_type_valid" CHECK ("trending_topics"."topic_type" IN ('hashtag', 'keyword', 'mention')),
	CONSTRAINT "trending_topics_trend_status_valid" CHECK ("trending_topics"."trend_status" IN ('emerging', 'trending', 'declining', 'expired')),
	CONSTRAINT "trending_topics_mention_count_nonnegative" CHECK ("trending_topics"."mention_count" >= 0),
	CONSTRAINT "trending_topics_engagement_score_nonnegative" CHECK ("trending_topics"."engagement_score" >= 0),
	CONSTRAINT "trending_topics_fitness_relevance_range" CHECK ("trending_topics"."fitness_relevance_score" BETWEEN 0 AND 100),
	CONSTRAINT "trending_topics_topic_name_not_blank" CHECK (btrim("trending_topics"."topic_name") <> '')
);
--> statement-breakpoint
CREATE TABLE "social_conversions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"post_id" uuid,
	"platform_user_id" varchar(100),
	"first_interaction_type" varchar(20),
	"first_interaction_at" timestamp with time zone,
	"conversion_type" varchar(50) NOT NULL,
	"conversion_value" numeric(10, 2) DEFAULT 0 NOT NULL,
	"conversion_at" timestamp with time zone DEFAULT now() NOT NULL,
	"time_to_conversion" interval GENERATED ALWAYS AS (conversion_at - first_interaction_at) STORED,
	"touchpoints" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "social_conversions_conversion_type_valid" CHECK ("social_conversions"."conversion_type" IN ('email_signup', 'trial_start', 'subscription', 'purchase', 'app_install')),
	CONSTRAINT "social_conversions_first_interaction_type_valid" CHECK ("social_conversions"."first_interaction_type" IN ('like', 'comment', 'share', 'save', 'view', 'profile_visit', 'website_click')),
	CONSTRAINT "social_conversions_conversion_value_nonnegative" CHECK ("social_conversions"."conversion_value" >= 0),
	CONSTRAINT "social_conversions_touchpoints_nonnegative" CHECK ("social_conversions"."touchpoints" >= 0),
	CONSTRAINT "social_conversions_interaction_before_conversion" CHECK ("social_conversions"."first_interaction_at" IS NULL OR "social_conversions"."first_interaction_at" <= "social_conversions"."conversion_at")
);
--> statement-breakpoint
ALTER TABLE "account_follower_history" ADD CONSTRAINT "account_follower_history_account_id_social_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."social_accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "social_accounts" ADD CONSTRAINT "social_accounts_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "auth"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "social_accounts" ADD CONSTRAINT "social_accounts_platform_id_social_platforms_id_fk" FOREIGN KEY ("platform_id") REFERENCES "public"."social_platforms"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "content_templates" ADD CONSTRAINT "content_templates_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "auth"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "content_templates" ADD CONSTRAINT "content_templates_platform_id_social_platforms_id_fk" FOREIGN KEY ("platform_id") REFERENCES "public"."social_platforms"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "social_posts" ADD CONSTRAINT "social_posts_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "auth"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "social_posts" ADD CONSTRAINT "social_posts_platform_id_social_platforms_id_fk" FOREIGN KEY ("platform_id") REFERENCES "public"."social_platforms"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "social_posts" ADD CONSTRAINT "social_posts_account_id_social_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."social_accounts"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "social_posts" ADD CONSTRAINT "social_posts_template_id_content_templates_id_fk" FOREIGN KEY ("template_id") REFERENCES "public"."content_templates"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "post_analytics" ADD CONSTRAINT "post_analytics_post_id_social_posts_id_fk" FOREIGN KEY ("post_id") REFERENCES "public"."social_posts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "trending_topics" ADD CONSTRAINT "trending_topics_platform_id_social_platforms_id_fk" FOREIGN KEY ("platform_id") REFERENCES "public"."social_platforms"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "social_conversions" ADD CONSTRAINT "social_conversions_post_id_social_posts_id_fk" FOREIGN KEY ("post_id") REFERENCES "public"."social_posts"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "idx_social_accounts_user" ON "social_accounts" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "idx_content_templates_user" ON "content_templates" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "idx_posts_user_platform_date" ON "social_posts" USING btree ("user_id","platform_id","published_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "idx_published_posts" ON "social_posts" USING btree ("published_at" DESC NULLS LAST) WHERE "social_posts"."status" = 'published';--> statement-breakpoint
CREATE INDEX "idx_published_posts_category" ON "social_posts" USING btree ("content_category","published_at" DESC NULLS LAST) WHERE "social_posts"."status" = 'published';--> statement-breakpoint
CREATE INDEX "idx_social_posts_scheduled_queue" ON "social_posts" USING btree ("scheduled_at") WHERE "social_posts"."status" = 'scheduled';--> statement-breakpoint
CREATE INDEX "idx_engagement_events_timestamp_brin" ON "engagement_events" USING brin ("event_timestamp");--> statement-breakpoint
CREATE UNIQUE INDEX "trending_topics_topic_platform_day_key" ON "trending_topics" USING btree ("topic_name","platform_id",(("first_detected_at" AT TIME ZONE 'UTC')::date));--> statement-breakpoint
CREATE INDEX "idx_trending_topics_platform_status" ON "trending_topics" USING btree ("platform_id","trend_status");--> statement-breakpoint
CREATE INDEX "idx_trending_active" ON "trending_topics" USING btree ("growth_rate" DESC NULLS LAST) WHERE "trending_topics"."trend_status" = 'trending';--> statement-breakpoint
CREATE INDEX "idx_social_conversions_post" ON "social_conversions" USING btree ("post_id","conversion_at");