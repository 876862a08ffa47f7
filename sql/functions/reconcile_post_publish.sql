-- Settles a post whose outcome is unknown, from what the app found on the platform (by the post's
-- own id, or by matching its caption in the account's recent media): `on_platform` makes it `published`
-- (with the platform's id; `published_at` defaults to when the unknown attempt started); not there
-- puts it back to `scheduled`, due at `retry_at` (default now; max lateness still applies, so a post
-- unknown for hours becomes missed rather than going out hours late). Its attempt is closed as
-- published or not_published. Only for a post that is `unknown` (55000 otherwise).
CREATE OR REPLACE FUNCTION public.reconcile_post_publish(post_id uuid, on_platform boolean, platform_post_id text DEFAULT NULL::text, platform_url text DEFAULT NULL::text, published_at timestamp with time zone DEFAULT NULL::timestamp with time zone, retry_at timestamp with time zone DEFAULT NULL::timestamp with time zone)
 RETURNS text
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  prev_flag text := current_setting('social.publish_function', true);
  p record;
  t timestamptz := clock_timestamp();
BEGIN
  IF reconcile_post_publish.on_platform IS NULL THEN
    RAISE EXCEPTION 'on_platform: true (the platform has the post) or false (it does not), not NULL' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF reconcile_post_publish.on_platform AND (reconcile_post_publish.platform_post_id IS NULL OR btrim(reconcile_post_publish.platform_post_id) = ''
                                       OR length(reconcile_post_publish.platform_post_id) > 100) THEN
    RAISE EXCEPTION 'platform_post_id: a post found on the platform needs its id there (1 to 100 characters)'
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  SELECT s.status, s.claim_token, a.started_at INTO p
  FROM social_posts s LEFT JOIN post_publish_attempts a ON a.claim_token = s.claim_token
  WHERE s.id = reconcile_post_publish.post_id
  FOR UPDATE OF s;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'post_id: no post %', reconcile_post_publish.post_id USING ERRCODE = 'no_data_found';
  END IF;
  IF p.status <> 'unknown' THEN
    RAISE EXCEPTION 'post_id: post % is %, not unknown: only a post whose outcome is unknown is reconciled', reconcile_post_publish.post_id, p.status
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  PERFORM set_config('social.publish_function', 'on', true);
  IF reconcile_post_publish.on_platform THEN
    UPDATE social_posts s
    SET status = 'published', platform_post_id = reconcile_post_publish.platform_post_id,
        platform_url = coalesce(reconcile_post_publish.platform_url, s.platform_url),
        published_at = coalesce(reconcile_post_publish.published_at, p.started_at, t), last_error = NULL
    WHERE s.id = reconcile_post_publish.post_id;
  ELSE
    UPDATE social_posts s
    SET status = 'scheduled', next_attempt_at = coalesce(reconcile_post_publish.retry_at, t),
        last_error = 'reconciled: not found on the platform, scheduled again'
    WHERE s.id = reconcile_post_publish.post_id;
  END IF;
  UPDATE post_publish_attempts a
  SET outcome = CASE WHEN reconcile_post_publish.on_platform THEN 'published' ELSE 'not_published' END,
      finished_at = coalesce(a.finished_at, t),
      error = concat_ws('; ', a.error, CASE WHEN reconcile_post_publish.on_platform THEN 'reconciled: found on the platform'
                                            ELSE 'reconciled: not on the platform' END)
  WHERE a.claim_token = p.claim_token;
  PERFORM set_config('social.publish_function', coalesce(prev_flag, ''), true);
  RETURN CASE WHEN reconcile_post_publish.on_platform THEN 'published' ELSE 'scheduled' END;
END
$function$;

REVOKE ALL ON FUNCTION public.reconcile_post_publish(uuid,boolean,text,text,timestamp with time zone,timestamp with time zone) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.reconcile_post_publish(uuid,boolean,text,text,timestamp with time zone,timestamp with time zone) TO service_role;
