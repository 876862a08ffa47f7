-- Trigger function (AFTER DELETE on post_analytics, per statement, transition table old_rows):
-- recomputes post_latest_analytics for the posts the statement touched.
CREATE OR REPLACE FUNCTION public.post_latest_analytics_after_delete()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
  PERFORM post_latest_analytics_recompute(ARRAY(SELECT DISTINCT o.post_id FROM old_rows o));
  RETURN NULL;
END
$function$;

REVOKE ALL ON FUNCTION public.post_latest_analytics_after_delete() FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.post_latest_analytics_after_delete() TO service_role;
