-- The analytics refresh (pg_cron every 15 minutes, refreshPostAnalytics). Incremental (since NULL): consume the whole queue in one DELETE ... RETURNING and fold
-- it into post_analytics. Exactly once without a watermark column on the events: a batch whose
-- transaction is still open is invisible to the DELETE and stays queued for the next run; a consumed
-- row is deleted in the same transaction that applies it, so it is applied once or, if the refresh
-- fails, not at all and stays queued. Runs are serialized by an advisory lock shared with
-- record_post_insights (both create rows).
-- Rebuild (since given): rows from since's UTC day on are recounted from the raw events (live and
-- archived); queue rows of those days are dropped because the recount includes them. Both read in the
-- same statement, so under one snapshot: an event is either in the recount and consumed from the
-- queue, or in neither and still queued.
CREATE OR REPLACE FUNCTION public.refresh_post_analytics(since timestamp with time zone DEFAULT NULL::timestamp with time zone)
 RETURNS jsonb
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
 SET jit TO 'off'
AS $function$
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
    -- WHERE true: the Data API's pg-safeupdate refuses a DELETE without WHERE, even inside a function.
    WITH consumed AS (DELETE FROM engagement_rollup_queue WHERE true RETURNING *)
    INSERT INTO pg_temp.post_analytics_delta
    SELECT c.post_id, c.day, false, sum(c.likes), sum(c.comments), sum(c.shares), sum(c.saves), sum(c.views),
           sum(c.profile_visits), sum(c.website_clicks)
    FROM consumed c GROUP BY c.post_id, c.day;
  ELSE
    WITH consumed AS (DELETE FROM engagement_rollup_queue WHERE true RETURNING *),
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
  WITH stale AS (DELETE FROM post_analytics_stale WHERE true RETURNING *),
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
$function$;

REVOKE ALL ON FUNCTION public.refresh_post_analytics(timestamp with time zone) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.refresh_post_analytics(timestamp with time zone) TO service_role;
