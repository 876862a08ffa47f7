-- Dashboard RPC (supabase.rpc): get_top_content's top 50 of a category over `time_period` days, of
-- one workspace (`workspace`) or of every workspace the caller may read (see get_top_content).
CREATE OR REPLACE FUNCTION public.get_top_content_by_category(category_filter character varying DEFAULT NULL::character varying, time_period integer DEFAULT 30, workspace uuid DEFAULT NULL::uuid)
 RETURNS TABLE(post_id uuid, caption text, engagement_rate numeric, total_engagement bigint, conversion_count integer, revenue numeric, platform_id integer, content_category character varying, published_at timestamp with time zone, analysis_date date, likes_count integer, comments_count integer, shares_count integer, saves_count integer, views_count bigint)
 LANGUAGE sql
 STABLE
 SET search_path TO 'public', 'pg_temp'
AS $function$ SELECT * FROM get_top_content(category_filter, time_period, 50, workspace) $function$;

REVOKE ALL ON FUNCTION public.get_top_content_by_category(character varying,integer,uuid) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.get_top_content_by_category(character varying,integer,uuid) TO authenticated, service_role;
