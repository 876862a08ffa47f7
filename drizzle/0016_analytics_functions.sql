-- Analytics rollups (issue 5): the event queue feeding post_analytics, the refresh that folds it,
-- derived fields and scores, platform insights, and the metric catalog's seed.

-- 1. Every committed INSERT into engagement_events appends its per-(post, UTC day) counts to
--    engagement_rollup_queue, in the inserting transaction: the queue rows commit or roll back with the
--    events. A statement trigger aggregates the whole batch once (a 1M-row COPY adds one GROUP BY, not
--    1M trigger calls); transition tables hold only rows actually inserted, so ON CONFLICT DO NOTHING
--    duplicates are never counted. DELETEs through the parent enqueue negative counts (deleted events stop
--    counting). Partition maintenance moves rows without firing these (DEFAULT partition to a table then
--    attached; DETACH to the archive), so moved events are neither lost nor counted twice.
CREATE OR REPLACE FUNCTION engagement_events_enqueue_rollup() RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO engagement_rollup_queue (post_id, day, likes, comments, shares, saves, views, profile_visits, website_clicks)
    SELECT n.post_id, (n.event_timestamp AT TIME ZONE 'UTC')::date,
           count(*) FILTER (WHERE n.event_type = 'like'),
           count(*) FILTER (WHERE n.event_type = 'comment'),
           count(*) FILTER (WHERE n.event_type = 'share'),
           count(*) FILTER (WHERE n.event_type = 'save'),
           count(*) FILTER (WHERE n.event_type = 'view'),
           count(*) FILTER (WHERE n.event_type = 'profile_visit'),
           count(*) FILTER (WHERE n.event_type = 'website_click')
    FROM new_rows n
    GROUP BY 1, 2;
  ELSE
    INSERT INTO engagement_rollup_queue (post_id, day, likes, comments, shares, saves, views, profile_visits, website_clicks)
    SELECT o.post_id, (o.event_timestamp AT TIME ZONE 'UTC')::date,
           -count(*) FILTER (WHERE o.event_type = 'like'),
           -count(*) FILTER (WHERE o.event_type = 'comment'),
           -count(*) FILTER (WHERE o.event_type = 'share'),
           -count(*) FILTER (WHERE o.event_type = 'save'),
           -count(*) FILTER (WHERE o.event_type = 'view'),
           -count(*) FILTER (WHERE o.event_type = 'profile_visit'),
           -count(*) FILTER (WHERE o.event_type = 'website_click')
    FROM old_rows o
    GROUP BY 1, 2;
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION engagement_events_enqueue_rollup() FROM PUBLIC, anon, authenticated;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION engagement_events_enqueue_rollup() TO service_role;
--> statement-breakpoint
CREATE TRIGGER engagement_events_enqueue_rollup_insert AFTER INSERT ON engagement_events
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION engagement_events_enqueue_rollup();
--> statement-breakpoint
CREATE TRIGGER engagement_events_enqueue_rollup_delete AFTER DELETE ON engagement_events
REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION engagement_events_enqueue_rollup();
--> statement-breakpoint
CREATE TRIGGER engagement_events_archive_enqueue_rollup_insert AFTER INSERT ON engagement_events_archive
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION engagement_events_enqueue_rollup();
--> statement-breakpoint
CREATE TRIGGER engagement_events_archive_enqueue_rollup_delete AFTER DELETE ON engagement_events_archive
REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION engagement_events_enqueue_rollup();
--> statement-breakpoint

-- 2. Inputs of the derived fields other than events mark the rows they change as stale; the next
--    refresh recomputes them. Follower history moves engagement rates of the account's posts from that
--    day on; a conversion moves conversion_events of its post from its day on; a post's publication
--    time, account, category, hashtags or caption move its hours, rate and scores.
-- SECURITY DEFINER: the signed-in owner may update their post (RLS allows it) but has no right to the
-- internal post_analytics_stale table; the mark must be written on their behalf, and only that.
CREATE OR REPLACE FUNCTION post_analytics_mark_stale() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
  IF TG_TABLE_NAME = 'account_follower_history' THEN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
      INSERT INTO post_analytics_stale (account_id, from_day) VALUES (NEW.account_id, NEW.recorded_on);
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
      INSERT INTO post_analytics_stale (account_id, from_day) VALUES (OLD.account_id, OLD.recorded_on);
    END IF;
  ELSIF TG_TABLE_NAME = 'social_conversions' THEN
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.post_id IS NOT NULL THEN
      INSERT INTO post_analytics_stale (post_id, from_day) VALUES (NEW.post_id, (NEW.conversion_at AT TIME ZONE 'UTC')::date);
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.post_id IS NOT NULL THEN
      INSERT INTO post_analytics_stale (post_id, from_day) VALUES (OLD.post_id, (OLD.conversion_at AT TIME ZONE 'UTC')::date);
    END IF;
  ELSIF TG_TABLE_NAME = 'social_posts' THEN
    INSERT INTO post_analytics_stale (post_id, from_day) VALUES (NEW.id, '-infinity');
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION post_analytics_mark_stale() FROM PUBLIC, anon, authenticated;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION post_analytics_mark_stale() TO service_role;
--> statement-breakpoint
CREATE TRIGGER account_follower_history_mark_analytics_stale AFTER INSERT OR UPDATE OR DELETE ON account_follower_history
FOR EACH ROW EXECUTE FUNCTION post_analytics_mark_stale();
--> statement-breakpoint
CREATE TRIGGER social_conversions_mark_analytics_stale AFTER INSERT OR UPDATE OF post_id, conversion_at OR DELETE ON social_conversions
FOR EACH ROW EXECUTE FUNCTION post_analytics_mark_stale();
--> statement-breakpoint
CREATE TRIGGER social_posts_mark_analytics_stale
AFTER UPDATE OF published_at, account_id, content_category, hashtags, mentions, caption ON social_posts
FOR EACH ROW
WHEN (OLD.published_at IS DISTINCT FROM NEW.published_at OR OLD.account_id IS DISTINCT FROM NEW.account_id
      OR OLD.content_category IS DISTINCT FROM NEW.content_category OR OLD.hashtags IS DISTINCT FROM NEW.hashtags
      OR OLD.mentions IS DISTINCT FROM NEW.mentions OR OLD.caption IS DISTINCT FROM NEW.caption)
EXECUTE FUNCTION post_analytics_mark_stale();
--> statement-breakpoint

-- 3. Small pure helpers of the formulas (documented in docs/analytics.md).
-- The best known cumulative value of a metric: events counted here, or the platform's own figure
-- from insights (platform_metrics), whichever is larger; both count the same thing, neither is summed.
CREATE OR REPLACE FUNCTION analytics_best(events bigint, metrics jsonb, metric text) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT GREATEST(events::numeric,
    CASE WHEN jsonb_typeof(metrics -> metric) = 'number' THEN (metrics ->> metric)::numeric END)
