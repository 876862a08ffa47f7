-- Partition maintenance and retention (issue 8). Replaces the design's archive, a row-by-row
-- DELETE ... RETURNING by insert time into a table it never created, with whole months moved by
-- partition: DETACH from engagement_events, then the same table, moved to the `archive` schema,
-- becomes an inheritance child of engagement_events_archive. Every step is a catalog change, so
-- archiving a month costs the same whatever its row count. Also: ensure_engagement_partitions()
-- rewritten (lock order, no ACCESS EXCLUSIVE to add a month), run_social_maintenance().

-- 1. Archived months are kept as tables in their own schema, out of the API's `public` and out of sight
--    of the roles PostgREST serves. They are read through engagement_events_archive, whose privileges
--    and policies apply to its children's rows; by their own names they stay closed.
CREATE SCHEMA IF NOT EXISTS archive;
--> statement-breakpoint
REVOKE ALL ON SCHEMA archive FROM PUBLIC;
--> statement-breakpoint
REVOKE ALL ON SCHEMA archive FROM anon, authenticated;
--> statement-breakpoint
COMMENT ON SCHEMA archive IS 'Months of engagement_events retired by archive_old_engagement_events(), attached to public.engagement_events_archive.';
--> statement-breakpoint

-- 2. The partitions of a partitioned table with their month ranges, read from the catalog: archiving
--    and partition creation decide by range, never by a table's name.
CREATE OR REPLACE FUNCTION engagement_partition_ranges(parent regclass)
RETURNS TABLE (partition regclass, range_start timestamptz, range_end timestamptz, is_default boolean)
LANGUAGE sql STABLE
SET search_path = public, pg_temp
AS $fn$
  SELECT c.oid::regclass,
         b[1]::timestamptz,
         b[2]::timestamptz,
         pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT'
  FROM pg_inherits i
  JOIN pg_class c ON c.oid = i.inhrelid
  LEFT JOIN LATERAL regexp_match(pg_get_expr(c.relpartbound, c.oid), $re$^FOR VALUES FROM \('([^']+)'\) TO \('([^']+)'\)$$re$) AS b ON true
  WHERE i.inhparent = parent
  ORDER BY 2 NULLS LAST, 1
$fn$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION engagement_partition_ranges(regclass) FROM PUBLIC;
--> statement-breakpoint
REVOKE ALL ON FUNCTION engagement_partition_ranges(regclass) FROM anon, authenticated;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION engagement_partition_ranges(regclass) TO service_role;
--> statement-breakpoint

-- 3. Every live month carries a CHECK constraint equal to its partition bound. It costs nothing on the
--    empty table a month starts as, lets ATTACH skip scanning it, and once the month is archived (a
--    plain inheritance child, with no partition bound) it is what lets the planner skip the months a
--    query on engagement_events_archive does not ask for.
DO $$
DECLARE
  r record;
BEGIN
  FOR r IN
    SELECT p.partition, c.relname, p.range_start, p.range_end
    FROM engagement_partition_ranges('engagement_events') p
    JOIN pg_class c ON c.oid = p.partition
    WHERE NOT p.is_default AND p.range_start IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = p.partition AND k.conname = c.relname || '_month')
  LOOP
    EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I CHECK (event_timestamp >= %L::timestamptz AND event_timestamp < %L::timestamptz)',
      r.partition, r.relname || '_month', r.range_start, r.range_end);
  END LOOP;
END
$$;
--> statement-breakpoint

-- 4. Monthly partitions: current month through `months_ahead`, plus every month with rows waiting in
--    DEFAULT (moved into their month; none is lost). Replaces 0002's version, which created partitions
--    with CREATE TABLE ... PARTITION OF (an ACCESS EXCLUSIVE lock on engagement_events), locked DEFAULT
--    before the parent (the opposite order of every INSERT, so a writer routed to DEFAULT could
--    deadlock with it), skipped any table that merely had the expected name, and took its lock even
--    when there was nothing to do.
CREATE OR REPLACE FUNCTION ensure_engagement_partitions(months_ahead integer DEFAULT 3)
RETURNS TABLE (partition_name text, range_start timestamptz, range_end timestamptz, rows_moved bigint)
LANGUAGE plpgsql
SET search_path = public, pg_temp
SET lock_timeout = '5s'
AS $$
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
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION ensure_engagement_partitions(integer) FROM PUBLIC;
--> statement-breakpoint
REVOKE ALL ON FUNCTION ensure_engagement_partitions(integer) FROM anon, authenticated;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION ensure_engagement_partitions(integer) TO service_role;
--> statement-breakpoint

-- 5. Retention. Whole months whose end is older than `retention` leave engagement_events by partition:
--    DETACH (a catalog change; not CONCURRENTLY, which a DEFAULT partition forbids), SET SCHEMA archive,
--    INHERIT engagement_events_archive. engagement_events_archive stays the plain table Drizzle
--    declares (views and triggers use it), and a query on it reads its children too. No row is copied,
--    deleted or inserted, so the time does not depend on the month's size, no row trigger fires, and
--    live + archive hold exactly the same rows before and after (the rollups count both).
CREATE OR REPLACE FUNCTION archive_old_engagement_events(retention interval DEFAULT '2 years')
RETURNS TABLE (
  partition_name text,
  archived_as text,
  range_start timestamptz,
  range_end timestamptz,
  rows_estimate bigint
)
LANGUAGE plpgsql
SET search_path = public, pg_temp
SET lock_timeout = '5s'
AS $$
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
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION archive_old_engagement_events(interval) FROM PUBLIC;
--> statement-breakpoint
REVOKE ALL ON FUNCTION archive_old_engagement_events(interval) FROM anon, authenticated;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION archive_old_engagement_events(interval) TO service_role;
--> statement-breakpoint

