-- Template performance, stored on content_templates:
-- usage_count          posts (any status) that use the template;
-- avg_engagement_rate  mean latest engagement rate of its published posts that have one;
-- success_rate         share of those posts whose latest rate is strictly above the mean latest
--                         rate of all published posts of the same platform (with a rate) in the
--                         template's workspace: a brand is measured against itself, never against
--                         the other brands an agency runs in the same database.
-- Both NULL when no published post of the template has a rate. Returns the templates changed.
CREATE OR REPLACE FUNCTION public.refresh_template_performance()
 RETURNS integer
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  changed integer;
BEGIN
  WITH rated AS (
    SELECT p.template_id, p.workspace_id, p.platform_id, l.engagement_rate
    FROM social_posts p
    JOIN post_latest_analytics l ON l.post_id = p.id
    WHERE p.status = 'published' AND l.engagement_rate IS NOT NULL
  ),
  baseline AS (
    SELECT r.workspace_id, r.platform_id, avg(r.engagement_rate) AS avg_rate
    FROM rated r GROUP BY r.workspace_id, r.platform_id
  ),
  perf AS (
    SELECT r.template_id,
           round(avg(r.engagement_rate), 6) AS avg_rate,
           round(avg(CASE WHEN r.engagement_rate > b.avg_rate THEN 1 ELSE 0 END), 4) AS success
    FROM rated r JOIN baseline b ON b.workspace_id = r.workspace_id AND b.platform_id = r.platform_id
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
$function$;

REVOKE ALL ON FUNCTION public.refresh_template_performance() FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.refresh_template_performance() TO service_role;
