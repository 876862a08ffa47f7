-- Element-wise sum of two bigint arrays of the same length (the cumulative hour arrays of
-- topic_mention_daily, engagement side); int_array_add is its integer twin.
CREATE OR REPLACE FUNCTION public.bigint_array_add(a bigint[], b bigint[])
 RETURNS bigint[]
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE STRICT
 SET search_path TO 'public', 'pg_temp'
AS $function$ SELECT array_agg(x + y ORDER BY n) FROM unnest(a, b) WITH ORDINALITY AS u(x, y, n) $function$;

REVOKE ALL ON FUNCTION public.bigint_array_add(bigint[],bigint[]) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.bigint_array_add(bigint[],bigint[]) TO service_role;
