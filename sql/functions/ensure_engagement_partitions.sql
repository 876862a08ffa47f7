-- Monthly partitions of engagement_events: the current month through `months_ahead`, plus every
-- month that has rows waiting in the DEFAULT partition (those rows are moved into their month; none is
-- lost). SECURITY DEFINER (EXECUTE for service_role only): creating partitions needs CREATE on public
-- and ownership of engagement_events, which service_role has not.
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

REVOKE ALL ON FUNCTION public.ensure_engagement_partitions(integer) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.ensure_engagement_partitions(integer) TO service_role;
