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

REVOKE ALL ON FUNCTION public.unschedule_social_maintenance() FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.unschedule_social_maintenance() TO service_role;
