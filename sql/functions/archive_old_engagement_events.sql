-- Retention of engagement events: whole months whose end is older than `retention` leave engagement_events by partition:
-- DETACH (a catalog change; not CONCURRENTLY, which a DEFAULT partition forbids), SET SCHEMA archive,
-- INHERIT engagement_events_archive. engagement_events_archive stays the plain table Drizzle
-- declares (views and triggers use it), and a query on it reads its children too. No row is copied,
-- deleted or inserted, so the time does not depend on the month's size, no row trigger fires, and
-- live + archive hold exactly the same rows before and after (the rollups count both).
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

REVOKE ALL ON FUNCTION public.archive_old_engagement_events(interval) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.archive_old_engagement_events(interval) TO service_role;