$$;
--> statement-breakpoint
-- x / (x + reference): 0 at 0, 0.5 at the reference, towards 1 above; never a division by zero.
CREATE OR REPLACE FUNCTION analytics_saturate(x numeric, reference numeric) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT CASE WHEN x IS NULL OR reference IS NULL THEN NULL
              WHEN x <= 0 THEN 0
              WHEN reference <= 0 THEN 1
              ELSE x / (x + reference) END
$$;
--> statement-breakpoint
-- Whole hours from publication to the end of the UTC day the row describes (when its counts are final).
CREATE OR REPLACE FUNCTION post_age_hours(published_at timestamptz, analysis_date date) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT GREATEST(0, floor(extract(epoch FROM (((analysis_date + 1)::timestamp AT TIME ZONE 'UTC') - published_at)) / 3600))::integer
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION analytics_best(bigint, jsonb, text), analytics_saturate(numeric, numeric), post_age_hours(timestamptz, date)
  FROM PUBLIC, anon, authenticated;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION analytics_best(bigint, jsonb, text), analytics_saturate(numeric, numeric), post_age_hours(timestamptz, date)
  TO service_role;
--> statement-breakpoint

-- 4. Derived fields of post_analytics rows: for each (post, from_day) pair, every row of that post from
--    that day on. hours_since_published, engagement_rate, conversion_events and the three scores.
CREATE OR REPLACE FUNCTION post_analytics_derive(post_ids uuid[], from_days date[]) RETURNS bigint
LANGUAGE plpgsql
SET search_path = public, pg_temp
-- Row estimates of array and temp-table inputs are guesses; JIT-compiling on them cost seconds per run.
SET jit = off
AS $$
DECLARE
  changed bigint;
BEGIN
  IF cardinality(post_ids) IS DISTINCT FROM cardinality(from_days) THEN
    RAISE EXCEPTION 'from_days: % days for % posts; pass one day per post', cardinality(from_days), cardinality(post_ids)
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF coalesce(cardinality(post_ids), 0) = 0 THEN
    RETURN 0;
  END IF;

  WITH targets AS (
    SELECT t.post_id, min(t.from_day) AS from_day
    FROM unnest(post_ids, from_days) AS t(post_id, from_day)
    WHERE t.post_id IS NOT NULL
    GROUP BY t.post_id
  ),
  posts AS MATERIALIZED (
    SELECT p.id, p.account_id, p.platform_id, p.published_at, p.content_category, p.caption,
           COALESCE(p.account_id::text, p.user_id::text || '/' || p.platform_id::text) AS peer_key,
           ARRAY(SELECT lower(h) FROM unnest(p.hashtags) h) AS tags,
           ARRAY(SELECT lower(regexp_replace(m, '^@+', '')) FROM unnest(p.mentions) m) AS mentions,
           t.from_day
    FROM targets t JOIN social_posts p ON p.id = t.post_id
  ),
  r AS MATERIALIZED (
    SELECT pa.post_id, pa.analysis_date, p.account_id, p.peer_key, p.content_category,
           post_age_hours(p.published_at, pa.analysis_date) AS hours,
           analytics_best(pa.likes_count, pa.platform_metrics, 'likes') AS likes,
           analytics_best(pa.comments_count, pa.platform_metrics, 'comments') AS comments,
           analytics_best(pa.shares_count, pa.platform_metrics, 'shares') AS shares,
           analytics_best(pa.saves_count, pa.platform_metrics, 'saves') AS saves,
           analytics_best(pa.views_count, pa.platform_metrics, 'views') AS views,
           pa.reach, pa.watch_time_seconds, pa.avg_watch_time_seconds
    -- LATERAL: one index range scan per post, whatever the (unknowable) estimate of the input arrays.
    FROM posts p CROSS JOIN LATERAL (
      SELECT * FROM post_analytics x WHERE x.post_id = p.id AND x.analysis_date >= p.from_day
    ) pa
  ),
  -- The account's norm: median over its posts' latest rows of shares and reach per hour since
  -- publication (posts without an account are compared with their owner's posts on that platform).
  peer_latest AS (
    SELECT k.peer_key,
           analytics_best(l.shares_count, l.platform_metrics, 'shares')
             / GREATEST(COALESCE(post_age_hours(p.published_at, l.analysis_date), 24), 1) AS share_rate,
           l.reach::numeric / GREATEST(COALESCE(post_age_hours(p.published_at, l.analysis_date), 24), 1) AS reach_rate
    FROM (SELECT DISTINCT peer_key FROM posts) k
    JOIN social_posts p ON COALESCE(p.account_id::text, p.user_id::text || '/' || p.platform_id::text) = k.peer_key
    CROSS JOIN LATERAL (
      SELECT x.shares_count, x.platform_metrics, x.reach, x.analysis_date FROM post_analytics x
      WHERE x.post_id = p.id ORDER BY x.analysis_date DESC LIMIT 1
    ) l
  ),
  medians AS (
    SELECT peer_key,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY share_rate)::numeric AS share_rate,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY reach_rate)::numeric AS reach_rate
    FROM peer_latest GROUP BY peer_key
  ),
  -- Trending topics a post touches, with the days each is live and its weight.
  topics AS (
    SELECT tt.platform_id, tt.topic_type, lower(tt.topic_name) AS name,
           (tt.first_detected_at AT TIME ZONE 'UTC')::date AS live_from,
           (tt.last_updated_at AT TIME ZONE 'UTC')::date + 7 AS live_to,
           COALESCE(tt.fitness_relevance_score, 50)
             * CASE tt.trend_status WHEN 'trending' THEN 1.0 WHEN 'emerging' THEN 0.8 WHEN 'declining' THEN 0.5 ELSE 0.25 END AS weight
    FROM trending_topics tt
    WHERE tt.platform_id IN (SELECT DISTINCT platform_id FROM posts)
  ),
  post_topics AS (
    SELECT p.id AS post_id, tp.name, tp.live_from, tp.live_to, tp.weight
    FROM posts p JOIN topics tp ON tp.platform_id = p.platform_id
     AND ((tp.topic_type = 'hashtag' AND tp.name = ANY (p.tags))
       OR (tp.topic_type = 'mention' AND tp.name = ANY (p.mentions))
       OR (tp.topic_type = 'keyword' AND strpos(lower(p.caption), tp.name) > 0))
  ),
  -- Per row: the strongest live topic, +10 per further one (a join, not a per-row scan of the topics).
  trend AS (
    SELECT r.post_id, r.analysis_date, LEAST(100, max(pt.weight) + 10 * (count(*) - 1)) AS score
    FROM r JOIN post_topics pt ON pt.post_id = r.post_id AND r.analysis_date BETWEEN pt.live_from AND pt.live_to
    GROUP BY r.post_id, r.analysis_date
  ),
  calc AS (
    SELECT r.post_id, r.analysis_date, r.hours,
      CASE WHEN f.follower_count > 0
           THEN LEAST(round((r.likes + r.comments + r.shares) / f.follower_count, 6), 9999.999999) END AS engagement_rate,
      conv.n AS conversions,
      -- virality: shares and reach per hour against the account's medians, equally weighted (reach
      -- only when insights gave one).
      round(100 * (0.5 * analytics_saturate(r.shares / GREATEST(COALESCE(r.hours, 24), 1), COALESCE(m.share_rate, 0))
                 + COALESCE(0.5 * analytics_saturate(r.reach / GREATEST(COALESCE(r.hours, 24), 1), COALESCE(m.reach_rate, 0)), 0))
                 / (0.5 + CASE WHEN r.reach IS NULL THEN 0 ELSE 0.5 END))::smallint AS virality,
      -- quality: saves and comments per view (1 % and 0.5 % score 50) and watch seconds per view
      -- (10 s scores 50); NULL while nothing was viewed or reached.
      CASE WHEN COALESCE(NULLIF(r.views, 0), r.reach::numeric) > 0 THEN
        round(100 * (0.35 * analytics_saturate(r.saves / COALESCE(NULLIF(r.views, 0), r.reach::numeric), 0.01)
                   + 0.35 * analytics_saturate(r.comments / COALESCE(NULLIF(r.views, 0), r.reach::numeric), 0.005)
                   + COALESCE(0.30 * analytics_saturate(COALESCE(r.avg_watch_time_seconds,
                         r.watch_time_seconds / COALESCE(NULLIF(r.views, 0), r.reach::numeric)), 10), 0))
                   / (0.70 + CASE WHEN COALESCE(r.avg_watch_time_seconds, r.watch_time_seconds) IS NULL THEN 0 ELSE 0.30 END))::smallint
      END AS quality,
      -- relevance: 40 % the category's weight for a fitness brand, 60 % the strongest live trending
      -- topic it uses (+10 per further one).
      round(0.4 * CASE r.content_category
                    WHEN 'workout' THEN 100 WHEN 'nutrition' THEN 100 WHEN 'transformation' THEN 100
                    WHEN 'education' THEN 90 WHEN 'motivation' THEN 80 WHEN 'community' THEN 60
                    WHEN 'lifestyle' THEN 60 WHEN 'promotion' THEN 40 ELSE 20 END
          + 0.6 * COALESCE(tr.score, 0))::smallint AS relevance
    FROM r
    LEFT JOIN medians m ON m.peer_key = r.peer_key
    LEFT JOIN LATERAL (
      SELECT h.follower_count FROM account_follower_history h
      WHERE h.account_id = r.account_id AND h.recorded_on <= r.analysis_date
      ORDER BY h.recorded_on DESC LIMIT 1
    ) f ON true
    LEFT JOIN LATERAL (
      SELECT count(*)::integer AS n FROM social_conversions c
      WHERE c.post_id = r.post_id AND c.conversion_at < ((r.analysis_date + 1)::timestamp AT TIME ZONE 'UTC')
    ) conv ON true
    LEFT JOIN trend tr ON tr.post_id = r.post_id AND tr.analysis_date = r.analysis_date
  )
  UPDATE post_analytics pa
  SET hours_since_published = c.hours,
      engagement_rate = c.engagement_rate,
      conversion_events = c.conversions,
      virality_score = c.virality,
      quality_score = c.quality,
      relevance_score = c.relevance
  FROM calc c
  WHERE pa.post_id = c.post_id AND pa.analysis_date = c.analysis_date
    AND (pa.hours_since_published, pa.engagement_rate, pa.conversion_events, pa.virality_score, pa.quality_score, pa.relevance_score)
        IS DISTINCT FROM (c.hours, c.engagement_rate, c.conversions, c.virality, c.quality, c.relevance);
  GET DIAGNOSTICS changed = ROW_COUNT;
  RETURN changed;
