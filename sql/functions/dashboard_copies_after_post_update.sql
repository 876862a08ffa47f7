-- Trigger function (AFTER UPDATE on social_posts, per statement): a post whose platform, publication
-- time, category, or whether it is published changed has its copies in post_latest_analytics and
-- post_conversion_totals recomputed, so dashboard reads never join social_posts. Only published or
-- not matters of the status (the copies hold published_at while published): the publishing moves
-- (scheduled, publishing, retry, unknown) recompute nothing, which kept claims 3 times slower.
CREATE OR REPLACE FUNCTION public.dashboard_copies_after_post_update()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  changed uuid[];
BEGIN
  changed := ARRAY(
    SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE (n.platform_id, n.status = 'published', n.published_at, n.content_category)
          IS DISTINCT FROM (o.platform_id, o.status = 'published', o.published_at, o.content_category));
  IF cardinality(changed) > 0 THEN
    PERFORM post_latest_analytics_recompute(changed);
    PERFORM post_conversion_totals_recompute(changed);
  END IF;
  RETURN NULL;
END
$function$;

REVOKE ALL ON FUNCTION public.dashboard_copies_after_post_update() FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.dashboard_copies_after_post_update() TO service_role;
