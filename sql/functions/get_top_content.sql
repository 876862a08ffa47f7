-- Top content (Supabase RPC): the `result_limit` posts of the last `time_period` days with the best
-- engagement rate, optionally of one category. The design joined every daily post_analytics row: "top
-- 50" was the same posts repeated and conversions were multiplied by the number of analytics days.
-- Here each post appears once with its latest cumulative figures (post_latest_analytics, filtered on
-- its copy of the post's publication time and category) and its exact conversion count.
-- Window: posts published in [now() - time_period days, now()], now() being the start of the calling
-- transaction (so the function is STABLE, and repeated calls in one transaction agree).
-- SECURITY INVOKER: row-level security limits a signed-in user to their own posts.
CREATE OR REPLACE FUNCTION public.get_top_content(category_filter character varying DEFAULT NULL::character varying, time_period integer DEFAULT 30, result_limit integer DEFAULT 50)
 RETURNS TABLE(post_id uuid, caption text, engagement_rate numeric, total_engagement bigint, conversion_count integer, revenue numeric, platform_id integer, content_category character varying, published_at timestamp with time zone, analysis_date date, likes_count integer, comments_count integer, shares_count integer, saves_count integer, views_count bigint)
 LANGUAGE plpgsql
 STABLE
 SET search_path TO 'public', 'pg_temp'
AS $function$
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
$function$;

REVOKE ALL ON FUNCTION public.get_top_content(character varying,integer,integer) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.get_top_content(character varying,integer,integer) TO authenticated, service_role;
