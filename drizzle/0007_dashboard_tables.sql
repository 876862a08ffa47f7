CREATE TABLE "post_conversion_totals" (
	"post_id" uuid PRIMARY KEY NOT NULL,
	"conversions" integer NOT NULL,
	"revenue" numeric(14, 2) NOT NULL,
	CONSTRAINT "post_conversion_totals_conversions_positive" CHECK ("post_conversion_totals"."conversions" > 0),
	CONSTRAINT "post_conversion_totals_revenue_nonnegative" CHECK ("post_conversion_totals"."revenue" >= 0)
);
--> statement-breakpoint
ALTER TABLE "post_conversion_totals" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "post_latest_analytics" (
	"post_id" uuid PRIMARY KEY NOT NULL,
	"analysis_date" date NOT NULL,
	"likes_count" integer NOT NULL,
	"comments_count" integer NOT NULL,
	"shares_count" integer NOT NULL,
	"saves_count" integer NOT NULL,
	"views_count" bigint NOT NULL,
	"engagement_rate" numeric(10, 6),
	"profile_visits" integer NOT NULL,
	"website_clicks" integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE "post_latest_analytics" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "post_conversion_totals" ADD CONSTRAINT "post_conversion_totals_post_id_social_posts_id_fk" FOREIGN KEY ("post_id") REFERENCES "public"."social_posts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "post_latest_analytics" ADD CONSTRAINT "post_latest_analytics_post_id_social_posts_id_fk" FOREIGN KEY ("post_id") REFERENCES "public"."social_posts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "idx_post_latest_analytics_rate" ON "post_latest_analytics" USING btree ("engagement_rate" DESC NULLS LAST,"post_id");--> statement-breakpoint
CREATE POLICY "post_conversion_totals_owner_select" ON "post_conversion_totals" AS PERMISSIVE FOR SELECT TO "authenticated" USING ("post_conversion_totals"."post_id" IN (SELECT p.id FROM social_posts p WHERE p.user_id = (select auth.uid())));--> statement-breakpoint
CREATE POLICY "post_conversion_totals_service_role_all" ON "post_conversion_totals" AS PERMISSIVE FOR ALL TO "service_role" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "post_latest_analytics_owner_select" ON "post_latest_analytics" AS PERMISSIVE FOR SELECT TO "authenticated" USING ("post_latest_analytics"."post_id" IN (SELECT p.id FROM social_posts p WHERE p.user_id = (select auth.uid())));--> statement-breakpoint
CREATE POLICY "post_latest_analytics_service_role_all" ON "post_latest_analytics" AS PERMISSIVE FOR ALL TO "service_role" USING (true) WITH CHECK (true);