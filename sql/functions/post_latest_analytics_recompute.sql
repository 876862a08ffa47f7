-- post_latest_analytics: each post's newest cumulative post_analytics row, with copies of the post's
-- platform, publication time and category, kept exact by statement-level triggers (one recompute per
-- touched post, not per row). Recomputing instead of comparing dates also covers an UPDATE that moves a
-- row's analysis_date and a DELETE of the newest day. SECURITY DEFINER: whoever may write
-- post_analytics (the rollup, as service_role) must keep the derived table right without being
-- granted writes on it.
CREATE OR REPLACE FUNCTION public.post_latest_analytics_recompute(post_ids uuid[])
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
  IF post_ids IS NULL OR cardinality(post_ids) = 0 THEN
    RETURN;
  END IF;
  DELETE FROM post_latest_analytics l
  WHERE l.post_id = ANY (post_ids)
    AND NOT EXISTS (SELECT 1 FROM post_analytics a WHERE a.post_id = l.post_id);
  INSERT INTO post_latest_analytics AS l (
    post_id, workspace_id, analysis_date, likes_count, comments_count, shares_count, saves_count, views_count,
    engagement_rate, profile_visits, website_clicks, platform_id, published_at, content_category)
  SELECT a.post_id, p.workspace_id, a.analysis_date, a.likes_count, a.comments_count, a.shares_count, a.saves_count, a.views_count,
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
$function$;

REVOKE ALL ON FUNCTION public.post_latest_analytics_recompute(uuid[]) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.post_latest_analytics_recompute(uuid[]) TO service_role;