END
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION post_analytics_derive(uuid[], date[]) FROM PUBLIC, anon, authenticated;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION post_analytics_derive(uuid[], date[]) TO service_role;
--> statement-breakpoint

-- 5. The refresh. Incremental (since NULL): consume the whole queue in one DELETE ... RETURNING and fold
--    it into post_analytics. Exactly once without a watermark column on the events: a batch whose
--    transaction is still open is invisible to the DELETE and stays queued for the next run; a consumed
--    row is deleted in the same transaction that applies it, so it is applied once or, if the refresh
--    fails, not at all and stays queued. Runs are serialized by an advisory lock shared with
--    record_post_insights (both create rows).
--    Rebuild (since given): rows from since's UTC day on are recounted from the raw events (live and
--    archived); queue rows of those days are dropped because the recount includes them. Both read in the
--    same statement, so under one snapshot: an event is either in the recount and consumed from the
--    queue, or in neither and still queued.
CREATE OR REPLACE FUNCTION refresh_post_analytics(since timestamptz DEFAULT NULL) RETURNS jsonb
LANGUAGE plpgsql
SET search_path = public, pg_temp
-- Row estimates of array and temp-table inputs are guesses; JIT-compiling on them cost seconds per run.
SET jit = off
AS $$
DECLARE
  started timestamptz := clock_timestamp();
  since_day date;
  since_ts timestamptz;
  delta_rows bigint := 0;
  queued_events bigint := 0;
  recounted_events bigint := 0;
  orphan_events bigint := 0;
  orphan_posts bigint := 0;
  inserted bigint := 0;
  updated bigint := 0;
  n bigint := 0;
  derived bigint := 0;
  ids uuid[];
  days date[];
  result jsonb;
