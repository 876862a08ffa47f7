-- Trigger function (AFTER TRUNCATE on post_analytics): empties post_latest_analytics.
CREATE OR REPLACE FUNCTION public.post_latest_analytics_after_truncate()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
  TRUNCATE post_latest_analytics;
  RETURN NULL;
END
$function$;

REVOKE ALL ON FUNCTION public.post_latest_analytics_after_truncate() FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.post_latest_analytics_after_truncate() TO service_role;
