ALTER TABLE "social_platforms" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "account_follower_history" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "social_accounts" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "content_templates" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "social_posts" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "engagement_events" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "engagement_events_archive" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "post_analytics" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "trending_topics" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "social_conversions" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "social_platforms_public_select" ON "social_platforms" AS PERMISSIVE FOR SELECT TO "anon", "authenticated" USING (true);--> statement-breakpoint
CREATE POLICY "social_platforms_service_role_all" ON "social_platforms" AS PERMISSIVE FOR ALL TO "service_role" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "account_follower_history_owner_select" ON "account_follower_history" AS PERMISSIVE FOR SELECT TO "authenticated" USING ("account_follower_history"."account_id" IN (SELECT a.id FROM social_accounts a WHERE a.user_id = (select auth.uid())));--> statement-breakpoint
CREATE POLICY "account_follower_history_service_role_all" ON "account_follower_history" AS PERMISSIVE FOR ALL TO "service_role" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "social_accounts_owner_select" ON "social_accounts" AS PERMISSIVE FOR SELECT TO "authenticated" USING ("social_accounts"."user_id" = (select auth.uid()));--> statement-breakpoint
CREATE POLICY "social_accounts_owner_insert" ON "social_accounts" AS PERMISSIVE FOR INSERT TO "authenticated" WITH CHECK ("social_accounts"."user_id" = (select auth.uid()));--> statement-breakpoint
CREATE POLICY "social_accounts_owner_update" ON "social_accounts" AS PERMISSIVE FOR UPDATE TO "authenticated" USING ("social_accounts"."user_id" = (select auth.uid())) WITH CHECK ("social_accounts"."user_id" = (select auth.uid()));--> statement-breakpoint
CREATE POLICY "social_accounts_owner_delete" ON "social_accounts" AS PERMISSIVE FOR DELETE TO "authenticated" USING ("social_accounts"."user_id" = (select auth.uid()));--> statement-breakpoint
CREATE POLICY "social_accounts_service_role_all" ON "social_accounts" AS PERMISSIVE FOR ALL TO "service_role" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "content_templates_owner_select" ON "content_templates" AS PERMISSIVE FOR SELECT TO "authenticated" USING ("content_templates"."user_id" = (select auth.uid()));--> statement-breakpoint
CREATE POLICY "content_templates_owner_insert" ON "content_templates" AS PERMISSIVE FOR INSERT TO "authenticated" WITH CHECK ("content_templates"."user_id" = (select auth.uid()));--> statement-breakpoint
CREATE POLICY "content_templates_owner_update" ON "content_templates" AS PERMISSIVE FOR UPDATE TO "authenticated" USING ("content_templates"."user_id" = (select auth.uid())) WITH CHECK ("content_templates"."user_id" = (select auth.uid()));--> statement-breakpoint
CREATE POLICY "content_templates_owner_delete" ON "content_templates" AS PERMISSIVE FOR DELETE TO "authenticated" USING ("content_templates"."user_id" = (select auth.uid()));--> statement-breakpoint
CREATE POLICY "content_templates_service_role_all" ON "content_templates" AS PERMISSIVE FOR ALL TO "service_role" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "social_posts_owner_select" ON "social_posts" AS PERMISSIVE FOR SELECT TO "authenticated" USING ("social_posts"."user_id" = (select auth.uid()));--> statement-breakpoint
CREATE POLICY "social_posts_owner_insert" ON "social_posts" AS PERMISSIVE FOR INSERT TO "authenticated" WITH CHECK ("social_posts"."user_id" = (select auth.uid()));--> statement-breakpoint
CREATE POLICY "social_posts_owner_update" ON "social_posts" AS PERMISSIVE FOR UPDATE TO "authenticated" USING ("social_posts"."user_id" = (select auth.uid())) WITH CHECK ("social_posts"."user_id" = (select auth.uid()));--> statement-breakpoint
CREATE POLICY "social_posts_owner_delete" ON "social_posts" AS PERMISSIVE FOR DELETE TO "authenticated" USING ("social_posts"."user_id" = (select auth.uid()));--> statement-breakpoint
CREATE POLICY "social_posts_service_role_all" ON "social_posts" AS PERMISSIVE FOR ALL TO "service_role" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "engagement_events_owner_select" ON "engagement_events" AS PERMISSIVE FOR SELECT TO "authenticated" USING ("engagement_events"."post_id" IN (SELECT p.id FROM social_posts p WHERE p.user_id = (select auth.uid())));--> statement-breakpoint
CREATE POLICY "engagement_events_service_role_all" ON "engagement_events" AS PERMISSIVE FOR ALL TO "service_role" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "engagement_events_archive_owner_select" ON "engagement_events_archive" AS PERMISSIVE FOR SELECT TO "authenticated" USING ("engagement_events_archive"."post_id" IN (SELECT p.id FROM social_posts p WHERE p.user_id = (select auth.uid())));--> statement-breakpoint
CREATE POLICY "engagement_events_archive_service_role_all" ON "engagement_events_archive" AS PERMISSIVE FOR ALL TO "service_role" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "post_analytics_owner_select" ON "post_analytics" AS PERMISSIVE FOR SELECT TO "authenticated" USING ("post_analytics"."post_id" IN (SELECT p.id FROM social_posts p WHERE p.user_id = (select auth.uid())));--> statement-breakpoint
CREATE POLICY "post_analytics_service_role_all" ON "post_analytics" AS PERMISSIVE FOR ALL TO "service_role" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "trending_topics_authenticated_select" ON "trending_topics" AS PERMISSIVE FOR SELECT TO "authenticated" USING (true);--> statement-breakpoint
CREATE POLICY "trending_topics_service_role_all" ON "trending_topics" AS PERMISSIVE FOR ALL TO "service_role" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "social_conversions_owner_select" ON "social_conversions" AS PERMISSIVE FOR SELECT TO "authenticated" USING ("social_conversions"."post_id" IN (SELECT p.id FROM social_posts p WHERE p.user_id = (select auth.uid())));--> statement-breakpoint
CREATE POLICY "social_conversions_service_role_all" ON "social_conversions" AS PERMISSIVE FOR ALL TO "service_role" USING (true) WITH CHECK (true);