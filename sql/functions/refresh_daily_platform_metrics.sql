-- Refreshes the materialized view daily_platform_metrics (CONCURRENTLY: readers are never blocked).
-- SECURITY DEFINER: only a materialized view's owner may refresh it.
CREATE OR REPLACE FUNCTION public.refresh_daily_platform_metrics()
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
  REFRESH MATERIALIZED VIEW CONCURRENTLY daily_platform_metrics;
END
$function$;

REVOKE ALL ON FUNCTION public.refresh_daily_platform_metrics() FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.refresh_daily_platform_metrics() TO service_role;
