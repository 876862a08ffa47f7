-- Top content by category walks idx_post_latest_analytics_category_rate: post_latest_analytics now also
-- copies the post's content_category (added by 0024_dashboard_category_copy), and the trigger on
-- social_posts refreshes the copies when the category changes too.
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
    engagement_rate, profile_visits, website_clicks, platform_id, published_at, content_category)
  SELECT a.post_id, a.analysis_date, a.likes_count, a.comments_count, a.shares_count, a.saves_count, a.views_count,
         a.engagement_rate, a.profile_visits, a.website_clicks,
         p.platform_id, CASE WHEN p.status = 'published' THEN p.published_at END, p.content_category
  FROM (SELECT DISTINCT u.id FROM unnest(post_ids) AS u(id)) ids
  JOIN social_posts p ON p.id = ids.id
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
    website_clicks = excluded.website_clicks,
    platform_id = excluded.platform_id,
    published_at = excluded.published_at,
    content_category = excluded.content_category
  -- Skip no-op rewrites: a rollup re-upserting unchanged days should not churn the table.
  WHERE (l.analysis_date, l.likes_count, l.comments_count, l.shares_count, l.saves_count, l.views_count,
         l.engagement_rate, l.profile_visits, l.website_clicks, l.platform_id, l.published_at, l.content_category)
        IS DISTINCT FROM
        (excluded.analysis_date, excluded.likes_count, excluded.comments_count, excluded.shares_count,
         excluded.saves_count, excluded.views_count, excluded.engagement_rate, excluded.profile_visits,
         excluded.website_clicks, excluded.platform_id, excluded.published_at, excluded.content_category);
END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION dashboard_copies_after_post_update() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  changed uuid[];
BEGIN
  changed := ARRAY(
    SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE (n.platform_id, n.status, n.published_at, n.content_category)
          IS DISTINCT FROM (o.platform_id, o.status, o.published_at, o.content_category));
  IF cardinality(changed) > 0 THEN
    PERFORM post_latest_analytics_recompute(changed);
    PERFORM post_conversion_totals_recompute(changed);
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
SELECT post_latest_analytics_recompute(ARRAY(SELECT post_id FROM post_latest_analytics));
--> statement-breakpoint
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
           l.platform_id, l.content_category, l.published_at, l.analysis_date,
           l.likes_count, l.comments_count, l.shares_count, l.saves_count, l.views_count
    FROM post_latest_analytics l
    JOIN social_posts p ON p.id = l.post_id
    LEFT JOIN post_conversion_totals c ON c.post_id = l.post_id
    -- l.published_at is the post's published_at while it is published, else NULL.
    WHERE l.published_at >= now() - make_interval(days => $1)
      AND l.published_at <= now()
      %s
    ORDER BY l.engagement_rate DESC NULLS LAST, l.post_id
    LIMIT $3 $q$,
    CASE WHEN category_filter IS NULL THEN '' ELSE 'AND l.content_category = $2' END)
  USING time_period, category_filter, result_limit;
END
$$;
