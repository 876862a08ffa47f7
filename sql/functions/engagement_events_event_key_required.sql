-- The DEFAULT of engagement_events.event_key: evaluated only when an INSERT leaves the column out, as
-- supabase.from('engagement_events').insert({ post_id, event_type, event_timestamp, ... }) does, and
-- then it refuses the row with an error that names the RPC to use instead. (A NOT NULL error could
-- not name it.) An INSERT that supplies the key, as recordEngagementEvents and the RPC always do,
-- never evaluates a default: nothing runs per row on the ingest path, unlike a key-deriving row
-- trigger (measured: docs/ingestion.md, "From supabase-js"). service_role, the one API role that may
-- insert events, executes it: it must be able to evaluate the default to get the error meant for it.
CREATE OR REPLACE FUNCTION public.engagement_events_event_key_required() RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SET search_path = ''
AS $fn$
BEGIN
  RAISE EXCEPTION 'engagement_events.event_key is required: record events with supabase.rpc(''record_engagement_events'', { events }), which derives it'
    USING ERRCODE = 'not_null_violation',
          SCHEMA = 'public',
          TABLE = 'engagement_events',
          COLUMN = 'event_key',
          HINT = 'record_engagement_events(events) takes the objects recordEngagementEvents takes ({ postId, eventType, eventTimestamp, ... }) and returns { inserted, duplicates, rejected }. From SQL, the key is public.engagement_event_key(''<platform>:<platform event id>''), or without one public.engagement_event_key(''<platform>:<post uuid>:<event_type>:<platform_user_id or empty>:<event_timestamp as YYYY-MM-DDTHH:MI:SS.mmmZ>'').';
END
$fn$;

REVOKE ALL ON FUNCTION public.engagement_events_event_key_required() FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.engagement_events_event_key_required() TO service_role;
