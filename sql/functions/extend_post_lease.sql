-- Heartbeat: a worker still publishing a post pushes its lease to `lease` from now, so a slow
-- upload is not declared unknown while it runs. Refused (55000) once the claim is no longer the
-- post's current one or the post is no longer publishing: the worker then knows its result may only
-- be reported by complete_post_publish (accepted while the post is unknown under this claim).
CREATE OR REPLACE FUNCTION public.extend_post_lease(post_id uuid, claim_token uuid, lease interval DEFAULT '00:05:00'::interval)
 RETURNS timestamp with time zone
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  until timestamptz;
BEGIN
  IF extend_post_lease.lease IS NULL OR extend_post_lease.lease < interval '1 second' OR extend_post_lease.lease > interval '1 day' THEN
    RAISE EXCEPTION 'lease: % is not between 1 second and 1 day', coalesce(extend_post_lease.lease::text, 'NULL')
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  UPDATE social_posts s
  SET lease_expires_at = greatest(s.lease_expires_at, clock_timestamp() + extend_post_lease.lease)
  WHERE s.id = extend_post_lease.post_id AND s.claim_token = extend_post_lease.claim_token AND s.status = 'publishing'
  RETURNING s.lease_expires_at INTO until;
  IF until IS NULL THEN
    PERFORM post_publish_claim_refused(extend_post_lease.post_id, extend_post_lease.claim_token, 'extend_post_lease');
  END IF;
  RETURN until;
END
$function$;

REVOKE ALL ON FUNCTION public.extend_post_lease(uuid,uuid,interval) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.extend_post_lease(uuid,uuid,interval) TO service_role;
