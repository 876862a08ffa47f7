-- Trend detection (issue 7): what drizzle-kit cannot express for topic_mentions, topic_mention_hourly,
-- fitness_lexicon and trending_topics. See docs/trends.md.

-- 1. Topic names: one spelling per topic, whoever records it (TypeScript mirrors this in normalizeTopicName).
CREATE OR REPLACE FUNCTION normalize_topic_name(raw text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT nullif(lower(regexp_replace(regexp_replace(raw, '^[[:space:]#@]+|[[:space:]]+$', '', 'g'), '[[:space:]]+', ' ', 'g')), '') $$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION normalize_topic_name(text) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION normalize_topic_name(text) TO service_role;
--> statement-breakpoint

-- Idempotency key of a mention: first 64 bits of SHA-256 of "source|platform|item|topic", signed.
-- Its own function (not engagement_event_key) so the two key spaces can evolve apart.
CREATE OR REPLACE FUNCTION topic_mention_key(source text, platform_id integer, item_ref text, topic_name text) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT ('x' || left(encode(sha256(convert_to(source || '|' || platform_id || '|' || item_ref || '|' || topic_name, 'UTF8')), 'hex'), 16))::bit(64)::bigint $$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION topic_mention_key(text, integer, text, text) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION topic_mention_key(text, integer, text, text) TO service_role;
--> statement-breakpoint

-- 2. The hourly rollup follows topic_mentions statement by statement: one aggregate per statement, not
--    one upsert per row. Rows are upserted in key order so concurrent writers lock them in the same order.
CREATE OR REPLACE FUNCTION topic_mentions_maintain_hourly() RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    TRUNCATE topic_mention_hourly;
    RETURN NULL;
  END IF;

  IF TG_OP IN ('DELETE', 'UPDATE') THEN
    WITH gone AS (
      SELECT date_trunc('hour', o.mentioned_at, 'UTC') AS bucket_start, o.platform_id, o.topic_name,
             count(*)::int AS n,
             count(*) FILTER (WHERE o.topic_type = 'hashtag')::int AS h,
             count(*) FILTER (WHERE o.topic_type = 'keyword')::int AS k,
             count(*) FILTER (WHERE o.topic_type = 'mention')::int AS m,
             sum(o.engagement_weight)::bigint AS w
      FROM old_mentions o
      GROUP BY 1, 2, 3
    )
    UPDATE topic_mention_hourly r
    SET mention_count = r.mention_count - g.n,
        hashtag_count = r.hashtag_count - g.h,
        keyword_count = r.keyword_count - g.k,
        at_mention_count = r.at_mention_count - g.m,
        engagement_weight = r.engagement_weight - g.w
    FROM gone g
    WHERE r.bucket_start = g.bucket_start AND r.platform_id = g.platform_id AND r.topic_name = g.topic_name;

    DELETE FROM topic_mention_hourly r
    WHERE r.mention_count = 0
      AND r.bucket_start >= (SELECT date_trunc('hour', min(o.mentioned_at), 'UTC') FROM old_mentions o)
      AND r.bucket_start <= (SELECT max(o.mentioned_at) FROM old_mentions o);
  END IF;

  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO topic_mention_hourly AS r
      (bucket_start, platform_id, topic_name, mention_count, hashtag_count, keyword_count, at_mention_count, engagement_weight)
    SELECT date_trunc('hour', n.mentioned_at, 'UTC'), n.platform_id, n.topic_name,
           count(*)::int,
           count(*) FILTER (WHERE n.topic_type = 'hashtag')::int,
           count(*) FILTER (WHERE n.topic_type = 'keyword')::int,
           count(*) FILTER (WHERE n.topic_type = 'mention')::int,
           sum(n.engagement_weight)::bigint
    FROM new_mentions n
    GROUP BY 1, 2, 3
    ORDER BY 1, 2, 3
    ON CONFLICT (bucket_start, platform_id, topic_name) DO UPDATE
    SET mention_count = r.mention_count + excluded.mention_count,
        hashtag_count = r.hashtag_count + excluded.hashtag_count,
        keyword_count = r.keyword_count + excluded.keyword_count,
        at_mention_count = r.at_mention_count + excluded.at_mention_count,
        engagement_weight = r.engagement_weight + excluded.engagement_weight;
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION topic_mentions_maintain_hourly() FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION topic_mentions_maintain_hourly() TO service_role;
--> statement-breakpoint
CREATE TRIGGER topic_mentions_hourly_insert AFTER INSERT ON topic_mentions
REFERENCING NEW TABLE AS new_mentions FOR EACH STATEMENT EXECUTE FUNCTION topic_mentions_maintain_hourly();
--> statement-breakpoint
CREATE TRIGGER topic_mentions_hourly_update AFTER UPDATE ON topic_mentions
REFERENCING OLD TABLE AS old_mentions NEW TABLE AS new_mentions FOR EACH STATEMENT EXECUTE FUNCTION topic_mentions_maintain_hourly();
--> statement-breakpoint
CREATE TRIGGER topic_mentions_hourly_delete AFTER DELETE ON topic_mentions
REFERENCING OLD TABLE AS old_mentions FOR EACH STATEMENT EXECUTE FUNCTION topic_mentions_maintain_hourly();
--> statement-breakpoint
CREATE TRIGGER topic_mentions_hourly_truncate AFTER TRUNCATE ON topic_mentions
FOR EACH STATEMENT EXECUTE FUNCTION topic_mentions_maintain_hourly();
--> statement-breakpoint

-- 3. Our own posts: when a post is (re)published, its hashtags become own_post mentions at published_at.
--    SECURITY DEFINER because an authenticated owner may publish their post but has no write access to
--    topic_mentions; the function writes only rows derived from the post it fires for.
CREATE OR REPLACE FUNCTION social_posts_record_topic_mentions() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  too_long text;
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.status = 'published' AND OLD.hashtags = NEW.hashtags
     AND OLD.published_at IS NOT DISTINCT FROM NEW.published_at AND OLD.platform_id = NEW.platform_id THEN
    RETURN NULL;
  END IF;

  -- The post's current hashtags and publication time replace what it recorded before.
  DELETE FROM topic_mentions m
  WHERE m.post_id = NEW.id AND m.source = 'own_post'
    AND (m.mentioned_at <> NEW.published_at OR m.platform_id <> NEW.platform_id
         OR m.topic_name <> ALL (SELECT normalize_topic_name(h) FROM unnest(NEW.hashtags) h WHERE h IS NOT NULL));

  INSERT INTO topic_mentions (mention_key, mentioned_at, platform_id, engagement_weight, post_id, topic_name, topic_type, source)
  SELECT topic_mention_key('own_post', NEW.platform_id, NEW.id::text, t.name), NEW.published_at, NEW.platform_id, 1,
         NEW.id, t.name, 'hashtag', 'own_post'
  FROM (SELECT DISTINCT normalize_topic_name(h) AS name FROM unnest(NEW.hashtags) h) t
  WHERE t.name IS NOT NULL AND char_length(t.name) <= 100
  ON CONFLICT (mention_key) DO NOTHING;

  SELECT string_agg(h, ', ') INTO too_long FROM unnest(NEW.hashtags) h WHERE char_length(normalize_topic_name(h)) > 100;
  IF too_long IS NOT NULL THEN
    RAISE WARNING 'topic_mentions: post % hashtags longer than 100 characters are not topics: %', NEW.id, too_long;
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION social_posts_record_topic_mentions() FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION social_posts_record_topic_mentions() TO service_role;
--> statement-breakpoint
CREATE TRIGGER social_posts_record_topic_mentions
AFTER INSERT OR UPDATE OF status, hashtags, published_at, platform_id ON social_posts
FOR EACH ROW WHEN (NEW.status = 'published')
EXECUTE FUNCTION social_posts_record_topic_mentions();
--> statement-breakpoint

-- 4. Hashtags in comments: one statement-level trigger per ingest statement. Its transition table costs
--    a copy of each inserted row; non-comment rows are skipped by a filter on that copy, and nothing is
--    added to engagement_events itself (no index, no column). A hashtag is '#' and 1-100 letters, digits
--    or '_'; a longer run is not a hashtag. At most 30 per comment (spam). SECURITY DEFINER: whoever may
--    ingest events must not also need write access to topic_mentions.
CREATE OR REPLACE FUNCTION engagement_events_record_comment_hashtags() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
  INSERT INTO topic_mentions (mention_key, mentioned_at, platform_id, engagement_weight, post_id, topic_name, topic_type, source)
  SELECT topic_mention_key('comment', p.platform_id, e.post_id::text || ':' || e.event_key::text, tag.name),
         e.event_timestamp, p.platform_id, 1, e.post_id, tag.name, 'hashtag', 'comment'
  FROM new_events e
  JOIN social_posts p ON p.id = e.post_id
  CROSS JOIN LATERAL (
    SELECT DISTINCT normalize_topic_name(x.m[1]) AS name
    FROM (
      SELECT m FROM regexp_matches(e.event_metadata ->> 'text', '#([[:alnum:]_]{1,100})(?![[:alnum:]_])', 'g') AS m LIMIT 30
    ) x
  ) tag
  WHERE e.event_type = 'comment'
    AND strpos(e.event_metadata ->> 'text', '#') > 0
  ON CONFLICT (mention_key) DO NOTHING;
  RETURN NULL;
END
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION engagement_events_record_comment_hashtags() FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION engagement_events_record_comment_hashtags() TO service_role;
--> statement-breakpoint
CREATE TRIGGER engagement_events_record_comment_hashtags AFTER INSERT ON engagement_events
REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT
EXECUTE FUNCTION engagement_events_record_comment_hashtags();
--> statement-breakpoint

-- 5. Detection. Parameters only: no SQL text is accepted or built (the design's RPC ran caller-supplied SQL).
--    Resolution is the UTC hour: the current window ends at the start of as_of's hour and both windows
--    are whole hours, so detection only sums topic_mention_hourly (never the raw mentions) and its cost
--    follows the number of (topic, platform, hour) cells, not of mentions. Run at :00 (pg_cron), nothing
--    is left out; a run at 10:37 counts up to 10:00, and the 11:00 run sees the rest.
--    Lifecycle rules and thresholds: docs/trends.md (mirrored by TREND_THRESHOLDS in TypeScript).
CREATE OR REPLACE FUNCTION detect_trending_topics(
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
SET work_mem = '64MB'
SET jit = off
AS $$
#variable_conflict use_column
DECLARE
  window_end timestamptz;
  cur_lo timestamptz;
  prev_lo timestamptz;
  as_of_day date;
BEGIN
  IF "window" IS NULL OR "window" < interval '1 hour' OR "window" > interval '90 days' THEN
    RAISE EXCEPTION 'window: % is out of range (1 hour .. 90 days)', "window" USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF extract(epoch FROM "window") % 3600 <> 0 THEN
    RAISE EXCEPTION 'window: % is not a whole number of hours (the resolution of topic_mention_hourly)', "window"
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF min_mentions IS NULL OR min_mentions < 1 OR min_mentions > 1000000000 THEN
    RAISE EXCEPTION 'min_mentions: % is out of range (1 .. 1000000000)', min_mentions USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF as_of IS NULL OR NOT isfinite(as_of) THEN
    RAISE EXCEPTION 'as_of: must be a finite timestamp, not %', coalesce(as_of::text, 'NULL') USING ERRCODE = 'invalid_parameter_value';
  END IF;
  -- Two overlapping runs would both insert a new topic's row; one at a time.
  PERFORM pg_advisory_xact_lock(hashtext('detect_trending_topics'));

  -- Every run within the same hour is the same evaluation (and reruns of it give the same rows).
  window_end := date_trunc('hour', as_of, 'UTC');
  cur_lo := window_end - "window";
  prev_lo := cur_lo - "window";
  as_of_day := (window_end AT TIME ZONE 'UTC')::date;

  RETURN QUERY
  WITH parts AS (
    -- int counts and float8 weights: sum() over them stays in machine arithmetic (sum(bigint) is numeric).
    SELECT r.platform_id, r.topic_name, r.bucket_start >= cur_lo AS is_cur, r.mention_count AS n,
           r.hashtag_count AS h, r.keyword_count AS k, r.at_mention_count AS m, r.engagement_weight::float8 AS w
    FROM topic_mention_hourly r
    WHERE r.bucket_start >= prev_lo AND r.bucket_start < window_end
  ),
  win AS (
    SELECT p.platform_id, p.topic_name,
           coalesce(sum(p.n) FILTER (WHERE p.is_cur), 0) AS c,
           coalesce(sum(p.n) FILTER (WHERE NOT p.is_cur), 0) AS pc,
           coalesce(sum(p.w) FILTER (WHERE p.is_cur), 0)::bigint AS cw,
           coalesce(sum(p.w) FILTER (WHERE NOT p.is_cur), 0)::bigint AS pw,
           -- The topic's type is how it was written most often in the current window.
           sum(p.h) FILTER (WHERE p.is_cur) AS th,
           sum(p.k) FILTER (WHERE p.is_cur) AS tk,
           sum(p.m) FILTER (WHERE p.is_cur) AS tm
    FROM parts p
    GROUP BY p.platform_id, p.topic_name
  ),
  active AS (
    SELECT DISTINCT ON (t.topic_name, t.platform_id)
           t.id, t.topic_name, t.platform_id, t.trend_status, t.previous_status, t.last_updated_at,
           t.peak_mention_count, t.trend_peak_date, t.topic_type
    FROM trending_topics t
    WHERE t.trend_status <> 'expired'
    ORDER BY t.topic_name, t.platform_id, t.first_detected_at DESC
  ),
  cand AS (
    SELECT coalesce(w.platform_id, a.platform_id) AS platform_id,
           coalesce(w.topic_name, a.topic_name)::varchar(100) AS topic_name,
           a.id AS active_id, a.peak_mention_count AS peak, a.trend_peak_date AS peak_date,
           -- A rerun for the same as_of starts from the status before that run: same data, same rows.
           CASE WHEN a.id IS NULL THEN NULL WHEN a.last_updated_at = window_end THEN a.previous_status ELSE a.trend_status END AS base,
           coalesce(w.c, 0) AS c, coalesce(w.pc, 0) AS pc, coalesce(w.cw, 0) AS cw, coalesce(w.pw, 0) AS pw,
           CASE WHEN w.th IS NULL THEN coalesce(a.topic_type, 'hashtag')
                WHEN w.th >= w.tk AND w.th >= w.tm THEN 'hashtag'
                WHEN w.tk >= w.tm THEN 'keyword'
                ELSE 'mention' END::varchar(20) AS ttype
    FROM win w
    FULL JOIN active a ON a.topic_name = w.topic_name AND a.platform_id = w.platform_id
    -- Rows a later run (as_of after this one) already evaluated are left alone.
    WHERE (a.id IS NOT NULL AND a.last_updated_at <= window_end) OR (a.id IS NULL AND w.c >= min_mentions)
  ),
  grown AS (
    -- Percent growth against the previous window; a topic absent from it is measured against one
    -- mention (0 -> 30 mentions is +3000 %), so growth is always defined. Capped at numeric(12,2).
    SELECT cd.*,
           least(round((cd.c - cd.pc)::numeric * 100 / greatest(cd.pc, 1), 2), 9999999999.99) AS g,
           least(round((cd.cw - cd.pw)::numeric * 100 / greatest(cd.pw, 1), 2), 9999999999.99) AS eg
    FROM cand cd
  ),
  decided AS MATERIALIZED (
    SELECT gr.*,
           CASE
             WHEN gr.c >= min_mentions AND gr.g >= 100 THEN 'trending'
             WHEN gr.base IS NULL OR gr.base = 'expired' THEN
               CASE WHEN gr.c >= min_mentions AND gr.g >= 25 THEN 'emerging' END
             WHEN gr.c < min_mentions THEN CASE WHEN gr.base = 'trending' THEN 'declining' ELSE 'expired' END
             WHEN gr.g <= -25 THEN 'declining'
             WHEN gr.g >= 25 THEN CASE WHEN gr.base = 'declining' THEN 'emerging' ELSE gr.base END
             ELSE CASE WHEN gr.base = 'trending' THEN 'trending' ELSE 'expired' END
           END::varchar(20) AS new_status,
           regexp_replace(gr.topic_name, '[[:space:]_-]+', '', 'g') AS compact
    FROM grown gr
  ),
  kept AS MATERIALIZED (
    SELECT d.* FROM decided d WHERE d.new_status IS NOT NULL
  ),
  scored AS (
    SELECT d.*, coalesce(rel.score, 0)::smallint AS relevance, coalesce(opp.list, '{}'::text[]) AS opportunities
    FROM kept d
    LEFT JOIN LATERAL (
      -- Strongest matching term, plus 5 per further match (compound hashtags), at most 100.
      SELECT CASE WHEN count(*) = 0 THEN 0 ELSE least(100, max(l.weight) + 5 * (count(*) - 1)) END AS score,
             (array_agg(l.category ORDER BY l.weight DESC, l.term) FILTER (WHERE l.category IS NOT NULL))[1] AS category
      FROM fitness_lexicon l
      WHERE CASE WHEN l.match_mode = 'exact' THEN l.term = d.compact ELSE strpos(d.compact, l.term) > 0 END
    ) rel ON true
    LEFT JOIN LATERAL (
      SELECT array_agg(s.suggestion ORDER BY s.direct DESC, s.rate DESC NULLS LAST, s.name, s.id) AS list
      FROM (
        SELECT ct.id, ct.name, ct.avg_engagement_rate AS rate, tpl.direct,
               CASE WHEN tpl.direct
                 THEN format('Template "%s" (%s) already uses #%s: post it while the topic is hot', ct.name, coalesce(ct.category, 'any category'), d.compact)
                 ELSE format('Template "%s" fits this %s topic: add #%s', ct.name, rel.category, d.compact)
               END AS suggestion
        FROM content_templates ct
        CROSS JOIN LATERAL (
          SELECT EXISTS (
            SELECT 1 FROM unnest(ct.hashtag_sets) hs, regexp_split_to_table(hs, '[[:space:],]+') tag
            WHERE normalize_topic_name(tag) = d.topic_name
          ) AS direct
        ) tpl
        WHERE (ct.platform_id IS NULL OR ct.platform_id = d.platform_id)
          AND (tpl.direct OR (rel.category IS NOT NULL
               AND (ct.category = rel.category OR left(ct.category, char_length(rel.category) + 1) = rel.category || '_')))
        ORDER BY tpl.direct DESC, ct.avg_engagement_rate DESC NULLS LAST, ct.name, ct.id
        LIMIT 5
      ) s
    ) opp ON true
  ),
  upd AS (
    UPDATE trending_topics t
    SET mention_count = s.c::int,
        previous_mention_count = s.pc::int,
        engagement_score = s.cw,
        growth_rate = s.g,
        engagement_growth_rate = s.eg,
        topic_type = s.ttype,
        previous_status = s.base,
        trend_status = s.new_status,
        peak_mention_count = greatest(s.peak, s.c::int),
        trend_peak_date = CASE WHEN s.c > s.peak THEN as_of_day ELSE s.peak_date END,
        fitness_relevance_score = s.relevance,
        content_opportunities = s.opportunities,
        last_updated_at = window_end
    FROM scored s
    WHERE t.id = s.active_id
    RETURNING t.id, t.topic_name, t.platform_id, t.topic_type, t.trend_status, t.previous_status, t.mention_count,
              t.previous_mention_count, t.engagement_score, t.growth_rate, t.engagement_growth_rate,
              t.fitness_relevance_score, t.content_opportunities, 'updated'::text AS action
  ),
  ins AS (
    INSERT INTO trending_topics AS t
      (topic_name, topic_type, platform_id, mention_count, previous_mention_count, engagement_score, growth_rate,
       engagement_growth_rate, trend_start_date, trend_peak_date, trend_status, previous_status, peak_mention_count,
       fitness_relevance_score, content_opportunities, first_detected_at, last_updated_at)
    SELECT s.topic_name, s.ttype, s.platform_id, s.c::int, s.pc::int, s.cw, s.g, s.eg, as_of_day, as_of_day,
           s.new_status, NULL, s.c::int, s.relevance, s.opportunities, window_end, window_end
    FROM scored s
    WHERE s.active_id IS NULL
    -- The topic expired earlier on this UTC day and is back: revive that day's row.
    ON CONFLICT (topic_name, platform_id, ((first_detected_at AT TIME ZONE 'UTC')::date)) DO UPDATE
    SET mention_count = excluded.mention_count,
        previous_mention_count = excluded.previous_mention_count,
        engagement_score = excluded.engagement_score,
        growth_rate = excluded.growth_rate,
        engagement_growth_rate = excluded.engagement_growth_rate,
        topic_type = excluded.topic_type,
        previous_status = t.trend_status,
        trend_status = excluded.trend_status,
        trend_start_date = excluded.trend_start_date,
        trend_peak_date = excluded.trend_peak_date,
        peak_mention_count = excluded.peak_mention_count,
        fitness_relevance_score = excluded.fitness_relevance_score,
        content_opportunities = excluded.content_opportunities,
        last_updated_at = excluded.last_updated_at
    WHERE t.last_updated_at <= excluded.last_updated_at
    RETURNING t.id, t.topic_name, t.platform_id, t.topic_type, t.trend_status, t.previous_status, t.mention_count,
              t.previous_mention_count, t.engagement_score, t.growth_rate, t.engagement_growth_rate,
              t.fitness_relevance_score, t.content_opportunities,
              CASE WHEN t.previous_status IS NULL THEN 'inserted' ELSE 'revived' END::text AS action
  )
  SELECT * FROM (SELECT * FROM upd UNION ALL SELECT * FROM ins) out
  ORDER BY array_position(ARRAY['trending', 'emerging', 'declining', 'expired']::varchar[], out.trend_status),
           out.growth_rate DESC NULLS LAST, out.topic_name, out.platform_id;
END
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION detect_trending_topics(interval, integer, timestamptz) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION detect_trending_topics(interval, integer, timestamptz) TO service_role;
--> statement-breakpoint

-- 6. Retention: detection reads two windows; older raw mentions only cost space. The delete trigger
--    keeps the rollup in step.
CREATE OR REPLACE FUNCTION prune_topic_mentions(keep interval DEFAULT interval '14 days', as_of timestamptz DEFAULT now())
RETURNS bigint
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
  removed bigint;
BEGIN
  IF keep IS NULL OR keep < interval '2 days' THEN
    RAISE EXCEPTION 'keep: % is shorter than two default detection windows (2 days)', keep USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF as_of IS NULL OR NOT isfinite(as_of) THEN
    RAISE EXCEPTION 'as_of: must be a finite timestamp' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  DELETE FROM topic_mentions WHERE mentioned_at < as_of - keep;
  GET DIAGNOSTICS removed = ROW_COUNT;
  RETURN removed;
END
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION prune_topic_mentions(interval, timestamptz) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION prune_topic_mentions(interval, timestamptz) TO service_role;
--> statement-breakpoint

-- 7. The fitness lexicon: a starting vocabulary, edited as data afterwards (ON CONFLICT keeps edits).
INSERT INTO fitness_lexicon (term, weight, match_mode, category) VALUES
  ('fitness', 90, 'contains', 'workout'),
  ('workout', 95, 'contains', 'workout'),
  ('training', 75, 'contains', 'workout'),
  ('legday', 95, 'contains', 'workout'),
  ('gym', 85, 'exact', 'workout'),
  ('gymlife', 85, 'contains', 'workout'),
  ('squat', 90, 'contains', 'workout'),
  ('deadlift', 90, 'contains', 'workout'),
  ('benchpress', 85, 'contains', 'workout'),
  ('pullup', 80, 'contains', 'workout'),
  ('pushup', 80, 'contains', 'workout'),
  ('glutes', 85, 'contains', 'workout'),
  ('abs', 70, 'exact', 'workout'),
  ('core', 60, 'exact', 'workout'),
  ('cardio', 85, 'contains', 'workout'),
  ('hiit', 90, 'contains', 'workout'),
  ('strength', 85, 'contains', 'workout'),
  ('hypertrophy', 90, 'contains', 'workout'),
  ('bodybuilding', 85, 'contains', 'workout'),
  ('powerlifting', 85, 'contains', 'workout'),
  ('crossfit', 80, 'contains', 'workout'),
  ('pilates', 80, 'contains', 'workout'),
  ('yoga', 70, 'contains', 'workout'),
  ('mobility', 75, 'contains', 'workout'),
  ('stretch', 65, 'contains', 'workout'),
  ('running', 65, 'contains', 'workout'),
  ('homeworkout', 95, 'contains', 'workout'),
  ('nutrition', 90, 'contains', 'nutrition'),
  ('protein', 85, 'contains', 'nutrition'),
  ('macros', 85, 'contains', 'nutrition'),
  ('mealprep', 85, 'contains', 'nutrition'),
  ('calorie', 75, 'contains', 'nutrition'),
  ('diet', 60, 'exact', 'nutrition'),
  ('healthyeating', 80, 'contains', 'nutrition'),
  ('creatine', 80, 'contains', 'nutrition'),
  ('supplement', 65, 'contains', 'nutrition'),
  ('fatloss', 90, 'contains', 'transformation'),
  ('weightloss', 85, 'contains', 'transformation'),
  ('transformation', 85, 'contains', 'transformation'),
  ('glowup', 55, 'contains', 'transformation'),
  ('bulk', 70, 'exact', 'transformation'),
  ('cut', 50, 'exact', 'transformation'),
  ('recomp', 80, 'contains', 'transformation'),
  ('motivation', 65, 'contains', 'motivation'),
  ('fitspo', 80, 'contains', 'motivation'),
  ('discipline', 60, 'contains', 'motivation'),
  ('grind', 45, 'exact', 'motivation'),
  ('personaltrainer', 85, 'contains', 'education'),
  ('formcheck', 85, 'contains', 'education'),
  ('technique', 55, 'contains', 'education'),
  ('recovery', 70, 'contains', 'lifestyle'),
  ('sleep', 50, 'exact', 'lifestyle'),
  ('wellness', 60, 'contains', 'lifestyle'),
  ('healthylifestyle', 75, 'contains', 'lifestyle'),
  ('fitfam', 80, 'contains', 'community'),
  ('gymtok', 85, 'contains', 'community'),
  ('fittok', 85, 'contains', 'community'),
  ('jmefit', 100, 'contains', 'community')
ON CONFLICT (term) DO NOTHING;
--> statement-breakpoint
CREATE TRIGGER fitness_lexicon_set_updated_at BEFORE UPDATE ON fitness_lexicon FOR EACH ROW EXECUTE FUNCTION set_updated_at();
--> statement-breakpoint

-- 8. API privileges of the new tables, from their policies (migration 0008).
SELECT count(*) FROM sync_api_grants(ARRAY['topic_mentions', 'topic_mention_hourly', 'fitness_lexicon']::regclass[]);
