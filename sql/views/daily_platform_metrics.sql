-- Per workspace, platform and UTC publish date: published posts and the averages of their latest
-- cumulative figures, each post counted once (the design's view counted a post once per analytics day).
-- Posts without analytics yet count in posts_count, not in the averages (posts_with_analytics says how
-- many). Each brand's figures apart: an agency's brands never share a row.
-- Refreshed by refresh_daily_platform_metrics(); closed to the API roles (materialized views have no
-- RLS): read by the server with a workspace (getDailyPlatformMetrics).
CREATE MATERIALIZED VIEW public.daily_platform_metrics AS
 SELECT p.workspace_id,
    p.platform_id,
    (p.published_at AT TIME ZONE 'UTC'::text)::date AS publish_date,
    count(*)::integer AS posts_count,
    count(l.post_id)::integer AS posts_with_analytics,
    round(avg(l.engagement_rate), 6) AS avg_engagement_rate,
    COALESCE(sum(l.likes_count::bigint + l.comments_count + l.shares_count), 0::numeric)::bigint AS total_engagement,
    COALESCE(sum(l.likes_count), 0::bigint) AS likes_count,
    COALESCE(sum(l.comments_count), 0::bigint) AS comments_count,
    COALESCE(sum(l.shares_count), 0::bigint) AS shares_count,
    COALESCE(sum(l.saves_count), 0::bigint) AS saves_count,
    COALESCE(sum(l.views_count), 0::numeric)::bigint AS views_count,
    COALESCE(sum(l.profile_visits), 0::bigint) AS profile_visits,
    COALESCE(sum(l.website_clicks), 0::bigint) AS website_clicks
   FROM social_posts p
     LEFT JOIN post_latest_analytics l ON l.post_id = p.id
  WHERE p.status::text = 'published'::text
  GROUP BY p.workspace_id, p.platform_id, ((p.published_at AT TIME ZONE 'UTC'::text)::date)
WITH NO DATA;
CREATE UNIQUE INDEX daily_platform_metrics_workspace_date_platform_key ON public.daily_platform_metrics USING btree (workspace_id, publish_date, platform_id);
REVOKE ALL ON public.daily_platform_metrics FROM PUBLIC, anon, authenticated;
GRANT ALL ON public.daily_platform_metrics TO service_role;
