-- Everything, in dependency order: publishing's expired leases (unknown) and late posts (missed),
-- partitions before rollups (events need a month to land in),
-- rollups before trends and the dashboard views that read them, trend mentions pruned after the
-- detection that reads them (it keeps 14 days, detection reads 2), archiving last, since its ACCESS
-- EXCLUSIVE lock on engagement_events lasts until this transaction ends. Each step is isolated.
-- `archive`: NULL archives only when a whole month has passed the retention (checked from the
-- catalog, so free when nothing is due); true always runs the step; false skips it.
CREATE OR REPLACE FUNCTION public.run_social_maintenance(archive boolean DEFAULT NULL::boolean, retention interval DEFAULT '2 years'::interval)
 RETURNS jsonb
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  t0 timestamptz := clock_timestamp();
  steps jsonb := '[]'::jsonb;
  due boolean;
BEGIN
  IF retention IS NULL OR retention <= interval '0' THEN
    RAISE EXCEPTION 'retention: % is not a positive interval (e.g. ''2 years'')', coalesce(retention::text, 'NULL')
      USING ERRCODE = 'invalid_parameter_value';
  END IF;

  -- Publishing first: cheap, and a stuck post is what users notice soonest.
  steps := steps || social_maintenance_step('expire_post_publish_leases', 'expire_post_publish_leases()');
  steps := steps || social_maintenance_step('mark_missed_posts', 'mark_missed_posts()');
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
$function$;

REVOKE ALL ON FUNCTION public.run_social_maintenance(boolean,interval) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.run_social_maintenance(boolean,interval) TO service_role;
