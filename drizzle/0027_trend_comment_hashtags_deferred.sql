-- Comment hashtags move out of the ingest path. The trigger of 0012 extracted and inserted mentions
-- inside every ingest statement: about 11 µs an event at 8 % comments, half of ingestion's time.
-- Now the trigger only copies commented rows with a '#' into topic_comment_queue, and
-- record_comment_hashtags() does the extraction when detection runs, so mentions are complete
-- whenever trends are computed. Same extraction rules and mention keys as before.
CREATE OR REPLACE FUNCTION engagement_events_record_comment_hashtags() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
  INSERT INTO topic_comment_queue (event_timestamp, event_key, post_id, comment_text)
  SELECT e.event_timestamp, e.event_key, e.post_id, e.event_metadata ->> 'text'
  FROM new_events e
  WHERE e.event_type = 'comment'
    AND strpos(e.event_metadata ->> 'text', '#') > 0;
  RETURN NULL;
END
$$;
--> statement-breakpoint
-- Drains the queue; returns the mentions recorded. Concurrent drains never record a comment twice
-- (a deleted queue row is skipped by the second DELETE, and mention keys are unique anyway).
CREATE OR REPLACE FUNCTION record_comment_hashtags() RETURNS bigint
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
  recorded bigint;
BEGIN
  WITH drained AS (
    DELETE FROM topic_comment_queue RETURNING *
  )
  INSERT INTO topic_mentions (mention_key, mentioned_at, platform_id, engagement_weight, post_id, topic_name, topic_type, source)
  SELECT topic_mention_key('comment', p.platform_id, q.post_id::text || ':' || q.event_key::text, tag.name),
         q.event_timestamp, p.platform_id, 1, q.post_id, tag.name, 'hashtag', 'comment'
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
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION record_comment_hashtags() FROM PUBLIC, anon, authenticated;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION record_comment_hashtags() TO service_role;
--> statement-breakpoint
-- Comments already ingested while the old trigger ran were recorded by it; nothing to backfill.
-- Detection drains the queue first: the former function keeps its body under a new name.
ALTER FUNCTION detect_trending_topics(interval, integer, timestamptz) RENAME TO detect_trending_topics_in_mentions;
--> statement-breakpoint
CREATE FUNCTION detect_trending_topics(
  "window" interval DEFAULT interval '24 hours',
  min_mentions integer DEFAULT 20,
  as_of timestamptz DEFAULT now()
)
RETURNS TABLE (
  topic_id uuid,
  topic_name varchar,
  platform_id integer,
  topic_type varchar,
  trend_status varchar,
  previous_status varchar,
  mention_count integer,
  previous_mention_count integer,
  engagement_score bigint,
  growth_rate numeric,
  engagement_growth_rate numeric,
  fitness_relevance_score smallint,
  content_opportunities text[],
  action text
)
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
BEGIN
  PERFORM record_comment_hashtags();
  RETURN QUERY SELECT * FROM detect_trending_topics_in_mentions("window", min_mentions, as_of);
END
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION detect_trending_topics(interval, integer, timestamptz) FROM PUBLIC, anon, authenticated;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION detect_trending_topics(interval, integer, timestamptz) TO service_role;
--> statement-breakpoint
REVOKE ALL ON TABLE topic_comment_queue FROM PUBLIC, anon, authenticated;
