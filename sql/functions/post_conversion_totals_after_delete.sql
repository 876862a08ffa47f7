-- Trigger function (AFTER DELETE on social_conversions, per statement, transition table old_rows):
-- recomputes post_conversion_totals for the posts the statement touched.
CREATE OR REPLACE FUNCTION public.post_conversion_totals_after_delete()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
  PERFORM post_conversion_totals_recompute(ARRAY(SELECT DISTINCT o.post_id FROM old_rows o WHERE o.post_id IS NOT NULL));
  RETURN NULL;
END
$function$;

REVOKE ALL ON FUNCTION public.post_conversion_totals_after_delete() FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.post_conversion_totals_after_delete() TO service_role;
