-- Supabase hardening (issue 14). On a hosted Supabase project the migrating role is a non-superuser
-- `postgres`, the Data API runs as anon / authenticated / service_role with pg-safeupdate loaded, and
-- the Security Advisor lints every function. Current definitions live in sql/functions/.
--
-- 1. Every function gets a pinned search_path (Advisor: function_search_path_mutable). The small SQL
--    helpers are no longer inlined by the planner; the cost was measured on ingestion and rollups
--    (docs/security.md, "Pinned search_path").
ALTER FUNCTION engagement_event_key(text) SET search_path = public, pg_temp;
--> statement-breakpoint
ALTER FUNCTION set_updated_at() SET search_path = public, pg_temp;
--> statement-breakpoint
ALTER FUNCTION social_posts_enforce_platform_rules() SET search_path = public, pg_temp;
--> statement-breakpoint
ALTER FUNCTION refresh_template_performance() SET search_path = public, pg_temp;
--> statement-breakpoint
ALTER FUNCTION analytics_best(bigint, jsonb, text) SET search_path = public, pg_temp;
--> statement-breakpoint
ALTER FUNCTION analytics_saturate(numeric, numeric) SET search_path = public, pg_temp;
--> statement-breakpoint
ALTER FUNCTION post_age_hours(timestamptz, date) SET search_path = public, pg_temp;
--> statement-breakpoint
ALTER FUNCTION normalize_topic_name(text) SET search_path = public, pg_temp;
--> statement-breakpoint
ALTER FUNCTION topic_mention_key(text, integer, text, text) SET search_path = public, pg_temp;
--> statement-breakpoint
ALTER FUNCTION int_array_add(integer[], integer[]) SET search_path = public, pg_temp;
--> statement-breakpoint
ALTER FUNCTION bigint_array_add(bigint[], bigint[]) SET search_path = public, pg_temp;
--> statement-breakpoint
-- 2. No DELETE without WHERE: pg-safeupdate (loaded by the Data API) refuses them inside functions too,
--    so refresh_post_analytics() and record_comment_hashtags() failed when supabase-js called them.
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
$function$;
--> statement-breakpoint
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
--> statement-breakpoint
-- 3. Functions granted to service_role that only the owner could run become SECURITY DEFINER (owned
--    by the migrating role, search_path pinned, EXECUTE for service_role only): creating and archiving
--    partitions needs CREATE on public and ownership of engagement_events; scheduling reads
--    cron.database_name (pg_read_all_settings) and writes cron.job, neither of which service_role may.
CREATE OR REPLACE FUNCTION public.ensure_engagement_partitions(months_ahead integer DEFAULT 3)
 RETURNS TABLE(partition_name text, range_start timestamp with time zone, range_end timestamp with time zone, rows_moved bigint)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
 SET lock_timeout TO '5s'
AS $function$
DECLARE
  m timestamp;
  lo timestamptz;
  hi timestamptz;
  part text;
  cols text;
  moved bigint;
