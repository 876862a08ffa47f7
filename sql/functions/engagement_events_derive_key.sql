-- A plain INSERT into engagement_events without event_key (supabase.from('engagement_events')
-- .insert({ post_id, event_type, event_timestamp, ... }) with the service key) gets the key
-- recordEngagementEvents would give the same event: engagement_event_key() of
-- '<platform>:<post uuid>:<event_type>:<platform_user_id or ''>:<time as ISO 8601 UTC, milliseconds>'
-- (such a row has no platform event id). The time is cut to milliseconds as a JavaScript Date keeps
-- it, so the same event sent both ways is one row. Fires only for rows without a key (the trigger's
-- WHEN), so ingestion, which always sends the key, never calls it.
CREATE OR REPLACE FUNCTION public.engagement_events_derive_key() RETURNS trigger
LANGUAGE plpgsql
SET search_path = ''
AS $fn$
DECLARE
  platform text;
BEGIN
  IF NEW.event_type IS NULL THEN
    -- Checked here, or the NOT NULL error would name event_key (checked first) for what event_type lacks.
    RAISE EXCEPTION 'null value in column "event_type" of relation "engagement_events" violates not-null constraint'
      USING ERRCODE = 'not_null_violation', COLUMN = 'event_type', TABLE = 'engagement_events';
  END IF;
  IF NEW.post_id IS NULL OR NEW.event_timestamp IS NULL THEN
    RETURN NEW; -- their own NOT NULL constraints, checked before event_key's, name them
  END IF;
  SELECT pl.name INTO platform
  FROM public.social_posts p
  JOIN public.social_platforms pl ON pl.id = p.platform_id
  WHERE p.id = NEW.post_id;
  IF platform IS NULL THEN
    RAISE EXCEPTION 'no post with id %', NEW.post_id
      USING ERRCODE = 'foreign_key_violation', COLUMN = 'post_id', TABLE = 'engagement_events',
            HINT = 'The event key is derived from the post''s platform. supabase.rpc(''record_engagement_events'', { events }) records events with per-row rejections instead.';
  END IF;
  NEW.event_timestamp := pg_catalog.date_trunc('milliseconds', NEW.event_timestamp);
  NEW.event_key := public.engagement_event_key(
    platform || ':' || NEW.post_id::text || ':' || NEW.event_type || ':' || coalesce(NEW.platform_user_id, '') || ':'
    || pg_catalog.to_char(NEW.event_timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'));
  RETURN NEW;
END
$fn$;
