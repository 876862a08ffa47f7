-- Refreshes the materialized views post_engaged_users and platform_engaged_users (distinct engaged
-- users, live and archived events). SECURITY DEFINER: only a materialized view's owner may refresh it.
CREATE OR REPLACE FUNCTION public.refresh_engaged_users()
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
  REFRESH MATERIALIZED VIEW CONCURRENTLY post_engaged_users;
  REFRESH MATERIALIZED VIEW CONCURRENTLY platform_engaged_users;
END
$function$;

REVOKE ALL ON FUNCTION public.refresh_engaged_users() FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.refresh_engaged_users() TO service_role;
