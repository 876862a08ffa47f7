-- Dashboard read models and functions (docs/dashboard.md).
-- Every statement is separated by a breakpoint: the migrator runs them one by one.

-- 1. post_latest_analytics: each post's newest cumulative post_analytics row, kept exact by
--    statement-level triggers (one recompute per touched post, not per row). Recomputing instead of
--    comparing dates also covers an UPDATE that moves a row's analysis_date and a DELETE of the newest day.
--    SECURITY DEFINER: whoever may write post_analytics (the rollup, as service_role) must keep the
--    derived table right without being granted writes on it.
CREATE OR REPLACE FUNCTION post_latest_analytics_recompute(post_ids uuid[]) RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
  IF post_ids IS NULL OR cardinality(post_ids) = 0 THEN
    RETURN;
  END IF;
  DELETE FROM post_latest_analytics l
  WHERE l.post_id = ANY (post_ids)
    AND NOT EXISTS (SELECT 1 FROM post_analytics a WHERE a.post_id = l.post_id);
  INSERT INTO post_latest_analytics AS l (
    post_id, analysis_date, likes_count, comments_count, shares_count, saves_count, views_count,
    engagement_rate, profile_visits, website_clicks)
  SELECT a.post_id, a.analysis_date, a.likes_count, a.comments_count, a.shares_count, a.saves_count, a.views_count,
         a.engagement_rate, a.profile_visits, a.website_clicks
  FROM (SELECT DISTINCT u.id FROM unnest(post_ids) AS u(id)) ids
  CROSS JOIN LATERAL (
    SELECT * FROM post_analytics pa WHERE pa.post_id = ids.id ORDER BY pa.analysis_date DESC LIMIT 1
  ) a
  ON CONFLICT (post_id) DO UPDATE SET
    analysis_date = excluded.analysis_date,
    likes_count = excluded.likes_count,
    comments_count = excluded.comments_count,
    shares_count = excluded.shares_count,
    saves_count = excluded.saves_count,
    views_count = excluded.views_count,
    engagement_rate = excluded.engagement_rate,
    profile_visits = excluded.profile_visits,
    website_clicks = excluded.website_clicks
  -- Skip no-op rewrites: a rollup re-upserting unchanged days should not churn the table.
  WHERE (l.analysis_date, l.likes_count, l.comments_count, l.shares_count, l.saves_count, l.views_count,
         l.engagement_rate, l.profile_visits, l.website_clicks)
        IS DISTINCT FROM
        (excluded.analysis_date, excluded.likes_count, excluded.comments_count, excluded.shares_count,
         excluded.saves_count, excluded.views_count, excluded.engagement_rate, excluded.profile_visits,
         excluded.website_clicks);
END
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION post_latest_analytics_recompute(uuid[]) FROM PUBLIC, anon, authenticated;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION post_latest_analytics_recompute(uuid[]) TO service_role;
--> statement-breakpoint
-- PostgreSQL allows a transition table only on a single-event trigger: one function per event.
CREATE OR REPLACE FUNCTION post_latest_analytics_after_insert() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
  PERFORM post_latest_analytics_recompute(ARRAY(SELECT DISTINCT n.post_id FROM new_rows n));
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION post_latest_analytics_after_update() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
  PERFORM post_latest_analytics_recompute(ARRAY(
    SELECT n.post_id FROM new_rows n UNION SELECT o.post_id FROM old_rows o));
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION post_latest_analytics_after_delete() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
  PERFORM post_latest_analytics_recompute(ARRAY(SELECT DISTINCT o.post_id FROM old_rows o));
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION post_latest_analytics_after_truncate() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
  TRUNCATE post_latest_analytics;
  RETURN NULL;
END
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION post_latest_analytics_after_insert(), post_latest_analytics_after_update(),
  post_latest_analytics_after_delete(), post_latest_analytics_after_truncate() FROM PUBLIC, anon, authenticated;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION post_latest_analytics_after_insert(), post_latest_analytics_after_update(),
  post_latest_analytics_after_delete(), post_latest_analytics_after_truncate() TO service_role;
