-- Whole hours from publication to the end of the UTC day the row describes (when its counts are final).
CREATE OR REPLACE FUNCTION public.post_age_hours(published_at timestamp with time zone, analysis_date date)
 RETURNS integer
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
 SET search_path TO 'public', 'pg_temp'
AS $function$
  SELECT GREATEST(0, floor(extract(epoch FROM (((analysis_date + 1)::timestamp AT TIME ZONE 'UTC') - published_at)) / 3600))::integer
$function$;

REVOKE ALL ON FUNCTION public.post_age_hours(timestamp with time zone,date) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.post_age_hours(timestamp with time zone,date) TO service_role;
