-- Trigger function (AFTER TRUNCATE on post_latest_analytics): empties posting_slot_stats, whose
-- cells would otherwise count posts that are gone.
CREATE OR REPLACE FUNCTION public.posting_slot_stats_truncate()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
  TRUNCATE posting_slot_stats;
  RETURN NULL;
END
$function$;

REVOKE ALL ON FUNCTION public.posting_slot_stats_truncate() FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.posting_slot_stats_truncate() TO service_role;