--> statement-breakpoint
CREATE TRIGGER post_analytics_latest_after_insert AFTER INSERT ON post_analytics
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION post_latest_analytics_after_insert();
--> statement-breakpoint
CREATE TRIGGER post_analytics_latest_after_update AFTER UPDATE ON post_analytics
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION post_latest_analytics_after_update();
--> statement-breakpoint
CREATE TRIGGER post_analytics_latest_after_delete AFTER DELETE ON post_analytics
REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION post_latest_analytics_after_delete();
--> statement-breakpoint
CREATE TRIGGER post_analytics_latest_after_truncate AFTER TRUNCATE ON post_analytics
FOR EACH STATEMENT EXECUTE FUNCTION post_latest_analytics_after_truncate();
--> statement-breakpoint
-- Rows that existed before this migration.
SELECT post_latest_analytics_recompute(ARRAY(SELECT DISTINCT post_id FROM post_analytics));
--> statement-breakpoint

-- 2. post_conversion_totals: conversions and revenue per post, recomputed for every post a statement
--    touched (a few index probes per post). A post_id set to NULL by ON DELETE SET NULL recomputes the
--    old post, whose row is then gone with it. Posts without conversions have no row.
CREATE OR REPLACE FUNCTION post_conversion_totals_recompute(post_ids uuid[]) RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
  IF post_ids IS NULL OR cardinality(post_ids) = 0 THEN
    RETURN;
  END IF;
  DELETE FROM post_conversion_totals t
  WHERE t.post_id = ANY (post_ids)
    AND NOT EXISTS (SELECT 1 FROM social_conversions c WHERE c.post_id = t.post_id);
  INSERT INTO post_conversion_totals AS t (post_id, conversions, revenue)
  SELECT c.post_id, count(*)::int, sum(c.conversion_value)
  FROM social_conversions c
  WHERE c.post_id = ANY (post_ids)
    -- During ON DELETE SET NULL of a post, its row is already gone: nothing to attribute to it.
    AND EXISTS (SELECT 1 FROM social_posts p WHERE p.id = c.post_id)
  GROUP BY c.post_id
  ON CONFLICT (post_id) DO UPDATE SET conversions = excluded.conversions, revenue = excluded.revenue
  WHERE (t.conversions, t.revenue) IS DISTINCT FROM (excluded.conversions, excluded.revenue);
END
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION post_conversion_totals_recompute(uuid[]) FROM PUBLIC, anon, authenticated;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION post_conversion_totals_recompute(uuid[]) TO service_role;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION post_conversion_totals_after_insert() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
  PERFORM post_conversion_totals_recompute(ARRAY(SELECT DISTINCT n.post_id FROM new_rows n WHERE n.post_id IS NOT NULL));
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION post_conversion_totals_after_update() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
  PERFORM post_conversion_totals_recompute(ARRAY(
    SELECT n.post_id FROM new_rows n WHERE n.post_id IS NOT NULL
    UNION SELECT o.post_id FROM old_rows o WHERE o.post_id IS NOT NULL));
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION post_conversion_totals_after_delete() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
  PERFORM post_conversion_totals_recompute(ARRAY(SELECT DISTINCT o.post_id FROM old_rows o WHERE o.post_id IS NOT NULL));
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION post_conversion_totals_after_truncate() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
  TRUNCATE post_conversion_totals;
  RETURN NULL;
END
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION post_conversion_totals_after_insert(), post_conversion_totals_after_update(),
  post_conversion_totals_after_delete(), post_conversion_totals_after_truncate() FROM PUBLIC, anon, authenticated;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION post_conversion_totals_after_insert(), post_conversion_totals_after_update(),
  post_conversion_totals_after_delete(), post_conversion_totals_after_truncate() TO service_role;