BEGIN
  IF months_ahead IS NULL OR months_ahead < 0 OR months_ahead > 120 THEN
    RAISE EXCEPTION 'months_ahead: % is out of range (0..120)', coalesce(months_ahead::text, 'NULL')
      USING ERRCODE = 'invalid_parameter_value';
  END IF;

  -- Usually every month exists already: answer from the catalog without taking a lock.
  IF NOT EXISTS (
    SELECT 1 FROM (
      SELECT gs FROM generate_series(date_trunc('month', now() AT TIME ZONE 'UTC'),
                                     date_trunc('month', now() AT TIME ZONE 'UTC') + make_interval(months => months_ahead),
                                     interval '1 month') AS gs
      UNION ALL
      SELECT date_trunc('month', d.event_timestamp AT TIME ZONE 'UTC') FROM engagement_events_default d
    ) w(month)
    WHERE NOT EXISTS (
      SELECT 1 FROM engagement_partition_ranges('engagement_events') r
      WHERE NOT r.is_default AND r.range_start <= w.month AT TIME ZONE 'UTC' AND r.range_end > w.month AT TIME ZONE 'UTC')
  ) THEN
    RETURN;
  END IF;

  -- One maintainer at a time, then the parent before any partition, in the order every INSERT locks
  -- them (0002 locked DEFAULT first: a writer routed to DEFAULT could deadlock with it). SHARE ROW
  -- EXCLUSIVE pauses writers until commit, so no row reaches DEFAULT between moving a month's rows out
  -- of it and attaching that month; readers are not blocked by it.
  PERFORM pg_advisory_xact_lock(hashtext('social_maintenance_partitions'));
  LOCK TABLE engagement_events IN SHARE ROW EXCLUSIVE MODE;

  SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO cols
  FROM pg_attribute a WHERE a.attrelid = 'engagement_events'::regclass AND a.attnum > 0 AND NOT a.attisdropped;

  FOR m IN
    SELECT DISTINCT w.month FROM (
      SELECT gs FROM generate_series(date_trunc('month', now() AT TIME ZONE 'UTC'),
                                     date_trunc('month', now() AT TIME ZONE 'UTC') + make_interval(months => months_ahead),
                                     interval '1 month') AS gs
      UNION ALL
      SELECT date_trunc('month', d.event_timestamp AT TIME ZONE 'UTC') FROM engagement_events_default d
    ) w(month)
    WHERE NOT EXISTS (
      SELECT 1 FROM engagement_partition_ranges('engagement_events') r
      WHERE NOT r.is_default AND r.range_start <= w.month AT TIME ZONE 'UTC' AND r.range_end > w.month AT TIME ZONE 'UTC')
    ORDER BY 1
  LOOP
    lo := m AT TIME ZONE 'UTC';
    hi := (m + interval '1 month') AT TIME ZONE 'UTC';
    part := 'engagement_events_' || to_char(m, '"y"YYYY"m"MM');
    IF to_regclass(format('public.%I', part)) IS NOT NULL THEN
      RAISE EXCEPTION 'ensure_engagement_partitions: table % exists but is not the partition of engagement_events for % .. %; rename or drop it', part, lo, hi
        USING ERRCODE = 'duplicate_table';
    END IF;

    -- Built beside the table and attached (SHARE UPDATE EXCLUSIVE on the parent) rather than
    -- CREATE TABLE ... PARTITION OF (ACCESS EXCLUSIVE on the parent): indexes are built on an empty
    -- table, and queries whose time range excludes DEFAULT and the new month keep running.
    EXECUTE format('CREATE TABLE public.%I (LIKE engagement_events INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE)', part);
    EXECUTE format('ALTER TABLE public.%I ADD CONSTRAINT %I CHECK (event_timestamp >= %L::timestamptz AND event_timestamp < %L::timestamptz)',
      part, part || '_month', lo, hi);
    -- A partition is a table of its own, reachable by name: closed to the API roles, open to service_role.
    EXECUTE format('ALTER TABLE public.%I ENABLE ROW LEVEL SECURITY', part);
    EXECUTE format('REVOKE ALL ON TABLE public.%I FROM PUBLIC, anon, authenticated', part);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON TABLE public.%I TO service_role', part);
    -- RLS on and no policy at all reads as a mistake (Supabase's rls_enabled_no_policy): say who may.
    EXECUTE format('CREATE POLICY partition_service_role ON public.%I AS PERMISSIVE FOR ALL TO service_role USING (true) WITH CHECK (true)', part);

    -- Rows of this month waiting in DEFAULT move into the new table before it is attached: nothing can
    -- add more meanwhile (the lock above), the CHECK spares ATTACH a scan of them, and no trigger of
    -- the parent fires, so the rollup queue neither loses nor double-counts them.
    EXECUTE format(
      'WITH gone AS (DELETE FROM engagement_events_default d WHERE d.event_timestamp >= %L::timestamptz AND d.event_timestamp < %L::timestamptz RETURNING %s)
       INSERT INTO public.%I (%s) SELECT %s FROM gone',
      lo, hi, cols, part, cols, cols);
    GET DIAGNOSTICS moved = ROW_COUNT;

    EXECUTE format('ALTER TABLE engagement_events ATTACH PARTITION public.%I FOR VALUES FROM (%L) TO (%L)', part, lo, hi);

    partition_name := part;
    range_start := lo;
    range_end := hi;
    rows_moved := moved;
    RETURN NEXT;
  END LOOP;
END
$function$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION public.archive_old_engagement_events(retention interval DEFAULT '2 years'::interval)
 RETURNS TABLE(partition_name text, archived_as text, range_start timestamp with time zone, range_end timestamp with time zone, rows_estimate bigint)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
 SET lock_timeout TO '5s'
AS $function$
DECLARE
  cutoff timestamptz;
  p record;
  idx record;
  target text;
  n integer;
BEGIN
  IF retention IS NULL OR retention <= interval '0' THEN
    RAISE EXCEPTION 'retention: % is not a positive interval (e.g. ''2 years'')', coalesce(retention::text, 'NULL')
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  cutoff := now() - retention;

  -- Nothing old enough: answer from the catalog (and the normally empty DEFAULT) without a lock.
  IF NOT EXISTS (SELECT 1 FROM engagement_partition_ranges('engagement_events') r WHERE NOT r.is_default AND r.range_end <= cutoff)
     AND NOT EXISTS (SELECT 1 FROM engagement_events_default d
                     WHERE d.event_timestamp < date_trunc('month', cutoff AT TIME ZONE 'UTC') AT TIME ZONE 'UTC') THEN
    RETURN;
  END IF;

  -- Same order as ensure_engagement_partitions (advisory lock, then the parent), so the two never
  -- deadlock. DETACH needs ACCESS EXCLUSIVE on the parent anyway; taking it first means writers wait
  -- at the parent and never hold it while waiting for a partition this function locks.
  PERFORM pg_advisory_xact_lock(hashtext('social_maintenance_partitions'));
  LOCK TABLE engagement_events IN ACCESS EXCLUSIVE MODE;
  -- Old rows waiting in DEFAULT get their own month first, so they are archived with it.
  PERFORM count(*) FROM ensure_engagement_partitions(0);

  FOR p IN
    SELECT r.partition, c.relname::text AS relname, r.range_start AS lo, r.range_end AS hi,
           CASE WHEN c.reltuples >= 0 THEN c.reltuples::bigint END AS estimate
    FROM engagement_partition_ranges('engagement_events') r
    JOIN pg_class c ON c.oid = r.partition
    WHERE NOT r.is_default AND r.range_end <= cutoff
    ORDER BY r.range_start
  LOOP
    EXECUTE format('ALTER TABLE engagement_events DETACH PARTITION %s', p.partition);
    EXECUTE format('REVOKE ALL ON TABLE %s FROM PUBLIC, anon, authenticated', p.partition);
    -- Partitions made before migration 0013, or by hand, may lack the month CHECK that lets queries on
    -- the archive skip them: add it (one scan of that month).
    IF NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = p.partition AND k.conname = p.relname || '_month') THEN
      EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I CHECK (event_timestamp >= %L::timestamptz AND event_timestamp < %L::timestamptz)',
        p.partition, p.relname || '_month', p.lo, p.hi);
    END IF;

    -- A month archived before can come back: late events land in DEFAULT and get a live month again.
    -- That table is archived beside the first one under a numbered name, still whole, never copied;
    -- index names are unique per schema, so its indexes are renamed with it.
    target := p.relname;
    n := 0;
    WHILE to_regclass(format('archive.%I', target)) IS NOT NULL LOOP
      n := n + 1;
      target := p.relname || '_' || n;
    END LOOP;
    IF n > 0 THEN
      FOR idx IN SELECT i.indexrelid::regclass AS oid, c.relname::text AS relname
                 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = p.partition LOOP
        EXECUTE format('ALTER INDEX %s RENAME TO %I', idx.oid, replace(idx.relname, p.relname, target));
      END LOOP;
      EXECUTE format('ALTER TABLE %s RENAME TO %I', p.partition, target);
    END IF;

    EXECUTE format('ALTER TABLE %s SET SCHEMA archive', p.partition);
    EXECUTE format('ALTER TABLE %s INHERIT engagement_events_archive', p.partition);

    partition_name := p.relname;
    archived_as := format('archive.%I', target);
    range_start := p.lo;
    range_end := p.hi;
    -- The planner's figure: an exact count would scan the month, which this function never does.
    rows_estimate := p.estimate;
    RETURN NEXT;
  END LOOP;
