-- Idempotency key of a mention: first 64 bits of SHA-256 of "source|platform|item|topic", signed.
-- Its own function (not engagement_event_key) so the two key spaces can evolve apart.
CREATE OR REPLACE FUNCTION public.topic_mention_key(source text, platform_id integer, item_ref text, topic_name text)
 RETURNS bigint
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE STRICT
 SET search_path TO 'public', 'pg_temp'
AS $function$ SELECT ('x' || left(encode(sha256(convert_to(source || '|' || platform_id || '|' || item_ref || '|' || topic_name, 'UTF8')), 'hex'), 16))::bit(64)::bigint $function$;

REVOKE ALL ON FUNCTION public.topic_mention_key(text,integer,text,text) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.topic_mention_key(text,integer,text,text) TO service_role;
