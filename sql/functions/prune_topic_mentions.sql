-- Retention of raw topic mentions: detection reads two windows; older raw mentions only cost space. The delete trigger
-- keeps the rollup in step.
CREATE OR REPLACE FUNCTION public.prune_topic_mentions(keep interval DEFAULT '14 days'::interval, as_of timestamp with time zone DEFAULT now())
 RETURNS bigint
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  removed bigint;
BEGIN
  IF keep IS NULL OR keep < interval '2 days' THEN
    RAISE EXCEPTION 'keep: % is shorter than two default detection windows (2 days)', keep USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF as_of IS NULL OR NOT isfinite(as_of) THEN
    RAISE EXCEPTION 'as_of: must be a finite timestamp' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  DELETE FROM topic_mentions WHERE mentioned_at < as_of - keep;
  GET DIAGNOSTICS removed = ROW_COUNT;
  RETURN removed;
END
$function$;

REVOKE ALL ON FUNCTION public.prune_topic_mentions(interval,timestamp with time zone) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.prune_topic_mentions(interval,timestamp with time zone) TO service_role;
