-- The best known cumulative value of a metric: events counted here, or the platform's own figure
-- from insights (platform_metrics), whichever is larger; both count the same thing, neither is summed.
CREATE OR REPLACE FUNCTION public.analytics_best(events bigint, metrics jsonb, metric text)
 RETURNS numeric
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
 SET search_path TO 'public', 'pg_temp'
AS $function$
  SELECT GREATEST(events::numeric,
    CASE WHEN jsonb_typeof(metrics -> metric) = 'number' THEN (metrics ->> metric)::numeric END)
$function$;

REVOKE ALL ON FUNCTION public.analytics_best(bigint,jsonb,text) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.analytics_best(bigint,jsonb,text) TO service_role;
