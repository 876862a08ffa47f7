-- x / (x + reference): 0 at 0, 0.5 at the reference, towards 1 above; never a division by zero.
CREATE OR REPLACE FUNCTION public.analytics_saturate(x numeric, reference numeric)
 RETURNS numeric
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
 SET search_path TO 'public', 'pg_temp'
AS $function$
  SELECT CASE WHEN x IS NULL OR reference IS NULL THEN NULL
              WHEN x <= 0 THEN 0
              WHEN reference <= 0 THEN 1
              ELSE x / (x + reference) END
$function$;

REVOKE ALL ON FUNCTION public.analytics_saturate(numeric,numeric) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.analytics_saturate(numeric,numeric) TO service_role;
