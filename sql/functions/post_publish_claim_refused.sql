-- The error of complete/fail/extend/mark-unknown when a claim token is not the post's current claim:
-- says what the post is now, so a worker whose lease ran out learns why its result was refused
-- (someone else's claim, or the post went to unknown, or it was settled). SQLSTATE 55000.
CREATE OR REPLACE FUNCTION public.post_publish_claim_refused(post_id uuid, claim_token uuid, action text)
 RETURNS void
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  p record;
BEGIN
  SELECT s.status, s.claim_token, s.claimed_by, s.lease_expires_at INTO p FROM social_posts s WHERE s.id = post_publish_claim_refused.post_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'post_id: no post %', post_publish_claim_refused.post_id USING ERRCODE = 'no_data_found';
  END IF;
  RAISE EXCEPTION 'claim_token: % refused for post %: %', action, post_publish_claim_refused.post_id,
    CASE
      WHEN post_publish_claim_refused.claim_token IS NULL THEN 'no claim token given'
      WHEN p.claim_token IS NOT DISTINCT FROM post_publish_claim_refused.claim_token
        THEN format('the post is %s now (the claim is still this one, but %s is not possible from %s)', p.status, action, p.status)
      WHEN p.claim_token IS NULL THEN format('the post is %s and nobody holds a claim on it (this claim is stale)', p.status)
      ELSE format('the post is %s under another claim (worker %s, lease until %s); this claim is stale', p.status, p.claimed_by, p.lease_expires_at)
    END
    USING ERRCODE = 'object_not_in_prerequisite_state';
END
$function$;

REVOKE ALL ON FUNCTION public.post_publish_claim_refused(uuid,uuid,text) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.post_publish_claim_refused(uuid,uuid,text) TO service_role;
