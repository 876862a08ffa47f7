-- Idempotency keys: the SQL twin of eventKey() in TypeScript, so events inserted from SQL
-- (pg_cron jobs, Supabase clients) derive the same key. First 64 bits of SHA-256, signed.
CREATE OR REPLACE FUNCTION public.engagement_event_key(source text)
 RETURNS bigint
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE STRICT
 SET search_path TO 'public', 'pg_temp'
AS $function$ SELECT ('x' || left(encode(sha256(convert_to(source, 'UTF8')), 'hex'), 16))::bit(64)::bigint $function$;

REVOKE ALL ON FUNCTION public.engagement_event_key(text) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.engagement_event_key(text) TO service_role;
