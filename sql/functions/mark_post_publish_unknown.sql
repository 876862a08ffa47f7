-- A worker that cannot tell whether the platform published the post (a timeout after the request
-- left, a connection reset mid-upload) says so at once instead of letting the lease run out: the
-- post becomes `unknown`, to be settled by reconcile_post_publish, never retried blindly.
CREATE OR REPLACE FUNCTION public.mark_post_publish_unknown(post_id uuid, claim_token uuid, error text, response jsonb DEFAULT NULL::jsonb)
 RETURNS void
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  prev_flag text := current_setting('social.publish_function', true);
  msg text := left(btrim(mark_post_publish_unknown.error), 2000);
  done boolean;
BEGIN
  IF msg IS NULL OR msg = '' THEN
    RAISE EXCEPTION 'error: say why the outcome is unknown (a non-blank text)' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  PERFORM set_config('social.publish_function', 'on', true);
  UPDATE social_posts s
  SET status = 'unknown', last_error = format('outcome unknown: %s (reconcile_post_publish settles it)', msg)
  WHERE s.id = mark_post_publish_unknown.post_id AND s.claim_token = mark_post_publish_unknown.claim_token AND s.status = 'publishing'
  RETURNING true INTO done;
  IF done IS NULL THEN
    PERFORM post_publish_claim_refused(mark_post_publish_unknown.post_id, mark_post_publish_unknown.claim_token, 'mark_post_publish_unknown');
  END IF;
  UPDATE post_publish_attempts a
  SET outcome = 'unknown', finished_at = clock_timestamp(), error = msg,
      platform_response = coalesce(mark_post_publish_unknown.response, a.platform_response)
  WHERE a.claim_token = mark_post_publish_unknown.claim_token;
  PERFORM set_config('social.publish_function', coalesce(prev_flag, ''), true);
END
$function$;

REVOKE ALL ON FUNCTION public.mark_post_publish_unknown(uuid,uuid,text,jsonb) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.mark_post_publish_unknown(uuid,uuid,text,jsonb) TO service_role;
