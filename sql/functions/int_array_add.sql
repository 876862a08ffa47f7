-- Element-wise sum of two integer arrays of the same length: adds the cumulative hour arrays of
-- topic_mention_daily (bigint_array_add is its bigint twin).
CREATE OR REPLACE FUNCTION public.int_array_add(a integer[], b integer[])
 RETURNS integer[]
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE STRICT
 SET search_path TO 'public', 'pg_temp'
AS $function$ SELECT array_agg(x + y ORDER BY n) FROM unnest(a, b) WITH ORDINALITY AS u(x, y, n) $function$;

REVOKE ALL ON FUNCTION public.int_array_add(integer[],integer[]) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.int_array_add(integer[],integer[]) TO service_role;
