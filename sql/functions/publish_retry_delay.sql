-- Backoff before retry `attempt` (1 = the first retry): exponential from `base`, capped at `cap`,
-- with "equal jitter" (half fixed, half random by `jitter` in [0, 1)), so workers that failed
-- together do not come back together, and no retry comes back sooner than half its step.
CREATE OR REPLACE FUNCTION public.publish_retry_delay(attempt integer, base interval, cap interval, jitter double precision)
 RETURNS interval
 LANGUAGE sql
 IMMUTABLE
 SET search_path TO 'public', 'pg_temp'
AS $function$
  SELECT step / 2 + step / 2 * least(greatest(jitter, 0), 1)
  FROM (SELECT least(cap, base * power(2, least(greatest(attempt, 1) - 1, 30))) AS step) s
$function$;

REVOKE ALL ON FUNCTION public.publish_retry_delay(integer,interval,interval,double precision) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.publish_retry_delay(integer,interval,interval,double precision) TO service_role;