--> statement-breakpoint
CREATE TRIGGER social_conversions_totals_after_insert AFTER INSERT ON social_conversions
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION post_conversion_totals_after_insert();
--> statement-breakpoint
CREATE TRIGGER social_conversions_totals_after_update AFTER UPDATE ON social_conversions
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION post_conversion_totals_after_update();
--> statement-breakpoint
CREATE TRIGGER social_conversions_totals_after_delete AFTER DELETE ON social_conversions
REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION post_conversion_totals_after_delete();
--> statement-breakpoint
CREATE TRIGGER social_conversions_totals_after_truncate AFTER TRUNCATE ON social_conversions
FOR EACH STATEMENT EXECUTE FUNCTION post_conversion_totals_after_truncate();
--> statement-breakpoint
SELECT post_conversion_totals_recompute(ARRAY(SELECT DISTINCT post_id FROM social_conversions WHERE post_id IS NOT NULL));
--> statement-breakpoint

-- 3. daily_platform_metrics: the design's view counted a post once per analytics day (30 posts where
--    there was one) and summed 30 cumulative snapshots. Here each published post counts once, with
--    its latest cumulative figures; publish_date is the UTC date of published_at. Posts without
--    analytics yet count in posts_count but not in the averages (posts_with_analytics says how many did).
CREATE MATERIALIZED VIEW daily_platform_metrics AS
SELECT
  p.platform_id,
  (p.published_at AT TIME ZONE 'UTC')::date AS publish_date,
  count(*)::int AS posts_count,
  count(l.post_id)::int AS posts_with_analytics,
  round(avg(l.engagement_rate), 6) AS avg_engagement_rate,
  coalesce(sum(l.likes_count::bigint + l.comments_count + l.shares_count), 0)::bigint AS total_engagement,
  coalesce(sum(l.likes_count), 0)::bigint AS likes_count,
  coalesce(sum(l.comments_count), 0)::bigint AS comments_count,
  coalesce(sum(l.shares_count), 0)::bigint AS shares_count,
  coalesce(sum(l.saves_count), 0)::bigint AS saves_count,
  coalesce(sum(l.views_count), 0)::bigint AS views_count,
  coalesce(sum(l.profile_visits), 0)::bigint AS profile_visits,
  coalesce(sum(l.website_clicks), 0)::bigint AS website_clicks
FROM social_posts p
LEFT JOIN post_latest_analytics l ON l.post_id = p.id
WHERE p.status = 'published'
GROUP BY p.platform_id, (p.published_at AT TIME ZONE 'UTC')::date
WITH DATA;
--> statement-breakpoint
-- REFRESH ... CONCURRENTLY needs a unique index; it also serves reads by platform and date range.
CREATE UNIQUE INDEX daily_platform_metrics_platform_date_key ON daily_platform_metrics (platform_id, publish_date);
--> statement-breakpoint
-- Materialized views cannot have row-level security: closed to anon/authenticated, SELECT for service_role.
SELECT count(*) FROM sync_api_grants(ARRAY['daily_platform_metrics']::regclass[]);
--> statement-breakpoint
-- SECURITY DEFINER: only a materialized view's owner may refresh it.
CREATE OR REPLACE FUNCTION refresh_daily_platform_metrics() RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
  REFRESH MATERIALIZED VIEW CONCURRENTLY daily_platform_metrics;
END
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION refresh_daily_platform_metrics() FROM PUBLIC, anon, authenticated;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION refresh_daily_platform_metrics() TO service_role;
--> statement-breakpoint