BEGIN
  IF since IS NOT NULL THEN
    IF since > now() THEN
      RAISE EXCEPTION 'since: % is in the future', since USING ERRCODE = 'invalid_parameter_value';
    END IF;
    since_day := CASE WHEN isfinite(since) THEN (since AT TIME ZONE 'UTC')::date ELSE '-infinity'::date END;
    since_ts := CASE WHEN isfinite(since_day) THEN since_day::timestamp AT TIME ZONE 'UTC' ELSE '-infinity'::timestamptz END;
  END IF;

  PERFORM pg_advisory_xact_lock(7350442718263551001);

  CREATE TEMP TABLE IF NOT EXISTS post_analytics_delta (
    post_id uuid NOT NULL,
    day date NOT NULL,
    from_raw boolean NOT NULL,
    likes bigint NOT NULL,
    comments bigint NOT NULL,
    shares bigint NOT NULL,
    saves bigint NOT NULL,
    views bigint NOT NULL,
    profile_visits bigint NOT NULL,
    website_clicks bigint NOT NULL
  ) ON COMMIT DROP;
  TRUNCATE pg_temp.post_analytics_delta;

  IF since IS NULL THEN
    WITH consumed AS (DELETE FROM engagement_rollup_queue RETURNING *)
    INSERT INTO pg_temp.post_analytics_delta
    SELECT c.post_id, c.day, false, sum(c.likes), sum(c.comments), sum(c.shares), sum(c.saves), sum(c.views),
           sum(c.profile_visits), sum(c.website_clicks)
    FROM consumed c GROUP BY c.post_id, c.day;
  ELSE
    WITH consumed AS (DELETE FROM engagement_rollup_queue RETURNING *),
    raw AS (
      SELECT e.post_id, e.event_timestamp, e.event_type FROM engagement_events e WHERE e.event_timestamp >= since_ts
      UNION ALL
      SELECT a.post_id, a.event_timestamp, a.event_type FROM engagement_events_archive a WHERE a.event_timestamp >= since_ts
    )
    INSERT INTO pg_temp.post_analytics_delta
    SELECT c.post_id, c.day, false, sum(c.likes), sum(c.comments), sum(c.shares), sum(c.saves), sum(c.views),
           sum(c.profile_visits), sum(c.website_clicks)
    FROM consumed c WHERE c.day < since_day GROUP BY c.post_id, c.day
    UNION ALL
    SELECT r.post_id, (r.event_timestamp AT TIME ZONE 'UTC')::date, true,
           count(*) FILTER (WHERE r.event_type = 'like'),
           count(*) FILTER (WHERE r.event_type = 'comment'),
           count(*) FILTER (WHERE r.event_type = 'share'),
           count(*) FILTER (WHERE r.event_type = 'save'),
           count(*) FILTER (WHERE r.event_type = 'view'),
           count(*) FILTER (WHERE r.event_type = 'profile_visit'),
           count(*) FILTER (WHERE r.event_type = 'website_click')
    FROM raw r GROUP BY 1, 2;
  END IF;

  -- Moves between partitions or into the archive net to zero: nothing to apply.
  DELETE FROM pg_temp.post_analytics_delta d
  WHERE NOT d.from_raw AND d.likes = 0 AND d.comments = 0 AND d.shares = 0 AND d.saves = 0 AND d.views = 0
    AND d.profile_visits = 0 AND d.website_clicks = 0;

  -- Events of posts that do not exist (never created, or deleted) have no row to land in: counted and reported.
  WITH gone AS (
    DELETE FROM pg_temp.post_analytics_delta d
    WHERE NOT EXISTS (SELECT 1 FROM social_posts p WHERE p.id = d.post_id)
    RETURNING d.post_id, d.likes + d.comments + d.shares + d.saves + d.views + d.profile_visits + d.website_clicks AS events
  )
  SELECT COALESCE(sum(events), 0), count(DISTINCT post_id) INTO orphan_events, orphan_posts FROM gone;

  SELECT count(*),
         COALESCE(sum(d.likes + d.comments + d.shares + d.saves + d.views + d.profile_visits + d.website_clicks) FILTER (WHERE NOT d.from_raw), 0),
         COALESCE(sum(d.likes + d.comments + d.shares + d.saves + d.views + d.profile_visits + d.website_clicks) FILTER (WHERE d.from_raw), 0)
  INTO delta_rows, queued_events, recounted_events
  FROM pg_temp.post_analytics_delta d;
  IF delta_rows > 5000 THEN
    ANALYZE pg_temp.post_analytics_delta;
  END IF;

  -- A day without a row yet starts from the post's previous row (cumulative counts, latest insights),
  -- before any delta is added: the update below then adds every delta of that day or earlier.
  -- Checked first: an INSERT of no rows still fires post_analytics' statement triggers.
  IF EXISTS (SELECT 1 FROM pg_temp.post_analytics_delta d
             WHERE NOT EXISTS (SELECT 1 FROM post_analytics x WHERE x.post_id = d.post_id AND x.analysis_date = d.day)) THEN
  INSERT INTO post_analytics (post_id, analysis_date, likes_count, comments_count, shares_count, saves_count, views_count,
                              profile_visits, website_clicks, reach, impressions, click_through_rate, watch_time_seconds,
                              avg_watch_time_seconds, platform_metrics, insights_captured_at)
  SELECT k.post_id, k.day, COALESCE(prev.likes_count, 0), COALESCE(prev.comments_count, 0), COALESCE(prev.shares_count, 0),
         COALESCE(prev.saves_count, 0), COALESCE(prev.views_count, 0), COALESCE(prev.profile_visits, 0),
         COALESCE(prev.website_clicks, 0), prev.reach, prev.impressions, prev.click_through_rate, prev.watch_time_seconds,
         prev.avg_watch_time_seconds, COALESCE(prev.platform_metrics, '{}'::jsonb), prev.insights_captured_at
  FROM (SELECT DISTINCT d.post_id, d.day FROM pg_temp.post_analytics_delta d) k
  LEFT JOIN LATERAL (
    SELECT * FROM post_analytics pa WHERE pa.post_id = k.post_id AND pa.analysis_date < k.day
    ORDER BY pa.analysis_date DESC LIMIT 1
  ) prev ON true
  WHERE NOT EXISTS (SELECT 1 FROM post_analytics x WHERE x.post_id = k.post_id AND x.analysis_date = k.day)
  ON CONFLICT (post_id, analysis_date) DO NOTHING;
  GET DIAGNOSTICS inserted = ROW_COUNT;
  END IF;

  -- An event of day D raises the cumulative counts of D and of every later row of its post.
  WITH s AS (
    SELECT pa.post_id, pa.analysis_date, sum(d.likes) AS likes, sum(d.comments) AS comments, sum(d.shares) AS shares,
           sum(d.saves) AS saves, sum(d.views) AS views, sum(d.profile_visits) AS profile_visits,
           sum(d.website_clicks) AS website_clicks
    FROM pg_temp.post_analytics_delta d
    CROSS JOIN LATERAL (
      SELECT x.post_id, x.analysis_date FROM post_analytics x WHERE x.post_id = d.post_id AND x.analysis_date >= d.day
    ) pa
    WHERE NOT d.from_raw
    GROUP BY pa.post_id, pa.analysis_date
  )
  UPDATE post_analytics pa
  SET likes_count = pa.likes_count + s.likes,
      comments_count = pa.comments_count + s.comments,
      shares_count = pa.shares_count + s.shares,
      saves_count = pa.saves_count + s.saves,
      views_count = pa.views_count + s.views,
      profile_visits = pa.profile_visits + s.profile_visits,
      website_clicks = pa.website_clicks + s.website_clicks
  FROM s
  WHERE pa.post_id = s.post_id AND pa.analysis_date = s.analysis_date;
  GET DIAGNOSTICS updated = ROW_COUNT;

  IF since IS NOT NULL THEN
    -- Rows from since_day on: the post's last row before since_day plus the recount's running total.
    WITH target AS (
      SELECT pa.post_id, pa.analysis_date FROM post_analytics pa WHERE pa.analysis_date >= since_day
    ),
    running AS (
      SELECT t.post_id, t.analysis_date,
             sum(COALESCE(d.likes, 0)) OVER w AS likes, sum(COALESCE(d.comments, 0)) OVER w AS comments,
             sum(COALESCE(d.shares, 0)) OVER w AS shares, sum(COALESCE(d.saves, 0)) OVER w AS saves,
             sum(COALESCE(d.views, 0)) OVER w AS views, sum(COALESCE(d.profile_visits, 0)) OVER w AS profile_visits,
             sum(COALESCE(d.website_clicks, 0)) OVER w AS website_clicks
      FROM target t
      LEFT JOIN pg_temp.post_analytics_delta d ON d.from_raw AND d.post_id = t.post_id AND d.day = t.analysis_date
      WINDOW w AS (PARTITION BY t.post_id ORDER BY t.analysis_date)
    ),
    base AS (
      SELECT b.post_id, l.* FROM (SELECT DISTINCT post_id FROM target) b
      CROSS JOIN LATERAL (
        SELECT x.likes_count, x.comments_count, x.shares_count, x.saves_count, x.views_count, x.profile_visits AS visits,
               x.website_clicks AS clicks
        FROM post_analytics x WHERE x.post_id = b.post_id AND x.analysis_date < since_day
        ORDER BY x.analysis_date DESC LIMIT 1
      ) l
    ),
    calc AS (
      SELECT r.post_id, r.analysis_date,
             COALESCE(b.likes_count, 0) + r.likes AS likes, COALESCE(b.comments_count, 0) + r.comments AS comments,
             COALESCE(b.shares_count, 0) + r.shares AS shares, COALESCE(b.saves_count, 0) + r.saves AS saves,
             COALESCE(b.views_count, 0) + r.views AS views, COALESCE(b.visits, 0) + r.profile_visits AS profile_visits,
             COALESCE(b.clicks, 0) + r.website_clicks AS website_clicks
      FROM running r LEFT JOIN base b ON b.post_id = r.post_id
    )
    UPDATE post_analytics pa
    SET likes_count = c.likes, comments_count = c.comments, shares_count = c.shares, saves_count = c.saves,
        views_count = c.views, profile_visits = c.profile_visits, website_clicks = c.website_clicks
    FROM calc c
    WHERE pa.post_id = c.post_id AND pa.analysis_date = c.analysis_date
      AND (pa.likes_count, pa.comments_count, pa.shares_count, pa.saves_count, pa.views_count, pa.profile_visits, pa.website_clicks)
          IS DISTINCT FROM (c.likes, c.comments, c.shares, c.saves, c.views, c.profile_visits, c.website_clicks);
    GET DIAGNOSTICS n = ROW_COUNT;
    updated := updated + n;
  END IF;

  -- Derived fields of every row whose counts or other inputs changed: per post, from its earliest such day.
  WITH stale AS (DELETE FROM post_analytics_stale RETURNING *),
  pairs AS (
    SELECT d.post_id, d.day FROM pg_temp.post_analytics_delta d WHERE NOT d.from_raw
    UNION ALL
    SELECT pa.post_id, since_day FROM post_analytics pa WHERE since_day IS NOT NULL AND pa.analysis_date >= since_day
    UNION ALL
    SELECT s.post_id, s.from_day FROM stale s WHERE s.post_id IS NOT NULL
    UNION ALL
    SELECT p.id, s.from_day FROM stale s JOIN social_posts p ON p.account_id = s.account_id WHERE s.account_id IS NOT NULL
  ),
  per_post AS (SELECT post_id, min(day) AS day FROM pairs GROUP BY post_id)
  SELECT array_agg(post_id), array_agg(day) INTO ids, days FROM per_post;
  derived := post_analytics_derive(ids, days);

  result := jsonb_build_object(
    'mode', CASE WHEN since IS NULL THEN 'incremental' ELSE 'rebuild' END,
    'since', since_ts,
    'queuedEvents', queued_events,
    'recountedEvents', recounted_events,
    'eventsWithoutPost', orphan_events,
    'postsMissing', orphan_posts,
    'rowsInserted', inserted,
    'rowsUpdated', updated,
    'rowsDerived', derived,
    'durationMs', round((extract(epoch FROM clock_timestamp() - started) * 1000)::numeric, 1));
  INSERT INTO post_analytics_refresh_state AS s (id, last_started_at, last_finished_at, last_result)
  VALUES (1, started, clock_timestamp(), result)
  ON CONFLICT (id) DO UPDATE
  SET last_started_at = EXCLUDED.last_started_at, last_finished_at = EXCLUDED.last_finished_at, last_result = EXCLUDED.last_result;
  RETURN result;
