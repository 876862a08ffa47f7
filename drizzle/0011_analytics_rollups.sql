CREATE TABLE "engagement_rollup_queue" (
	"post_id" uuid NOT NULL,
	"day" date NOT NULL,
	"likes" integer NOT NULL,
	"comments" integer NOT NULL,
	"shares" integer NOT NULL,
	"saves" integer NOT NULL,
	"views" integer NOT NULL,
	"profile_visits" integer NOT NULL,
	"website_clicks" integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE "engagement_rollup_queue" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "post_analytics_refresh_state" (
	"id" smallint PRIMARY KEY DEFAULT 1 NOT NULL,
	"last_started_at" timestamp with time zone,
	"last_finished_at" timestamp with time zone,
	"last_result" jsonb,
	CONSTRAINT "post_analytics_refresh_state_single_row" CHECK ("post_analytics_refresh_state"."id" = 1)
);
--> statement-breakpoint
ALTER TABLE "post_analytics_refresh_state" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "post_analytics_stale" (
	"post_id" uuid,
	"account_id" uuid,
	"from_day" date NOT NULL,
	CONSTRAINT "post_analytics_stale_one_target" CHECK (num_nonnulls("post_analytics_stale"."post_id", "post_analytics_stale"."account_id") = 1)
);
--> statement-breakpoint
ALTER TABLE "post_analytics_stale" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "post_metric_catalog" (
	"platform" varchar(50) NOT NULL,
	"native_name" varchar(100) NOT NULL,
	"api" varchar(60) NOT NULL,
	"canonical_name" varchar(60) NOT NULL,
	"target_column" varchar(40),
	"unit" varchar(20) NOT NULL,
	"to_canonical_factor" numeric(12, 6) DEFAULT 1 NOT NULL,
	"description" text NOT NULL,
	"deprecated_at" date,
	"replaced_by" varchar(100),
	CONSTRAINT "post_metric_catalog_pkey" PRIMARY KEY("platform","native_name"),
	CONSTRAINT "post_metric_catalog_unit_valid" CHECK ("post_metric_catalog"."unit" IN ('count', 'seconds', 'milliseconds', 'minutes', 'ratio', 'percent')),
	CONSTRAINT "post_metric_catalog_target_column_valid" CHECK ("post_metric_catalog"."target_column" IN ('reach', 'impressions', 'watch_time_seconds', 'avg_watch_time_seconds')),
	CONSTRAINT "post_metric_catalog_factor_positive" CHECK ("post_metric_catalog"."to_canonical_factor" > 0),
	CONSTRAINT "post_metric_catalog_canonical_name_format" CHECK ("post_metric_catalog"."canonical_name" ~ '^[a-z][a-z0-9_]*$')
);
--> statement-breakpoint
ALTER TABLE "post_metric_catalog" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "post_analytics" ADD COLUMN "watch_time_seconds" bigint;--> statement-breakpoint
ALTER TABLE "post_analytics" ADD COLUMN "avg_watch_time_seconds" numeric(12, 3);--> statement-breakpoint
ALTER TABLE "post_analytics" ADD COLUMN "insights_captured_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "post_metric_catalog" ADD CONSTRAINT "post_metric_catalog_platform_social_platforms_name_fk" FOREIGN KEY ("platform") REFERENCES "public"."social_platforms"("name") ON DELETE no action ON UPDATE cascade;--> statement-breakpoint
ALTER TABLE "post_analytics" ADD CONSTRAINT "post_analytics_watch_time_nonnegative" CHECK ("post_analytics"."watch_time_seconds" >= 0 AND "post_analytics"."avg_watch_time_seconds" >= 0);--> statement-breakpoint
CREATE POLICY "engagement_rollup_queue_service_role_all" ON "engagement_rollup_queue" AS PERMISSIVE FOR ALL TO "service_role" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "post_analytics_refresh_state_service_role_all" ON "post_analytics_refresh_state" AS PERMISSIVE FOR ALL TO "service_role" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "post_analytics_stale_service_role_all" ON "post_analytics_stale" AS PERMISSIVE FOR ALL TO "service_role" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "post_metric_catalog_public_select" ON "post_metric_catalog" AS PERMISSIVE FOR SELECT TO "anon", "authenticated" USING (true);--> statement-breakpoint
CREATE POLICY "post_metric_catalog_service_role_all" ON "post_metric_catalog" AS PERMISSIVE FOR ALL TO "service_role" USING (true) WITH CHECK (true);