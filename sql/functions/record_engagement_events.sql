-- recordEngagementEvents for clients that only speak SQL or the Data API:
--   supabase.rpc('record_engagement_events', { events })   (service key)
-- `events` is a JSON array of the objects recordEngagementEvents takes (same keys: postId or
-- platform + platformPostId, eventType, eventTimestamp, platformEventId, ...). Same validation, same
-- event keys, same duplicates, same rejections with field and reason, same dead letters (source
-- `source`, default 'api'); good rows are stored whatever the bad ones are. Returns
-- {"inserted": n, "duplicates": n, "rejected": [{"index": i, "field": "...", "error": "..."}]}.
-- `json`, not `jsonb`: an element jsonb cannot hold (a NUL, a lone UTF-16 surrogate) is then one
-- rejected row instead of a refused request. SECURITY INVOKER: only service_role may execute it, and
-- service_role already has every privilege it uses. Never UPDATE or DELETE (pg-safeupdate).
CREATE OR REPLACE FUNCTION public.record_engagement_events(events json, source text DEFAULT 'api')
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SET search_path = ''
AS $fn$
DECLARE
  label constant text := pg_catalog.left(coalesce(source, 'api'), 100);
  nul_message constant text := 'contains a NUL character (\u0000), which PostgreSQL cannot store';
  surrogate_message constant text := 'contains a lone UTF-16 surrogate (not valid Unicode)';
  nul_marker constant text := U&'\F8FF\F8FE\F8FF';
  surrogate_marker constant text := U&'\F8FF\F8FD\F8FF';
  schema_keys constant text[] := ARRAY['postId', 'platform', 'platformPostId', 'eventType', 'eventTimestamp',
    'platformEventId', 'platformUserId', 'platformUsername', 'userFollowerCount', 'eventValue', 'countryCode',
    'ageRange', 'gender', 'eventMetadata'];
  -- COLUMN_TO_FIELD of the TypeScript, in its order.
  columns constant text[] := ARRAY['post_id', 'event_timestamp', 'event_key', 'event_value', 'user_follower_count',
    'event_type', 'platform_user_id', 'platform_username', 'country_code', 'age_range', 'gender', 'event_metadata',
    'workspace_id'];
  fields constant text[] := ARRAY['postId', 'eventTimestamp', 'platformEventId', 'eventValue', 'userFollowerCount',
    'eventType', 'platformUserId', 'platformUsername', 'countryCode', 'ageRange', 'gender', 'eventMetadata', 'postId'];
  unreadable integer[] := '{}';
  rejected jsonb := '[]';
  more jsonb;
  cand record;
  r record;
  fixed text;
  fixed_payload jsonb;
  bad_field text;
  bad_reason text;
  kept bigint := 0;
  inserted bigint := 0;
  refused bigint := 0;
  n bigint;
  e_message text;
  e_column text;
  e_constraint text;
  haystack text;
