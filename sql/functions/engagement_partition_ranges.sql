-- The partitions of a partitioned table with their month ranges, read from the catalog: archiving
-- and partition creation decide by range, never by a table's name.
CREATE OR REPLACE FUNCTION public.engagement_partition_ranges(parent regclass)
 RETURNS TABLE(partition regclass, range_start timestamp with time zone, range_end timestamp with time zone, is_default boolean)
 LANGUAGE sql
 STABLE
 SET search_path TO 'public', 'pg_temp'
AS $function$
  SELECT c.oid::regclass,
         b[1]::timestamptz,
         b[2]::timestamptz,
         pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT'
  FROM pg_inherits i
  JOIN pg_class c ON c.oid = i.inhrelid
  LEFT JOIN LATERAL regexp_match(pg_get_expr(c.relpartbound, c.oid), $re$^FOR VALUES FROM \('([^']+)'\) TO \('([^']+)'\)$$re$) AS b ON true
  WHERE i.inhparent = parent
  ORDER BY 2 NULLS LAST, 1
$function$;

REVOKE ALL ON FUNCTION public.engagement_partition_ranges(regclass) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.engagement_partition_ranges(regclass) TO service_role;