END
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION refresh_post_analytics(timestamptz) FROM PUBLIC, anon, authenticated;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION refresh_post_analytics(timestamptz) TO service_role;
--> statement-breakpoint

-- 6. Platform insights: what an insights API reported for a post at captured_at, by native metric
--    name, lands in that UTC day's row (created from the previous row if missing). The catalog maps
--    names: target_column metrics go to their column (converted to the canonical unit), the others to
--    platform_metrics under their canonical name, names the catalog does not know to platform_metrics
--    under '<platform>:<name>' and are reported. Values are lifetime totals as of captured_at, so later
--    rows that only inherited an older capture take the newer one; a capture older than the row's own
--    fills only what the row lacks.
CREATE OR REPLACE FUNCTION record_post_insights(post_id uuid, platform text, metrics jsonb, captured_at timestamptz)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = public, pg_temp
-- Row estimates of array and temp-table inputs are guesses; JIT-compiling on them cost seconds per run.
SET jit = off
AS $$
DECLARE
  post_platform text;
  day date;
  m record;
  v numeric;
  cols jsonb := '{}'::jsonb;
  extra jsonb := '{}'::jsonb;
  unknown text[] := '{}';
  deprecated text[] := '{}';
  rows_changed bigint;
BEGIN
  IF post_id IS NULL THEN
    RAISE EXCEPTION 'postId: required' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF captured_at IS NULL OR NOT isfinite(captured_at) THEN
    RAISE EXCEPTION 'capturedAt: required, a finite time' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF captured_at > now() + interval '5 minutes' THEN
    RAISE EXCEPTION 'capturedAt: % is in the future', captured_at USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF metrics IS NULL OR jsonb_typeof(metrics) <> 'object' THEN
    RAISE EXCEPTION 'metrics: must be an object of metric name to number' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  SELECT pl.name INTO post_platform
  FROM social_posts p JOIN social_platforms pl ON pl.id = p.platform_id
  WHERE p.id = record_post_insights.post_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'postId: no post %', post_id USING ERRCODE = 'foreign_key_violation';
  END IF;
  IF platform IS DISTINCT FROM post_platform THEN
    RAISE EXCEPTION 'platform: post % is on %, not %', post_id, post_platform, platform USING ERRCODE = 'invalid_parameter_value';
  END IF;

  FOR m IN
    SELECT k.key, k.value, c.canonical_name, c.target_column, c.to_canonical_factor, c.deprecated_at
    FROM jsonb_each(metrics) k
    LEFT JOIN post_metric_catalog c ON c.platform = post_platform AND c.native_name = k.key
    ORDER BY k.key
  LOOP
    IF jsonb_typeof(m.value) <> 'number' THEN
      RAISE EXCEPTION 'metrics.%: % is not a number', m.key, m.value USING ERRCODE = 'invalid_parameter_value';
    END IF;
    v := (m.value #>> '{}')::numeric;
    IF v < 0 THEN
      RAISE EXCEPTION 'metrics.%: % is negative', m.key, v USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF m.canonical_name IS NULL THEN
      unknown := unknown || m.key::text;
      extra := extra || jsonb_build_object(post_platform || ':' || m.key, v);
      CONTINUE;
    END IF;
    v := trim_scale(v * m.to_canonical_factor);
    IF m.target_column IS NOT NULL THEN
      cols := cols || jsonb_build_object(m.target_column, v);
    ELSE
      extra := extra || jsonb_build_object(m.canonical_name, v);
    END IF;
    IF m.deprecated_at IS NOT NULL THEN
      deprecated := deprecated || m.key::text;
    END IF;
  END LOOP;

  day := (captured_at AT TIME ZONE 'UTC')::date;
  PERFORM pg_advisory_xact_lock(7350442718263551001);

  INSERT INTO post_analytics (post_id, analysis_date, likes_count, comments_count, shares_count, saves_count, views_count,
                              profile_visits, website_clicks, reach, impressions, click_through_rate, watch_time_seconds,
                              avg_watch_time_seconds, platform_metrics, insights_captured_at)
  SELECT record_post_insights.post_id, day, COALESCE(prev.likes_count, 0), COALESCE(prev.comments_count, 0),
         COALESCE(prev.shares_count, 0), COALESCE(prev.saves_count, 0), COALESCE(prev.views_count, 0),
         COALESCE(prev.profile_visits, 0), COALESCE(prev.website_clicks, 0), prev.reach, prev.impressions,
         prev.click_through_rate, prev.watch_time_seconds, prev.avg_watch_time_seconds,
         COALESCE(prev.platform_metrics, '{}'::jsonb), prev.insights_captured_at
  FROM (SELECT 1) one
  LEFT JOIN LATERAL (
    SELECT * FROM post_analytics pa WHERE pa.post_id = record_post_insights.post_id AND pa.analysis_date < day
    ORDER BY pa.analysis_date DESC LIMIT 1
  ) prev ON true
  ON CONFLICT ON CONSTRAINT post_analytics_pkey DO NOTHING;

  WITH n AS (
    SELECT round((cols ->> 'reach')::numeric)::bigint AS reach,
           round((cols ->> 'impressions')::numeric)::bigint AS impressions,
           round((cols ->> 'watch_time_seconds')::numeric)::bigint AS watch,
           round((cols ->> 'avg_watch_time_seconds')::numeric, 3) AS avg_watch
  )
  UPDATE post_analytics pa
  SET reach = CASE WHEN (pa.insights_captured_at IS NULL OR pa.insights_captured_at <= record_post_insights.captured_at) THEN COALESCE(n.reach, pa.reach) ELSE COALESCE(pa.reach, n.reach) END,
      impressions = CASE WHEN (pa.insights_captured_at IS NULL OR pa.insights_captured_at <= record_post_insights.captured_at) THEN COALESCE(n.impressions, pa.impressions) ELSE COALESCE(pa.impressions, n.impressions) END,
      watch_time_seconds = CASE WHEN (pa.insights_captured_at IS NULL OR pa.insights_captured_at <= record_post_insights.captured_at) THEN COALESCE(n.watch, pa.watch_time_seconds) ELSE COALESCE(pa.watch_time_seconds, n.watch) END,
      avg_watch_time_seconds = CASE WHEN (pa.insights_captured_at IS NULL OR pa.insights_captured_at <= record_post_insights.captured_at) THEN COALESCE(n.avg_watch, pa.avg_watch_time_seconds)
                                    ELSE COALESCE(pa.avg_watch_time_seconds, n.avg_watch) END,
      platform_metrics = CASE WHEN (pa.insights_captured_at IS NULL OR pa.insights_captured_at <= record_post_insights.captured_at) THEN pa.platform_metrics || extra ELSE extra || pa.platform_metrics END,
      insights_captured_at = CASE WHEN (pa.insights_captured_at IS NULL OR pa.insights_captured_at <= record_post_insights.captured_at) THEN record_post_insights.captured_at ELSE pa.insights_captured_at END
  FROM n
  WHERE pa.post_id = record_post_insights.post_id AND pa.analysis_date >= day;
  GET DIAGNOSTICS rows_changed = ROW_COUNT;

  PERFORM post_analytics_derive(ARRAY[post_id], ARRAY[day]);

  RETURN jsonb_build_object(
    'postId', post_id,
    'analysisDate', day,
    'columns', (SELECT COALESCE(jsonb_agg(k ORDER BY k), '[]'::jsonb) FROM jsonb_object_keys(cols) k),
    'platformMetrics', (SELECT COALESCE(jsonb_agg(k ORDER BY k), '[]'::jsonb) FROM jsonb_object_keys(extra) k),
    'unknown', to_jsonb(unknown),
    'deprecated', to_jsonb(deprecated),
    'rowsUpdated', rows_changed);
END
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION record_post_insights(uuid, text, jsonb, timestamptz) FROM PUBLIC, anon, authenticated;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION record_post_insights(uuid, text, jsonb, timestamptz) TO service_role;
--> statement-breakpoint
SELECT count(*) FROM sync_api_grants(ARRAY['engagement_rollup_queue', 'post_analytics_stale', 'post_analytics_refresh_state',
  'post_metric_catalog']::regclass[]);
--> statement-breakpoint
INSERT INTO post_analytics_refresh_state (id) VALUES (1) ON CONFLICT (id) DO NOTHING;
--> statement-breakpoint
-- 7. The metric catalog: per-post metrics of Instagram (Graph API media insights and media fields),
--    TikTok (Display API video object, Business API video insights) and YouTube (Analytics API,
--    Data API statistics). Re-running updates descriptions and deprecations in place.
INSERT INTO post_metric_catalog (platform, native_name, api, canonical_name, target_column, unit, to_canonical_factor, description, deprecated_at, replaced_by)
VALUES
  ('instagram', 'views', 'graph_media_insights', 'views', NULL, 'count', 1, 'Times the media was played or displayed (replaces impressions, plays, video_views)', NULL, NULL),
  ('instagram', 'reach', 'graph_media_insights', 'reach', 'reach', 'count', 1, 'Unique accounts that saw the media at least once (estimated)', NULL, NULL),
  ('instagram', 'likes', 'graph_media_insights', 'likes', NULL, 'count', 1, 'Likes on the media (organic only)', NULL, NULL),
  ('instagram', 'comments', 'graph_media_insights', 'comments', NULL, 'count', 1, 'Comments on the media (organic only)', NULL, NULL),
  ('instagram', 'shares', 'graph_media_insights', 'shares', NULL, 'count', 1, 'Times the media was shared', NULL, NULL),
  ('instagram', 'saved', 'graph_media_insights', 'saves', NULL, 'count', 1, 'Unique saves of the media', NULL, NULL),
  ('instagram', 'total_interactions', 'graph_media_insights', 'total_interactions', NULL, 'count', 1, 'Likes, saves, comments and shares minus unlikes, unsaves and deleted comments', NULL, NULL),
  ('instagram', 'profile_visits', 'graph_media_insights', 'profile_visits', NULL, 'count', 1, 'Times the profile was visited from the media', NULL, NULL),
  ('instagram', 'profile_activity', 'graph_media_insights', 'profile_activity', NULL, 'count', 1, 'Actions on the profile after engaging with the media (bio link, call, email, directions)', NULL, NULL),
  ('instagram', 'follows', 'graph_media_insights', 'follows', NULL, 'count', 1, 'Accounts that started following after seeing the media', NULL, NULL),
  ('instagram', 'ig_reels_avg_watch_time', 'graph_media_insights', 'avg_watch_time_seconds', 'avg_watch_time_seconds', 'milliseconds', 0.001, 'Average time a reel was played', NULL, NULL),
  ('instagram', 'ig_reels_video_view_total_time', 'graph_media_insights', 'watch_time_seconds', 'watch_time_seconds', 'milliseconds', 0.001, 'Total time a reel was played, replays included', NULL, NULL),
  ('instagram', 'replies', 'graph_media_insights', 'replies', NULL, 'count', 1, 'Replies and reactions to a story', NULL, NULL),
  ('instagram', 'navigation', 'graph_media_insights', 'navigation', NULL, 'count', 1, 'Story navigation actions (forward, back, next story, exit)', NULL, NULL),
  ('instagram', 'total_views', 'graph_media_insights', 'total_views', NULL, 'count', 1, 'Views including promoted and ad placements (Facebook Login only)', NULL, NULL),
  ('instagram', 'total_likes', 'graph_media_insights', 'total_likes', NULL, 'count', 1, 'Likes including promoted and ad placements (Facebook Login only)', NULL, NULL),
  ('instagram', 'total_comments', 'graph_media_insights', 'total_comments', NULL, 'count', 1, 'Comments including promoted and ad placements (Facebook Login only)', NULL, NULL),
  ('instagram', 'impressions', 'graph_media_insights', 'impressions', 'impressions', 'count', 1, 'Times the media was on screen; retired for views (v22.0, all versions 2025-04-21)', '2025-04-21', 'views'),
  ('instagram', 'plays', 'graph_media_insights', 'plays', NULL, 'count', 1, 'Times a reel started playing; retired for views', '2025-04-21', 'views'),
  ('instagram', 'clips_replays_count', 'graph_media_insights', 'replays', NULL, 'count', 1, 'Reel replays after the initial play; retired for views', '2025-04-21', 'views'),
  ('instagram', 'ig_reels_aggregated_all_plays_count', 'graph_media_insights', 'all_plays', NULL, 'count', 1, 'Initial plays plus replays of a reel; retired for views', '2025-04-21', 'views'),
  ('instagram', 'video_views', 'graph_media_insights', 'video_views', NULL, 'count', 1, 'Video views of a feed video; retired for views', '2025-01-08', 'views'),
  ('instagram', 'engagement', 'graph_media_insights', 'engagement', NULL, 'count', 1, 'Likes plus comments; retired for total_interactions (v18.0)', '2023-12-11', 'total_interactions'),
  ('instagram', 'carousel_album_engagement', 'graph_media_insights', 'engagement', NULL, 'count', 1, 'Likes plus comments of an album; retired for total_interactions', '2023-12-11', 'total_interactions'),
  ('instagram', 'carousel_album_impressions', 'graph_media_insights', 'impressions', 'impressions', 'count', 1, 'Impressions of an album; retired for impressions, since itself retired', '2023-12-11', 'views'),
  ('instagram', 'carousel_album_reach', 'graph_media_insights', 'reach', 'reach', 'count', 1, 'Reach of an album; retired for reach', '2023-12-11', 'reach'),
  ('instagram', 'carousel_album_saved', 'graph_media_insights', 'saves', NULL, 'count', 1, 'Saves of an album; retired for saved', '2023-12-11', 'saved'),
  ('instagram', 'exits', 'graph_media_insights', 'story_exits', NULL, 'count', 1, 'Exits from a story; now a breakdown of navigation', '2023-12-11', 'navigation'),
  ('instagram', 'taps_forward', 'graph_media_insights', 'story_taps_forward', NULL, 'count', 1, 'Taps to the next story frame; now a breakdown of navigation', '2023-12-11', 'navigation'),
  ('instagram', 'taps_back', 'graph_media_insights', 'story_taps_back', NULL, 'count', 1, 'Taps back to the previous story frame; now a breakdown of navigation', '2023-12-11', 'navigation'),
  ('instagram', 'like_count', 'graph_media_fields', 'likes', NULL, 'count', 1, 'Media field: likes shown on the media', NULL, NULL),
  ('instagram', 'comments_count', 'graph_media_fields', 'comments', NULL, 'count', 1, 'Media field: comments on the media, replies excluded', NULL, NULL),

  ('tiktok', 'view_count', 'display_video_object', 'views', NULL, 'count', 1, 'Video object: total views', NULL, NULL),
  ('tiktok', 'like_count', 'display_video_object', 'likes', NULL, 'count', 1, 'Video object: likes', NULL, NULL),
  ('tiktok', 'comment_count', 'display_video_object', 'comments', NULL, 'count', 1, 'Video object: comments', NULL, NULL),
  ('tiktok', 'share_count', 'display_video_object', 'shares', NULL, 'count', 1, 'Video object: shares', NULL, NULL),
  ('tiktok', 'duration', 'display_video_object', 'video_duration_seconds', NULL, 'seconds', 1, 'Video object: length of the video', NULL, NULL),
  ('tiktok', 'video_views', 'business_video_insights', 'views', NULL, 'count', 1, 'Business API: video views', NULL, NULL),
  ('tiktok', 'likes', 'business_video_insights', 'likes', NULL, 'count', 1, 'Business API: likes', NULL, NULL),
  ('tiktok', 'comments', 'business_video_insights', 'comments', NULL, 'count', 1, 'Business API: comments', NULL, NULL),
  ('tiktok', 'shares', 'business_video_insights', 'shares', NULL, 'count', 1, 'Business API: shares', NULL, NULL),
  ('tiktok', 'favorites', 'business_video_insights', 'saves', NULL, 'count', 1, 'Business API: times the video was added to favorites', NULL, NULL),
  ('tiktok', 'reach', 'business_video_insights', 'reach', 'reach', 'count', 1, 'Business API: unique viewers', NULL, NULL),
  ('tiktok', 'total_time_watched', 'business_video_insights', 'watch_time_seconds', 'watch_time_seconds', 'seconds', 1, 'Business API: total play time', NULL, NULL),
  ('tiktok', 'average_time_watched', 'business_video_insights', 'avg_watch_time_seconds', 'avg_watch_time_seconds', 'seconds', 1, 'Business API: average play time per view', NULL, NULL),
  ('tiktok', 'full_video_watched_rate', 'business_video_insights', 'full_watch_rate', NULL, 'ratio', 1, 'Business API: share of views that watched to the end', NULL, NULL),
  ('tiktok', 'video_duration', 'business_video_insights', 'video_duration_seconds', NULL, 'seconds', 1, 'Business API: length of the video', NULL, NULL),
  ('tiktok', 'new_followers', 'business_video_insights', 'follows', NULL, 'count', 1, 'Business API: followers gained from the video', NULL, NULL),
  ('tiktok', 'profile_views', 'business_video_insights', 'profile_visits', NULL, 'count', 1, 'Business API: profile views from the video', NULL, NULL),
  ('tiktok', 'website_clicks', 'business_video_insights', 'website_clicks', NULL, 'count', 1, 'Business API: clicks on the profile website link from the video', NULL, NULL),

  ('youtube', 'views', 'analytics_reports', 'views', NULL, 'count', 1, 'Analytics API (core): views of the video', NULL, NULL),
  ('youtube', 'engagedViews', 'analytics_reports', 'engaged_views', NULL, 'count', 1, 'Analytics API (core): views past the first seconds', NULL, NULL),
  ('youtube', 'redViews', 'analytics_reports', 'premium_views', NULL, 'count', 1, 'Analytics API: views by YouTube Premium members', NULL, NULL),
  ('youtube', 'estimatedMinutesWatched', 'analytics_reports', 'watch_time_seconds', 'watch_time_seconds', 'minutes', 60, 'Analytics API (core): total watch time', NULL, NULL),
  ('youtube', 'estimatedRedMinutesWatched', 'analytics_reports', 'premium_watch_time_seconds', NULL, 'minutes', 60, 'Analytics API: watch time of YouTube Premium members', NULL, NULL),
  ('youtube', 'averageViewDuration', 'analytics_reports', 'avg_watch_time_seconds', 'avg_watch_time_seconds', 'seconds', 1, 'Analytics API (core): average length of a playback', NULL, NULL),
  ('youtube', 'averageViewPercentage', 'analytics_reports', 'avg_view_percentage', NULL, 'percent', 1, 'Analytics API: average share of the video watched per playback', NULL, NULL),
  ('youtube', 'likes', 'analytics_reports', 'likes', NULL, 'count', 1, 'Analytics API (core): likes', NULL, NULL),
  ('youtube', 'dislikes', 'analytics_reports', 'dislikes', NULL, 'count', 1, 'Analytics API (core): dislikes', NULL, NULL),
  ('youtube', 'comments', 'analytics_reports', 'comments', NULL, 'count', 1, 'Analytics API (core): comments', NULL, NULL),
  ('youtube', 'shares', 'analytics_reports', 'shares', NULL, 'count', 1, 'Analytics API (core): shares through the Share button', NULL, NULL),
  ('youtube', 'subscribersGained', 'analytics_reports', 'follows', NULL, 'count', 1, 'Analytics API (core): subscriptions gained on the video', NULL, NULL),
  ('youtube', 'subscribersLost', 'analytics_reports', 'unfollows', NULL, 'count', 1, 'Analytics API (core): subscriptions lost on the video', NULL, NULL),
  ('youtube', 'videosAddedToPlaylists', 'analytics_reports', 'saves', NULL, 'count', 1, 'Analytics API: times added to playlists (saves)', NULL, NULL),
  ('youtube', 'videosRemovedFromPlaylists', 'analytics_reports', 'unsaves', NULL, 'count', 1, 'Analytics API: times removed from playlists', NULL, NULL),
  ('youtube', 'cardImpressions', 'analytics_reports', 'card_impressions', NULL, 'count', 1, 'Analytics API: card impressions', NULL, NULL),
  ('youtube', 'cardClicks', 'analytics_reports', 'card_clicks', NULL, 'count', 1, 'Analytics API: card clicks', NULL, NULL),
  ('youtube', 'cardClickRate', 'analytics_reports', 'card_click_rate', NULL, 'ratio', 1, 'Analytics API: card clicks per card impression', NULL, NULL),
  ('youtube', 'cardTeaserImpressions', 'analytics_reports', 'card_teaser_impressions', NULL, 'count', 1, 'Analytics API: card teaser impressions', NULL, NULL),
  ('youtube', 'cardTeaserClicks', 'analytics_reports', 'card_teaser_clicks', NULL, 'count', 1, 'Analytics API: card teaser clicks', NULL, NULL),
  ('youtube', 'cardTeaserClickRate', 'analytics_reports', 'card_teaser_click_rate', NULL, 'ratio', 1, 'Analytics API: teaser clicks per teaser impression', NULL, NULL),
  ('youtube', 'annotationClickThroughRate', 'analytics_reports', 'annotation_click_rate', NULL, 'ratio', 1, 'Analytics API: clicks per clickable annotation impression; annotations were removed from YouTube', '2019-01-15', NULL),
  ('youtube', 'favoritesAdded', 'analytics_reports', 'favorites_added', NULL, 'count', 1, 'Analytics API: favorites added; retired for videosAddedToPlaylists', '2015-03-31', 'videosAddedToPlaylists'),
  ('youtube', 'viewCount', 'data_video_statistics', 'views', NULL, 'count', 1, 'Data API videos.list statistics: views (sent as a string)', NULL, NULL),
  ('youtube', 'likeCount', 'data_video_statistics', 'likes', NULL, 'count', 1, 'Data API videos.list statistics: likes', NULL, NULL),
  ('youtube', 'commentCount', 'data_video_statistics', 'comments', NULL, 'count', 1, 'Data API videos.list statistics: comments', NULL, NULL),
  ('youtube', 'dislikeCount', 'data_video_statistics', 'dislikes', NULL, 'count', 1, 'Data API videos.list statistics: dislikes; private since 2021-12-13 (owner-authorized requests only)', NULL, NULL),
  ('youtube', 'favoriteCount', 'data_video_statistics', 'favorites', NULL, 'count', 1, 'Data API videos.list statistics: always 0 since favorites were retired', '2015-08-28', NULL)
ON CONFLICT (platform, native_name) DO UPDATE
SET api = EXCLUDED.api, canonical_name = EXCLUDED.canonical_name, target_column = EXCLUDED.target_column, unit = EXCLUDED.unit,
    to_canonical_factor = EXCLUDED.to_canonical_factor, description = EXCLUDED.description,
    deprecated_at = EXCLUDED.deprecated_at, replaced_by = EXCLUDED.replaced_by;
