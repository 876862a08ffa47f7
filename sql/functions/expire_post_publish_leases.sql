-- Posts left `publishing` past their lease (the worker crashed, or timed out after its request left)
-- become `unknown`, never `scheduled`: the platform may have published them, and a silent retry is
-- how a post goes out twice. reconcile_post_publish settles them. Skips rows being settled right now
-- (SKIP LOCKED); `max_rows` bounds one call (claim_due_posts takes 100 on each call).
CREATE OR REPLACE FUNCTION public.expire_post_publish_leases(as_of timestamp with time zone DEFAULT NULL::timestamp with time zone, max_rows integer DEFAULT NULL::integer)
 RETURNS integer
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  prev_flag text := current_setting('social.publish_function', true);
  t timestamptz := coalesce(expire_post_publish_leases.as_of, clock_timestamp());
  expired integer;
BEGIN
  IF expire_post_publish_leases.max_rows < 1 THEN
    RAISE EXCEPTION 'max_rows: % is not a positive number (NULL: no bound)', expire_post_publish_leases.max_rows
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  PERFORM set_config('social.publish_function', 'on', true);
  WITH x AS (
    SELECT p.id FROM social_posts p
    WHERE p.status = 'publishing' AND p.lease_expires_at < t
    ORDER BY p.lease_expires_at
    LIMIT expire_post_publish_leases.max_rows
    FOR UPDATE OF p SKIP LOCKED
  ), u AS (
    UPDATE social_posts p
    SET status = 'unknown',
        last_error = format('outcome unknown: the lease of worker %s ran out at %s while publishing; the platform may have published it (reconcile_post_publish settles it)',
                            p.claimed_by, p.lease_expires_at)
    FROM x
    WHERE p.id = x.id
    RETURNING p.claim_token, p.lease_expires_at
  ), a AS (
    UPDATE post_publish_attempts a
    SET outcome = 'unknown', finished_at = t, error = format('lease ran out at %s', u.lease_expires_at)
    FROM u
    WHERE a.claim_token = u.claim_token AND a.outcome IS NULL
    RETURNING 1
  )
  SELECT count(*)::int INTO expired FROM u;
  PERFORM set_config('social.publish_function', coalesce(prev_flag, ''), true);
  RETURN expired;
END
$function$;

REVOKE ALL ON FUNCTION public.expire_post_publish_leases(timestamp with time zone,integer) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.expire_post_publish_leases(timestamp with time zone,integer) TO service_role;
