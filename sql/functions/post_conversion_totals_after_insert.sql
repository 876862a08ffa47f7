-- Trigger function (AFTER INSERT on social_conversions, per statement, transition table new_rows):
-- recomputes post_conversion_totals for the posts the statement touched.
CREATE OR REPLACE FUNCTION public.post_conversion_totals_after_insert()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
  PERFORM post_conversion_totals_recompute(ARRAY(SELECT DISTINCT n.post_id FROM new_rows n WHERE n.post_id IS NOT NULL));
  RETURN NULL;
END
$function$;

REVOKE ALL ON FUNCTION public.post_conversion_totals_after_insert() FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.post_conversion_totals_after_insert() TO service_role;
