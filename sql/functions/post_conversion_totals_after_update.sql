-- Trigger function (AFTER UPDATE on social_conversions, per statement, transition tables): recomputes
-- post_conversion_totals for the posts of both the old and the new rows.
CREATE OR REPLACE FUNCTION public.post_conversion_totals_after_update()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
  PERFORM post_conversion_totals_recompute(ARRAY(
    SELECT n.post_id FROM new_rows n WHERE n.post_id IS NOT NULL
    UNION SELECT o.post_id FROM old_rows o WHERE o.post_id IS NOT NULL));
  RETURN NULL;
END
$function$;

REVOKE ALL ON FUNCTION public.post_conversion_totals_after_update() FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.post_conversion_totals_after_update() TO service_role;