END
$function$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION public.schedule_social_maintenance(retention interval DEFAULT '2 years'::interval)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  cron_db text := current_setting('cron.database_name', true);
  reason text;
  jobs jsonb := '[]'::jsonb;
  j record;
  id bigint;
BEGIN
  IF retention IS NULL OR retention <= interval '0' THEN
    RAISE EXCEPTION 'retention: % is not a positive interval (e.g. ''2 years'')', coalesce(retention::text, 'NULL')
      USING ERRCODE = 'invalid_parameter_value';
  END IF;

  IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_cron') THEN
    IF NOT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_cron') THEN
      reason := 'pg_cron is not installed on this server';
    ELSIF cron_db IS NULL THEN
      reason := 'pg_cron is installed but not loaded: add pg_cron to shared_preload_libraries and restart';
    ELSIF cron_db <> current_database() THEN
      reason := format('pg_cron runs jobs in database %s only (cron.database_name), not in %s', cron_db, current_database());
    ELSE
      BEGIN
        CREATE EXTENSION IF NOT EXISTS pg_cron;
      EXCEPTION WHEN OTHERS THEN
        reason := format('pg_cron could not be enabled here: %s', SQLERRM);
      END;
    END IF;
  END IF;

  IF reason IS NOT NULL THEN
    RAISE NOTICE 'social maintenance not scheduled: %. Run runMaintenance(db) or `social-db maintain` on a timer instead.', reason;
    RETURN jsonb_build_object('scheduled', false, 'reason', reason, 'jobs', jobs);
  END IF;

  -- Stable names: cron.schedule(name, ...) updates the job of that name, so running this again (or
  -- migrating twice) never duplicates a job. Times are UTC, staggered so the heavy jobs do not overlap.
  FOR j IN
    SELECT * FROM (VALUES
      ('social-ensure-partitions', '7 0 * * *', 'SELECT count(*) FROM ensure_engagement_partitions(3)'),
      ('social-refresh-post-analytics', '*/15 * * * *', 'SELECT refresh_post_analytics()'),
      ('social-detect-trending-topics', '0 * * * *', 'SELECT count(*) FROM detect_trending_topics()'),
      ('social-prune-topic-mentions', '15 2 * * *', 'SELECT prune_topic_mentions()'),
      ('social-refresh-daily-platform-metrics', '20 2 * * *', 'SELECT refresh_daily_platform_metrics()'),
      ('social-refresh-template-performance', '25 2 * * *', 'SELECT refresh_template_performance()'),
      ('social-refresh-engaged-users', '30 2 * * *', 'SELECT refresh_engaged_users()'),
      ('social-archive-engagement-events', '40 3 1 * *',
        format('SELECT count(*) FROM archive_old_engagement_events(%L::interval)', retention))
    ) AS v(job_name, schedule, command)
  LOOP
    EXECUTE 'SELECT cron.schedule($1, $2, $3)' INTO id USING j.job_name, j.schedule, j.command;
    jobs := jobs || jsonb_build_object('jobid', id, 'job_name', j.job_name, 'schedule', j.schedule, 'command', j.command);
  END LOOP;
  RETURN jsonb_build_object('scheduled', true, 'database', current_database(), 'jobs', jobs);
