-- Topic names: one spelling per topic, whoever records it (TypeScript mirrors this in normalizeTopicName).
CREATE OR REPLACE FUNCTION public.normalize_topic_name(raw text)
 RETURNS text
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE STRICT
 SET search_path TO 'public', 'pg_temp'
AS $function$ SELECT nullif(lower(regexp_replace(regexp_replace(raw, '^[[:space:]#@]+|[[:space:]]+$', '', 'g'), '[[:space:]]+', ' ', 'g')), '') $function$;

REVOKE ALL ON FUNCTION public.normalize_topic_name(text) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.normalize_topic_name(text) TO service_role;
