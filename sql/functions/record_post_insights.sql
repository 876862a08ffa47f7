-- Platform insights: what an insights API reported for a post at captured_at, by native metric
-- name, lands in that UTC day's row (created from the previous row if missing). The catalog maps
-- names: target_column metrics go to their column (converted to the canonical unit), the others to
-- platform_metrics under their canonical name, names the catalog does not know to platform_metrics
-- under '<platform>:<name>' and are reported. Values are lifetime totals as of captured_at, so later
-- rows that only inherited an older capture take the newer one; a capture older than the row's own
-- fills only what the row lacks.
CREATE OR REPLACE FUNCTION public.record_post_insights(post_id uuid, platform text, metrics jsonb, captured_at timestamp with time zone)
 RETURNS jsonb
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
 SET jit TO 'off'
AS $function$
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
$function$;

REVOKE ALL ON FUNCTION public.record_post_insights(uuid,text,jsonb,timestamp with time zone) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.record_post_insights(uuid,text,jsonb,timestamp with time zone) TO service_role;