BEGIN
  IF events IS NULL OR pg_catalog.json_typeof(events) <> 'array' THEN
    RAISE EXCEPTION 'record_engagement_events: events must be a JSON array of event objects, not %',
      coalesce(pg_catalog.json_typeof(events), 'NULL')
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'supabase.rpc(''record_engagement_events'', { events: [{ postId, eventType, eventTimestamp, ... }] })';
  END IF;

  <<attempt>>
  FOR pass IN 1..2 LOOP
    -- 1. Elements jsonb cannot hold: a \u0000, or a UTF-16 surrogate without its pair (or, found by the
    --    second pass only, a number beyond numeric's range). The first pass tries only the elements with
    --    a \u escape, the second (after the statement below failed) every element, one savepoint each;
    --    they are rejected here, and left out below.
    FOR cand IN
      SELECT (x.ord - 1)::integer AS idx, x.v
      FROM pg_catalog.json_array_elements(events) WITH ORDINALITY AS x(v, ord)
      WHERE (pass = 2 OR pg_catalog.strpos(x.v::text, '\u') > 0)
        AND NOT ((x.ord - 1)::integer = ANY (unreadable))
    LOOP
      BEGIN
        PERFORM cand.v::jsonb;
        CONTINUE;
      EXCEPTION WHEN data_exception THEN
        unreadable := unreadable || cand.idx;
        e_message := SQLERRM;
      END;
      -- Marked readable: each \u0000 and each lone surrogate escape becomes a private-use marker (one for
      -- each), so the field holding it can be found; the stored payload has U+FFFD instead, as the
      -- TypeScript keeps it. A marker is three private-use characters, which no platform sends.
      fixed := cand.v::text;
      WHILE fixed ~ '(^|[^\\])(\\\\)*\\u0000' LOOP
        fixed := pg_catalog.regexp_replace(fixed, '((?:^|[^\\])(?:\\\\)*)\\u0000', '\1\\uf8ff\\uf8fe\\uf8ff', 'g');
      END LOOP;
      fixed := pg_catalog.regexp_replace(fixed, '\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})', '\\uf8ff\\uf8fd\\uf8ff', 'g');
      fixed := pg_catalog.regexp_replace(fixed, '(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}', '\\uf8ff\\uf8fd\\uf8ff', 'g');
      BEGIN
        fixed_payload := fixed::jsonb;
      EXCEPTION WHEN data_exception THEN
        fixed_payload := NULL;
      END;
      bad_field := NULL;
      bad_reason := NULL;
      IF fixed_payload IS NULL THEN
        bad_field := '(row)';
        bad_reason := 'not readable as JSON: ' || e_message;
        fixed_payload := pg_catalog.to_jsonb(cand.v::text); -- the element's JSON text, as a string
      ELSIF pg_catalog.jsonb_typeof(fixed_payload) <> 'object' THEN
        bad_field := '(row)';
        bad_reason := 'Invalid input: expected object, received ' || pg_catalog.jsonb_typeof(fixed_payload);
      ELSE
        -- The first key, in the schema's order, whose value holds a marker.
        SELECT o.key,
               CASE WHEN pg_catalog.strpos(o.value::text, nul_marker) > 0 THEN nul_message ELSE surrogate_message END
        INTO bad_field, bad_reason
        FROM pg_catalog.jsonb_each(fixed_payload) AS o(key, value)
        WHERE pg_catalog.strpos(o.value::text, nul_marker) > 0 OR pg_catalog.strpos(o.value::text, surrogate_marker) > 0
        ORDER BY coalesce(pg_catalog.array_position(schema_keys, o.key), 1000), o.key
        LIMIT 1;
        IF bad_field IS NULL THEN -- in a key
          bad_field := '(row)';
          bad_reason := CASE WHEN pg_catalog.strpos(fixed, '\uf8fe') > 0 THEN nul_message ELSE surrogate_message END;
        END IF;
      END IF;
      fixed_payload := pg_catalog.replace(pg_catalog.replace(fixed_payload::text, nul_marker, U&'\FFFD'), surrogate_marker, U&'\FFFD')::jsonb;
      rejected := rejected || pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
        'index', cand.idx, 'field', bad_field, 'error', bad_reason, 'payload', fixed_payload));
    END LOOP;

    -- 2. Everything else in one statement: validated, posts resolved, keys derived, inserted in the
    --    primary key's order. ON CONFLICT DO NOTHING makes redeliveries and repeats duplicates. The
    --    workspace is the resolved post's, written here as the TypeScript path does (the fill trigger's
    --    WHEN clause then skips its per-row lookup).
    BEGIN
      WITH v AS MATERIALIZED (
        SELECT * FROM public.engagement_events_from_json(events, unreadable)
      ),
      ins AS (
        INSERT INTO public.engagement_events (post_id, event_timestamp, event_key, event_value, user_follower_count,
          event_type, platform_user_id, platform_username, country_code, age_range, gender, event_metadata, workspace_id)
        SELECT v.post_id, v.event_timestamp, v.event_key, v.event_value, v.user_follower_count, v.event_type,
               v.platform_user_id, v.platform_username, v.country_code, v.age_range, v.gender, v.event_metadata, v.workspace_id
        FROM v
        WHERE v.ok
        ORDER BY v.event_timestamp, v.event_key
        ON CONFLICT DO NOTHING
        RETURNING 1
      )
      SELECT (SELECT pg_catalog.count(*) FROM ins),
             (SELECT pg_catalog.count(*) FROM v WHERE v.ok),
             (SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                       'index', v.idx, 'field', v.field, 'error', v.error, 'payload', v.payload)), '[]')
              FROM v WHERE NOT v.ok)
      INTO inserted, kept, more;
      rejected := rejected || more;
      EXIT attempt;
    EXCEPTION WHEN data_exception OR integrity_constraint_violation THEN
      -- The statement stored nothing. First look for elements that cannot be read, then try again.
      CONTINUE attempt WHEN pass = 1;
      -- 3. The database refused a row (a rule added in SQL that the checks above do not know): row by
      --    row, each in its own savepoint, so only the refused rows fail.
      inserted := 0;
      kept := 0;
      SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
               'index', v.idx, 'field', v.field, 'error', v.error, 'payload', v.payload)), '[]')
      INTO more
      FROM public.engagement_events_from_json(events, unreadable) AS v
      WHERE NOT v.ok;
      rejected := rejected || more;
      FOR r IN
        SELECT * FROM public.engagement_events_from_json(events, unreadable) AS v
        WHERE v.ok
        ORDER BY v.event_timestamp, v.event_key
      LOOP
        kept := kept + 1;
        BEGIN
          INSERT INTO public.engagement_events (post_id, event_timestamp, event_key, event_value, user_follower_count,
            event_type, platform_user_id, platform_username, country_code, age_range, gender, event_metadata, workspace_id)
          VALUES (r.post_id, r.event_timestamp, r.event_key, r.event_value, r.user_follower_count, r.event_type,
            r.platform_user_id, r.platform_username, r.country_code, r.age_range, r.gender, r.event_metadata, r.workspace_id)
          ON CONFLICT DO NOTHING;
          GET DIAGNOSTICS n = ROW_COUNT;
          inserted := inserted + n;
        EXCEPTION WHEN data_exception OR integrity_constraint_violation THEN
          GET STACKED DIAGNOSTICS e_message = MESSAGE_TEXT, e_column = COLUMN_NAME, e_constraint = CONSTRAINT_NAME;
          refused := refused + 1;
          -- The field as fieldOfDbError() finds it: the column, else a column named in the constraint or
          -- message, else the constraint's first column in the catalog.
          bad_field := fields[pg_catalog.array_position(columns, e_column)];
          IF bad_field IS NULL THEN
            haystack := coalesce(e_constraint, '') || ' ' || coalesce(e_message, '');
            SELECT fields[c.n] INTO bad_field
            FROM pg_catalog.unnest(columns) WITH ORDINALITY AS c(col, n)
            WHERE pg_catalog.strpos(haystack, c.col) > 0
            ORDER BY c.n LIMIT 1;
          END IF;
          IF bad_field IS NULL AND e_constraint <> '' THEN
            SELECT fields[pg_catalog.array_position(columns, a.attname::text)] INTO bad_field
            FROM pg_catalog.pg_constraint k
            JOIN pg_catalog.pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = ANY (k.conkey)
            WHERE k.conname = e_constraint
            ORDER BY a.attnum LIMIT 1;
          END IF;
          rejected := rejected || pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
            'index', r.idx, 'field', coalesce(bad_field, '(row)'), 'error', 'refused by the database: ' || e_message,
            'payload', (SELECT x.v::jsonb FROM pg_catalog.json_array_elements(events) WITH ORDINALITY AS x(v, ord)
                        WHERE x.ord = r.idx + 1)));
        END;
      END LOOP;
    END;
  END LOOP attempt;

  -- 4. Keep what was refused, with its input as it came.
  -- One letter per distinct bad item, as recordEngagementEvents writes them: the first of equal
  -- payloads in this call, and none where a pending letter of this source already holds it (a
  -- redelivered request). Writers of one source take turns, so two deliveries at once leave one letter.
  IF pg_catalog.jsonb_array_length(rejected) > 0 THEN
    PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('engagement_dead_letters'), pg_catalog.hashtext(label));
    INSERT INTO public.engagement_dead_letters (source, platform, kind, batch_index, field, reason, payload)
    SELECT n.source, n.platform, n.kind, n.batch_index, n.field, n.reason, n.payload
    FROM (
      SELECT DISTINCT ON (l.payload) l.*
      FROM (
        SELECT label AS source,
               CASE WHEN pg_catalog.jsonb_typeof(x.r -> 'payload' -> 'platform') = 'string'
                 THEN pg_catalog.left(x.r -> 'payload' ->> 'platform', 50) END AS platform,
               'event'::varchar AS kind, (x.r ->> 'index')::integer AS batch_index, pg_catalog.left(x.r ->> 'field', 200) AS field,
               x.r ->> 'error' AS reason, coalesce(x.r -> 'payload', 'null'::jsonb) AS payload
        FROM pg_catalog.jsonb_array_elements(rejected) AS x(r)
      ) l
      ORDER BY l.payload, l.batch_index
    ) n
    WHERE NOT EXISTS (
      SELECT 1 FROM public.engagement_dead_letters d
      WHERE d.replayed_at IS NULL AND d.source = n.source AND d.kind = n.kind AND d.payload = n.payload)
    ORDER BY n.batch_index;
  END IF;

  RETURN pg_catalog.jsonb_build_object(
    'inserted', inserted,
    'duplicates', kept - refused - inserted,
    'rejected', (SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                          'index', (x.r ->> 'index')::integer, 'field', x.r ->> 'field', 'error', x.r ->> 'error')
                        ORDER BY (x.r ->> 'index')::integer), '[]')
                 FROM pg_catalog.jsonb_array_elements(rejected) AS x(r)));
END
$fn$;

REVOKE ALL ON FUNCTION public.record_engagement_events(json, text) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.record_engagement_events(json, text) TO service_role;
