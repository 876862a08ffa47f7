-- Trend detection, the function pg_cron runs every hour on the hour (social-detect-trending-topics)
-- and detectTrendingTopics calls. Parameters only: no SQL text is accepted or built (the design's RPC
-- ran caller-supplied SQL). It first drains the comment-hashtag queue (record_comment_hashtags), so
-- mentions are complete, then runs detect_trending_topics_in_mentions, which holds the detection
-- itself. Lifecycle rules and thresholds: docs/trends.md (mirrored by TREND_THRESHOLDS in TypeScript).
CREATE OR REPLACE FUNCTION public.detect_trending_topics("window" interval DEFAULT '24:00:00'::interval, min_mentions integer DEFAULT 20, as_of timestamp with time zone DEFAULT now())
 RETURNS TABLE(topic_id uuid, workspace_id uuid, topic_name character varying, platform_id integer, topic_type character varying, trend_status character varying, previous_status character varying, mention_count integer, previous_mention_count integer, engagement_score bigint, growth_rate numeric, engagement_growth_rate numeric, fitness_relevance_score smallint, content_opportunities text[], action text)
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
  PERFORM record_comment_hashtags();
  RETURN QUERY SELECT * FROM detect_trending_topics_in_mentions("window", min_mentions, as_of);
END
$function$;

REVOKE ALL ON FUNCTION public.detect_trending_topics(interval,integer,timestamp with time zone) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.detect_trending_topics(interval,integer,timestamp with time zone) TO service_role;
