-- One maintenance step: runs `call` (a function call, as text) in a subtransaction and reports
-- {step, ok, ms, result} or {step, ok: false, ms, error, sqlstate}. A failed step is rolled back
-- alone; the caller goes on with the next one.
CREATE OR REPLACE FUNCTION public.social_maintenance_step(step text, call text)
 RETURNS jsonb
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  t0 timestamptz := clock_timestamp();
  fn regprocedure;
  rows jsonb;
  result jsonb;
  msg text;
  state text;
BEGIN
  BEGIN
    EXECUTE format('SELECT coalesce(jsonb_agg(to_jsonb(r)), ''[]''::jsonb) FROM %s r', call) INTO rows;
    -- A set-returning step reports its rows; a scalar one its value; a void one null.
    SELECT p.oid INTO fn FROM pg_proc p
    WHERE p.proname = split_part(call, '(', 1) AND p.pronamespace = 'public'::regnamespace
    LIMIT 1;
    result := CASE
      WHEN fn IS NULL THEN rows
      WHEN (SELECT p.proretset FROM pg_proc p WHERE p.oid = fn) THEN rows
      WHEN (SELECT p.prorettype = 'void'::regtype FROM pg_proc p WHERE p.oid = fn) THEN 'null'::jsonb
      ELSE coalesce(rows -> 0, 'null'::jsonb)
    END;
    RETURN jsonb_build_object('step', step, 'ok', true,
      'ms', round(extract(epoch FROM clock_timestamp() - t0)::numeric * 1000, 1), 'result', result);
  EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, state = RETURNED_SQLSTATE;
    RETURN jsonb_build_object('step', step, 'ok', false,
      'ms', round(extract(epoch FROM clock_timestamp() - t0)::numeric * 1000, 1), 'error', msg, 'sqlstate', state);
  END;
END
$function$;

REVOKE ALL ON FUNCTION public.social_maintenance_step(text,text) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.social_maintenance_step(text,text) TO service_role;
