-- Trigger function (AFTER INSERT on post_analytics, per statement, transition table new_rows):
-- recomputes post_latest_analytics for the posts the statement touched. PostgreSQL allows a transition
-- table only on a single-event trigger: one function per event.
CREATE OR REPLACE FUNCTION public.post_latest_analytics_after_insert()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
  PERFORM post_latest_analytics_recompute(ARRAY(SELECT DISTINCT n.post_id FROM new_rows n));
  RETURN NULL;
END
$function$;

REVOKE ALL ON FUNCTION public.post_latest_analytics_after_insert() FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.post_latest_analytics_after_insert() TO service_role;
