-- A worker's failure. Retryable, and attempts left (publish_attempts counts claims, `max_attempts`
-- default 5): back to `scheduled`, due after the platform's `retry_after` (a 429) when given, else
-- after publish_retry_delay's exponential backoff with jitter (`backoff_base` doubling up to
-- `backoff_cap`). Otherwise `failed` with the error. The attempt is closed with outcome
-- rate_limited (a retry_after was given: the platform refused it for its own limit), retry or
-- failed. Refused under any claim but the post's current one, and once
-- the post is `unknown`: a lease that ran out is settled by reconciliation, not by a late failure.
CREATE OR REPLACE FUNCTION public.fail_post_publish(post_id uuid, claim_token uuid, error text, retryable boolean DEFAULT true, retry_after interval DEFAULT NULL::interval, response jsonb DEFAULT NULL::jsonb, max_attempts integer DEFAULT 5, backoff_base interval DEFAULT '00:00:30'::interval, backoff_cap interval DEFAULT '01:00:00'::interval)
 RETURNS TABLE(status text, next_attempt_at timestamp with time zone)
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
AS $function$
#variable_conflict use_column
DECLARE
  prev_flag text := current_setting('social.publish_function', true);
  t timestamptz := clock_timestamp();
  p record;
  retry boolean;
  due timestamptz;
  msg text := left(btrim(fail_post_publish.error), 2000);
BEGIN
  IF msg IS NULL OR msg = '' THEN
    RAISE EXCEPTION 'error: say what went wrong (a non-blank text)' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF fail_post_publish.retryable IS NULL THEN
    RAISE EXCEPTION 'retryable: true or false, not NULL' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF fail_post_publish.retry_after < interval '0' OR fail_post_publish.retry_after > interval '7 days' THEN
    RAISE EXCEPTION 'retry_after: % is not between 0 and 7 days', fail_post_publish.retry_after USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF fail_post_publish.max_attempts IS NULL OR fail_post_publish.max_attempts NOT BETWEEN 1 AND 100 THEN
    RAISE EXCEPTION 'max_attempts: % is not between 1 and 100', coalesce(fail_post_publish.max_attempts::text, 'NULL')
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF fail_post_publish.backoff_base IS NULL OR fail_post_publish.backoff_base <= interval '0'
     OR fail_post_publish.backoff_cap IS NULL OR fail_post_publish.backoff_cap < fail_post_publish.backoff_base THEN
    RAISE EXCEPTION 'backoff_base, backoff_cap: % and % are not a positive base with a cap at least as long',
      coalesce(fail_post_publish.backoff_base::text, 'NULL'), coalesce(fail_post_publish.backoff_cap::text, 'NULL')
      USING ERRCODE = 'invalid_parameter_value';
  END IF;

  PERFORM set_config('social.publish_function', 'on', true);
  SELECT s.publish_attempts INTO p FROM social_posts s
  WHERE s.id = fail_post_publish.post_id AND s.claim_token = fail_post_publish.claim_token AND s.status = 'publishing'
  FOR UPDATE;
  IF NOT FOUND THEN
    PERFORM post_publish_claim_refused(fail_post_publish.post_id, fail_post_publish.claim_token, 'fail_post_publish');
  END IF;

  retry := fail_post_publish.retryable AND p.publish_attempts < fail_post_publish.max_attempts;
  IF retry THEN
    due := t + coalesce(fail_post_publish.retry_after,
                        publish_retry_delay(p.publish_attempts, fail_post_publish.backoff_base, fail_post_publish.backoff_cap, random()));
    UPDATE social_posts s
    SET status = 'scheduled', next_attempt_at = due, last_error = msg
    WHERE s.id = fail_post_publish.post_id;
  ELSE
    UPDATE social_posts s
    SET status = 'failed',
        last_error = CASE WHEN fail_post_publish.retryable
                          THEN format('%s (gave up after %s attempts)', msg, p.publish_attempts) ELSE msg END
    WHERE s.id = fail_post_publish.post_id;
  END IF;
  UPDATE post_publish_attempts a
  SET outcome = CASE WHEN fail_post_publish.retry_after IS NOT NULL THEN 'rate_limited' WHEN retry THEN 'retry' ELSE 'failed' END,
      finished_at = t, error = msg, platform_response = coalesce(fail_post_publish.response, a.platform_response)
  WHERE a.claim_token = fail_post_publish.claim_token;
  PERFORM set_config('social.publish_function', coalesce(prev_flag, ''), true);
  RETURN QUERY SELECT CASE WHEN retry THEN 'scheduled' ELSE 'failed' END, due;
END
$function$;

REVOKE ALL ON FUNCTION public.fail_post_publish(uuid,uuid,text,boolean,interval,jsonb,integer,interval,interval) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.fail_post_publish(uuid,uuid,text,boolean,interval,jsonb,integer,interval,interval) TO service_role;