END
$function$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION public.unschedule_social_maintenance()
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  removed jsonb := '[]'::jsonb;
  j record;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_cron') THEN
    RETURN jsonb_build_object('unscheduled', removed);
  END IF;
  FOR j IN EXECUTE $q$
    SELECT jobid, jobname FROM cron.job
    WHERE jobname = ANY (ARRAY['social-ensure-partitions', 'social-refresh-post-analytics', 'social-detect-trending-topics',
                               'social-prune-topic-mentions',
                               'social-refresh-daily-platform-metrics', 'social-refresh-template-performance',
                               'social-refresh-engaged-users', 'social-archive-engagement-events'])
      AND username = current_user
    ORDER BY jobname
  $q$
  LOOP
    EXECUTE 'SELECT cron.unschedule($1)' USING j.jobid;
    removed := removed || to_jsonb(j.jobname);
  END LOOP;
  RETURN jsonb_build_object('unscheduled', removed);
END
$function$;
--> statement-breakpoint
-- sync_api_grants changes grants that only the tables' owner may change: a tool for migrations, run by
-- the owner. Granted to service_role it could only fail, so it is no longer granted.
REVOKE EXECUTE ON FUNCTION sync_api_grants(regclass[]) FROM service_role;
--> statement-breakpoint
-- 4. Partitions that exist already get the policy new ones get (live, DEFAULT and archived months).
DO $$
DECLARE
  t regclass;
BEGIN
  FOR t IN
    SELECT c.oid::regclass FROM pg_class c
    WHERE c.relkind = 'r' AND c.relrowsecurity
      AND c.relnamespace IN ('public'::regnamespace, coalesce(to_regnamespace('archive'), 'public'::regnamespace))
      AND (c.relname = 'engagement_events_default' OR c.relname ~ '^engagement_events_y[0-9]{4}m[0-9]{2}$')
      AND NOT EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid)
  LOOP
    EXECUTE format('CREATE POLICY partition_service_role ON %s AS PERMISSIVE FOR ALL TO service_role USING (true) WITH CHECK (true)', t);
  END LOOP;
END
$$;
