-- post_conversion_totals: conversions and revenue per post, recomputed for every post a statement
-- touched (a few index probes per post). A post_id set to NULL by ON DELETE SET NULL recomputes the
-- old post, whose row is then gone with it. Posts without conversions have no row.
CREATE OR REPLACE FUNCTION public.post_conversion_totals_recompute(post_ids uuid[])
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
  IF post_ids IS NULL OR cardinality(post_ids) = 0 THEN
    RETURN;
  END IF;
  DELETE FROM post_conversion_totals t
  WHERE t.post_id = ANY (post_ids)
    AND NOT EXISTS (SELECT 1 FROM social_conversions c WHERE c.post_id = t.post_id);
  INSERT INTO post_conversion_totals AS t (post_id, workspace_id, conversions, revenue, platform_id)
  -- The join drops posts being deleted (ON DELETE SET NULL runs after their row is gone).
  SELECT c.post_id, p.workspace_id, count(*)::int, sum(c.conversion_value), p.platform_id
  FROM social_conversions c
  JOIN social_posts p ON p.id = c.post_id
  WHERE c.post_id = ANY (post_ids)
  GROUP BY c.post_id, p.workspace_id, p.platform_id
  ON CONFLICT (post_id) DO UPDATE SET
    conversions = excluded.conversions, revenue = excluded.revenue, platform_id = excluded.platform_id
  WHERE (t.conversions, t.revenue, t.platform_id) IS DISTINCT FROM (excluded.conversions, excluded.revenue, excluded.platform_id);
END
$function$;

REVOKE ALL ON FUNCTION public.post_conversion_totals_recompute(uuid[]) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.post_conversion_totals_recompute(uuid[]) TO service_role;