-- 6. One maintenance step: runs `call` (a function call, as text) in a subtransaction and reports
--    {step, ok, ms, result} or {step, ok: false, ms, error, sqlstate}. A failed step is rolled back
--    alone; the caller goes on with the next one.
CREATE OR REPLACE FUNCTION social_maintenance_step(step text, call text)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
  t0 timestamptz := clock_timestamp();
  fn regprocedure;
  rows jsonb;
  result jsonb;
  msg text;
  state text;
BEGIN
  BEGIN
    EXECUTE format('SELECT coalesce(jsonb_agg(to_jsonb(r)), ''[]''::jsonb) FROM %s r', call) INTO rows;
    -- A set-returning step reports its rows; a scalar one its value; a void one null.
    SELECT p.oid INTO fn FROM pg_proc p
    WHERE p.proname = split_part(call, '(', 1) AND p.pronamespace = 'public'::regnamespace
    LIMIT 1;
    result := CASE
      WHEN fn IS NULL THEN rows
      WHEN (SELECT p.proretset FROM pg_proc p WHERE p.oid = fn) THEN rows
      WHEN (SELECT p.prorettype = 'void'::regtype FROM pg_proc p WHERE p.oid = fn) THEN 'null'::jsonb
      ELSE coalesce(rows -> 0, 'null'::jsonb)
    END;
    RETURN jsonb_build_object('step', step, 'ok', true,
      'ms', round(extract(epoch FROM clock_timestamp() - t0)::numeric * 1000, 1), 'result', result);
  EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, state = RETURNED_SQLSTATE;
    RETURN jsonb_build_object('step', step, 'ok', false,
      'ms', round(extract(epoch FROM clock_timestamp() - t0)::numeric * 1000, 1), 'error', msg, 'sqlstate', state);
  END;
END
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION social_maintenance_step(text, text) FROM PUBLIC;
--> statement-breakpoint
REVOKE ALL ON FUNCTION social_maintenance_step(text, text) FROM anon, authenticated;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION social_maintenance_step(text, text) TO service_role;
--> statement-breakpoint

-- 7. Everything, in dependency order: partitions before rollups (events need a month to land in),
--    rollups before trends and the dashboard views that read them, trend mentions pruned after the
--    detection that reads them (it keeps 14 days, detection reads 2), archiving last, since its ACCESS
--    EXCLUSIVE lock on engagement_events lasts until this transaction ends. Each step is isolated.
--    `archive`: NULL archives only when a whole month has passed the retention (checked from the
--    catalog, so free when nothing is due); true always runs the step; false skips it.
CREATE OR REPLACE FUNCTION run_social_maintenance(archive boolean DEFAULT NULL, retention interval DEFAULT '2 years')
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
  t0 timestamptz := clock_timestamp();
  steps jsonb := '[]'::jsonb;
  due boolean;
BEGIN
  IF retention IS NULL OR retention <= interval '0' THEN
    RAISE EXCEPTION 'retention: % is not a positive interval (e.g. ''2 years'')', coalesce(retention::text, 'NULL')
      USING ERRCODE = 'invalid_parameter_value';
  END IF;

  steps := steps || social_maintenance_step('ensure_engagement_partitions', 'ensure_engagement_partitions(3)');
  steps := steps || social_maintenance_step('refresh_post_analytics', 'refresh_post_analytics()');
  steps := steps || social_maintenance_step('detect_trending_topics', 'detect_trending_topics()');
  steps := steps || social_maintenance_step('prune_topic_mentions', 'prune_topic_mentions()');
  steps := steps || social_maintenance_step('refresh_template_performance', 'refresh_template_performance()');
  steps := steps || social_maintenance_step('refresh_daily_platform_metrics', 'refresh_daily_platform_metrics()');
  steps := steps || social_maintenance_step('refresh_engaged_users', 'refresh_engaged_users()');

  IF archive IS NULL THEN
    SELECT EXISTS (SELECT 1 FROM engagement_partition_ranges('engagement_events') r
                   WHERE NOT r.is_default AND r.range_end <= now() - retention) INTO due;
  END IF;
  IF archive OR due THEN
    steps := steps || social_maintenance_step('archive_old_engagement_events',
      format('archive_old_engagement_events(%L::interval)', retention));
  ELSE
    steps := steps || jsonb_build_object('step', 'archive_old_engagement_events', 'ok', true, 'ms', 0, 'skipped', true,
      'reason', CASE WHEN archive = false THEN 'not requested'
                     ELSE format('no month ends before %s (retention %s)', now() - retention, retention) END);
  END IF;

  RETURN jsonb_build_object(
    'ok', NOT jsonb_path_exists(steps, '$[*] ? (@.ok == false)'),
    'started_at', t0,
    'ms', round(extract(epoch FROM clock_timestamp() - t0)::numeric * 1000, 1),
    'steps', steps);
END
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION run_social_maintenance(boolean, interval) FROM PUBLIC;
--> statement-breakpoint
REVOKE ALL ON FUNCTION run_social_maintenance(boolean, interval) FROM anon, authenticated;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION run_social_maintenance(boolean, interval) TO service_role;