-- 4. Engaged users: distinct platform users with any engagement event (live and archived) per post
--    and per platform. Exact distinct counts over millions of events cannot be read in milliseconds,
--    so they are materialized and refreshed by refresh_engaged_users(); their freshness is that of
--    the last refresh. Per platform is its own count: a user engaging with three posts is one user.
CREATE MATERIALIZED VIEW post_engaged_users AS
SELECT e.post_id, count(DISTINCT e.platform_user_id)::int AS engaged_users
FROM (
  SELECT post_id, platform_user_id FROM engagement_events WHERE platform_user_id IS NOT NULL
  UNION ALL
  SELECT post_id, platform_user_id FROM engagement_events_archive WHERE platform_user_id IS NOT NULL
) e
GROUP BY e.post_id
WITH DATA;
--> statement-breakpoint
CREATE UNIQUE INDEX post_engaged_users_post_key ON post_engaged_users (post_id);
--> statement-breakpoint
CREATE MATERIALIZED VIEW platform_engaged_users AS
SELECT p.platform_id, count(DISTINCT e.platform_user_id)::int AS engaged_users
FROM (
  SELECT post_id, platform_user_id FROM engagement_events WHERE platform_user_id IS NOT NULL
  UNION ALL
  SELECT post_id, platform_user_id FROM engagement_events_archive WHERE platform_user_id IS NOT NULL
) e
JOIN social_posts p ON p.id = e.post_id
GROUP BY p.platform_id
WITH DATA;
--> statement-breakpoint
CREATE UNIQUE INDEX platform_engaged_users_platform_key ON platform_engaged_users (platform_id);
--> statement-breakpoint
SELECT count(*) FROM sync_api_grants(ARRAY['post_engaged_users', 'platform_engaged_users']::regclass[]);
--> statement-breakpoint
CREATE OR REPLACE FUNCTION refresh_engaged_users() RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
  REFRESH MATERIALIZED VIEW CONCURRENTLY post_engaged_users;
  REFRESH MATERIALIZED VIEW CONCURRENTLY platform_engaged_users;
END
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION refresh_engaged_users() FROM PUBLIC, anon, authenticated;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION refresh_engaged_users() TO service_role;
--> statement-breakpoint

-- 5. Template performance, stored on content_templates:
--    usage_count          posts (any status) that use the template;
--    avg_engagement_rate  mean latest engagement rate of its published posts that have one;
--    success_rate         share of those posts whose latest rate is strictly above the mean latest
--                         rate of all published posts of the same platform (with a rate).
--    Both NULL when no published post of the template has a rate. Returns the templates changed.
CREATE OR REPLACE FUNCTION refresh_template_performance() RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
  changed integer;
BEGIN
  WITH rated AS (
    SELECT p.template_id, p.platform_id, l.engagement_rate
    FROM social_posts p
    JOIN post_latest_analytics l ON l.post_id = p.id
    WHERE p.status = 'published' AND l.engagement_rate IS NOT NULL
  ),
  baseline AS (
    SELECT r.platform_id, avg(r.engagement_rate) AS avg_rate FROM rated r GROUP BY r.platform_id
  ),
  perf AS (
    SELECT r.template_id,
           round(avg(r.engagement_rate), 6) AS avg_rate,
           round(avg(CASE WHEN r.engagement_rate > b.avg_rate THEN 1 ELSE 0 END), 4) AS success
    FROM rated r JOIN baseline b ON b.platform_id = r.platform_id
    WHERE r.template_id IS NOT NULL
    GROUP BY r.template_id
  ),
  usage AS (
    SELECT p.template_id, count(*)::int AS n FROM social_posts p WHERE p.template_id IS NOT NULL GROUP BY p.template_id
  ),
  computed AS (
    SELECT t.id, coalesce(u.n, 0) AS usage_count, pf.avg_rate, pf.success
    FROM content_templates t
    LEFT JOIN usage u ON u.template_id = t.id
    LEFT JOIN perf pf ON pf.template_id = t.id
  )
  UPDATE content_templates t
  SET usage_count = c.usage_count, avg_engagement_rate = c.avg_rate, success_rate = c.success
  FROM computed c
  WHERE t.id = c.id
    AND (t.usage_count, t.avg_engagement_rate, t.success_rate) IS DISTINCT FROM (c.usage_count, c.avg_rate, c.success);
  GET DIAGNOSTICS changed = ROW_COUNT;
  RETURN changed;
END
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION refresh_template_performance() FROM PUBLIC, anon, authenticated;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION refresh_template_performance() TO service_role;
--> statement-breakpoint

