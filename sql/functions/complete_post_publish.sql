-- A worker's success: the post is `published` with the platform's id and URL. Only under the claim
-- that is the post's current one: while `publishing`, and also once it went `unknown` after the
-- lease ran out (nobody else can hold it then, and the platform did publish it); any other token is
-- refused, so a worker whose lease ran out cannot overwrite another's result.
CREATE OR REPLACE FUNCTION public.complete_post_publish(post_id uuid, claim_token uuid, platform_post_id text, platform_url text DEFAULT NULL::text, published_at timestamp with time zone DEFAULT NULL::timestamp with time zone, response jsonb DEFAULT NULL::jsonb)
 RETURNS timestamp with time zone
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  prev_flag text := current_setting('social.publish_function', true);
  at timestamptz := coalesce(complete_post_publish.published_at, clock_timestamp());
  done boolean;
BEGIN
  IF complete_post_publish.platform_post_id IS NULL OR btrim(complete_post_publish.platform_post_id) = ''
     OR length(complete_post_publish.platform_post_id) > 100 THEN
    RAISE EXCEPTION 'platform_post_id: % is not a platform post id (1 to 100 characters): webhooks and insights find the post by it',
      coalesce(quote_literal(complete_post_publish.platform_post_id), 'NULL') USING ERRCODE = 'invalid_parameter_value';
  END IF;
  PERFORM set_config('social.publish_function', 'on', true);
  UPDATE social_posts s
  SET status = 'published', platform_post_id = complete_post_publish.platform_post_id,
      platform_url = coalesce(complete_post_publish.platform_url, s.platform_url), published_at = at, last_error = NULL
  WHERE s.id = complete_post_publish.post_id AND s.claim_token = complete_post_publish.claim_token
    AND s.status IN ('publishing', 'unknown')
  RETURNING true INTO done;
  IF done IS NULL THEN
    PERFORM post_publish_claim_refused(complete_post_publish.post_id, complete_post_publish.claim_token, 'complete_post_publish');
  END IF;
  UPDATE post_publish_attempts a
  SET outcome = 'published', finished_at = clock_timestamp(), error = NULL,
      platform_response = coalesce(complete_post_publish.response, a.platform_response)
  WHERE a.claim_token = complete_post_publish.claim_token;
  PERFORM set_config('social.publish_function', coalesce(prev_flag, ''), true);
  RETURN at;
END
$function$;

REVOKE ALL ON FUNCTION public.complete_post_publish(uuid,uuid,text,text,timestamp with time zone,jsonb) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.complete_post_publish(uuid,uuid,text,text,timestamp with time zone,jsonb) TO service_role;
