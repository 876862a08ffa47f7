-- Trigger function (AFTER TRUNCATE on social_conversions): empties post_conversion_totals.
CREATE OR REPLACE FUNCTION public.post_conversion_totals_after_truncate()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
  TRUNCATE post_conversion_totals;
  RETURN NULL;
END
$function$;

REVOKE ALL ON FUNCTION public.post_conversion_totals_after_truncate() FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.post_conversion_totals_after_truncate() TO service_role;