-- 6. Top content (Supabase RPC). The design joined every daily post_analytics row: "top 50" was the
--    same posts repeated and conversions were multiplied by the number of analytics days. Here each
--    post appears once with its latest cumulative figures and its exact conversion count.
--    Window: posts published in [now() - time_period days, now()], now() being the start of the
--    calling transaction (so the function is STABLE, and repeated calls in one transaction agree).
--    SECURITY INVOKER: row-level security limits a signed-in user to their own posts.
--    get_top_content() takes the number of posts; get_top_content_by_category() keeps the design's
--    signature and its 50 posts.
CREATE OR REPLACE FUNCTION get_top_content(
  category_filter varchar DEFAULT NULL,
  time_period integer DEFAULT 30,
  result_limit integer DEFAULT 50
)
RETURNS TABLE (
  post_id uuid,
  caption text,
  engagement_rate numeric,
  total_engagement bigint,
  conversion_count integer,
  revenue numeric,
  platform_id integer,
  content_category varchar,
  published_at timestamptz,
  analysis_date date,
  likes_count integer,
  comments_count integer,
  shares_count integer,
  saves_count integer,
  views_count bigint
)
LANGUAGE plpgsql
STABLE
SECURITY INVOKER
SET search_path = public, pg_temp
AS $$
BEGIN
  IF time_period IS NULL OR time_period < 1 OR time_period > 3650 THEN
    RAISE EXCEPTION 'time_period: % is out of range (1..3650 days)', coalesce(time_period::text, 'NULL')
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF result_limit IS NULL OR result_limit < 1 OR result_limit > 1000 THEN
    RAISE EXCEPTION 'result_limit: % is out of range (1..1000)', coalesce(result_limit::text, 'NULL')
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF category_filter IS NOT NULL AND category_filter NOT IN
     ('workout', 'nutrition', 'motivation', 'transformation', 'education', 'lifestyle', 'community', 'promotion') THEN
    RAISE EXCEPTION 'category_filter: "%" is not a content category', category_filter
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  -- EXECUTE plans with the actual arguments: a wide window walks the rate index and stops after
  -- result_limit posts; a narrow one starts from the posts published in it.
  RETURN QUERY EXECUTE format($q$
    SELECT l.post_id, p.caption, l.engagement_rate,
           (l.likes_count::bigint + l.comments_count + l.shares_count) AS total_engagement,
           coalesce(c.conversions, 0) AS conversion_count, coalesce(c.revenue, 0) AS revenue,
           p.platform_id, p.content_category, p.published_at, l.analysis_date,
           l.likes_count, l.comments_count, l.shares_count, l.saves_count, l.views_count
    FROM post_latest_analytics l
    JOIN social_posts p ON p.id = l.post_id
    LEFT JOIN post_conversion_totals c ON c.post_id = l.post_id
    WHERE p.status = 'published'
      AND p.published_at >= now() - make_interval(days => $1)
      AND p.published_at <= now()
      %s
    ORDER BY l.engagement_rate DESC NULLS LAST, l.post_id
    LIMIT $3 $q$,
    CASE WHEN category_filter IS NULL THEN '' ELSE 'AND p.content_category = $2' END)
  USING time_period, category_filter, result_limit;
END
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION get_top_content(varchar, integer, integer) FROM PUBLIC, anon, authenticated;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION get_top_content(varchar, integer, integer) TO authenticated, service_role;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION get_top_content_by_category(
  category_filter varchar DEFAULT NULL,
  time_period integer DEFAULT 30
)
RETURNS TABLE (
  post_id uuid,
  caption text,
  engagement_rate numeric,
  total_engagement bigint,
  conversion_count integer,
  revenue numeric,
  platform_id integer,
  content_category varchar,
  published_at timestamptz,
  analysis_date date,
  likes_count integer,
  comments_count integer,
  shares_count integer,
  saves_count integer,
  views_count bigint
)
LANGUAGE sql
STABLE
SECURITY INVOKER
SET search_path = public, pg_temp
AS $$ SELECT * FROM get_top_content(category_filter, time_period, 50) $$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION get_top_content_by_category(varchar, integer) FROM PUBLIC, anon, authenticated;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION get_top_content_by_category(varchar, integer) TO authenticated, service_role;
