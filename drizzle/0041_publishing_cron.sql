-- Carries sql/functions/schedule_social_maintenance.sql, sql/functions/unschedule_social_maintenance.sql.
-- Written by npm run sql:migration from the files' content; edit the files, not this, and add a comment here on why.
-- Why: publishing's maintenance every minute under pg_cron (job social-publishing-maintenance: expired
-- leases become unknown, late posts missed), and unscheduling knows it. Databases scheduled before
-- get that one job here; the others keep theirs as they are (calling schedule_social_maintenance again
-- would reset a retention someone chose for the archive job).
-- sql/functions/schedule_social_maintenance.sql
-- Schedules the maintenance jobs with pg_cron (issue 8). The design called cron.schedule on every database, so on a PostgreSQL
-- without pg_cron its migration failed. Here the jobs are scheduled only where pg_cron can run them:
-- the extension is installed on the server, preloaded, and this database is the one its worker
-- serves (cron.database_name). Anywhere else the migration changes nothing and says why; run
-- `runMaintenance(db)` (CLI `social-db maintain`) on a timer instead.
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
        -- This function runs as its owner (the role that migrated), which may not create extensions
        -- on a plain server: say who can.
        reason := format('pg_cron could not be enabled here: %s. Have a superuser run CREATE EXTENSION pg_cron in this '
                         'database (on Supabase: Database > Extensions), then call schedule_social_maintenance() again', SQLERRM);
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
      -- Publishing: expired leases become unknown and late posts missed within a minute, even while
      -- no worker claims (claims do the same for what they read).
      ('social-publishing-maintenance', '* * * * *', 'SELECT expire_post_publish_leases(), mark_missed_posts()'),
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
REVOKE ALL ON FUNCTION public.schedule_social_maintenance(interval) FROM PUBLIC, anon, authenticated, service_role;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION public.schedule_social_maintenance(interval) TO service_role;
--> statement-breakpoint
-- sql/functions/unschedule_social_maintenance.sql
-- The inverse, for a database that moves to running maintenance from the app, or before dropping it.
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
                               'social-refresh-engaged-users', 'social-archive-engagement-events',
                               'social-publishing-maintenance'])
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
REVOKE ALL ON FUNCTION public.unschedule_social_maintenance() FROM PUBLIC, anon, authenticated, service_role;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION public.unschedule_social_maintenance() TO service_role;
--> statement-breakpoint
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_cron')
     AND current_setting('cron.database_name', true) = current_database() THEN
    EXECUTE $q$SELECT cron.schedule('social-publishing-maintenance', '* * * * *', 'SELECT expire_post_publish_leases(), mark_missed_posts()')$q$;
  END IF;
END
$$;
