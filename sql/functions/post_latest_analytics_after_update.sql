-- Trigger function (AFTER UPDATE on post_analytics, per statement, transition tables): recomputes
-- post_latest_analytics for the posts of both the old and the new rows.
CREATE OR REPLACE FUNCTION public.post_latest_analytics_after_update()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
  PERFORM post_latest_analytics_recompute(ARRAY(
    SELECT n.post_id FROM new_rows n UNION SELECT o.post_id FROM old_rows o));
  RETURN NULL;
END
$function$;

REVOKE ALL ON FUNCTION public.post_latest_analytics_after_update() FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.post_latest_analytics_after_update() TO service_role;
