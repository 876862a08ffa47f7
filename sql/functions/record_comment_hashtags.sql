-- Records the hashtags of queued comments (topic_comment_queue) as topic mentions: drains the queue
-- and returns the mentions recorded. Concurrent drains never record a comment twice (a deleted queue
-- row is skipped by the second DELETE, and mention keys are unique anyway). DELETE ... WHERE true:
-- pg-safeupdate (loaded by the Data API) refuses a DELETE without WHERE, even inside a function.
-- A comment's mentions are its post's workspace's (named here: the post is joined anyway, so the
-- per-row fill trigger is skipped); comments of a post deleted meanwhile are dropped with the queue.
CREATE OR REPLACE FUNCTION public.record_comment_hashtags()
 RETURNS bigint
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  recorded bigint;
BEGIN
  WITH drained AS (
    -- WHERE true: the Data API's pg-safeupdate refuses a DELETE without WHERE, even inside a function.
    DELETE FROM topic_comment_queue WHERE true RETURNING *
  )
  INSERT INTO topic_mentions (mention_key, mentioned_at, platform_id, engagement_weight, post_id, topic_name, topic_type, source,
                              workspace_id)
  SELECT topic_mention_key('comment', p.platform_id, q.post_id::text || ':' || q.event_key::text, tag.name),
         q.event_timestamp, p.platform_id, 1, q.post_id, tag.name, 'hashtag', 'comment', p.workspace_id
  FROM drained q
  JOIN social_posts p ON p.id = q.post_id
  CROSS JOIN LATERAL (
    SELECT DISTINCT normalize_topic_name(x.m[1]) AS name
    FROM (
      SELECT m FROM regexp_matches(q.comment_text, '#([[:alnum:]_]{1,100})(?![[:alnum:]_])', 'g') AS m LIMIT 30
    ) x
  ) tag
  ON CONFLICT (mention_key) DO NOTHING;
  GET DIAGNOSTICS recorded = ROW_COUNT;
  RETURN recorded;
END
$function$;

REVOKE ALL ON FUNCTION public.record_comment_hashtags() FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.record_comment_hashtags() TO service_role;
