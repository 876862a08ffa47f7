-- Carries sql/functions/engagement_events_from_json.sql, sql/functions/record_engagement_events.sql, sql/functions/record_comment_hashtags.sql, sql/functions/social_posts_record_topic_mentions.sql.
-- Written by hand (the files' content, as npm run sql:migration writes it): engagement_events_from_json
-- returns a new column, workspace_id (the resolved post's), which CREATE OR REPLACE cannot add, so it is
-- dropped first. record_engagement_events, record_comment_hashtags and social_posts_record_topic_mentions
-- now write workspace_id themselves, so the per-row fill triggers (WHEN workspace_id IS NULL) skip.
DROP FUNCTION public.engagement_events_from_json(json, integer[]);
--> statement-breakpoint
-- sql/functions/engagement_events_from_json.sql
-- The rows of a JSON array of engagement events (the objects recordEngagementEvents takes, same keys),
-- validated and resolved the way the TypeScript path does it: one output row per element (except the
-- positions in `unreadable`, elements jsonb cannot hold, which record_engagement_events rejects
-- itself). `ok` rows carry the columns to insert, with the event key derived as eventKeySource() +
-- eventKey() do and the workspace of the post they resolved to (so the insert names it and the
-- per-row fill trigger never runs); the others carry the field at fault and the reason (zod's words:
-- the first issue, then "; also <field>: <reason>" for the rest) and the element as payload for the
-- dead letter.
-- Used by record_engagement_events; STABLE (reads posts and platforms, writes nothing). Every step is
-- MATERIALIZED: inlined, each reference to a column repeats its whole expression (the element's
-- jsonb conversion, the time's regex) and a call took 25 ms per row.
CREATE OR REPLACE FUNCTION public.engagement_events_from_json(events json, unreadable integer[] DEFAULT '{}')
RETURNS TABLE (
  idx integer,
  ok boolean,
  field text,
  error text,
  payload jsonb,
  post_id uuid,
  event_timestamp timestamptz,
  event_key bigint,
  event_value integer,
  user_follower_count integer,
  event_type varchar,
  platform_user_id varchar,
  platform_username varchar,
  country_code bpchar,
  age_range varchar,
  gender varchar,
  event_metadata jsonb,
  workspace_id uuid
)
LANGUAGE sql
STABLE
SET search_path = ''
AS $fn$
WITH raw AS MATERIALIZED (
  SELECT (x.ord - 1)::integer AS idx, x.v AS j, x.v::jsonb AS e
  FROM pg_catalog.json_array_elements(events) WITH ORDINALITY AS x(v, ord)
  WHERE NOT ((x.ord - 1)::integer = ANY (coalesce(unreadable, '{}')))
),
f AS MATERIALIZED (
  SELECT r.idx, r.j, r.e,
    pg_catalog.jsonb_typeof(r.e) AS t_row,
    pg_catalog.jsonb_typeof(r.e -> 'postId') AS t_post, r.e ->> 'postId' AS post_s,
    pg_catalog.jsonb_typeof(r.e -> 'platform') AS t_plat, r.e ->> 'platform' AS plat_s,
    pg_catalog.jsonb_typeof(r.e -> 'platformPostId') AS t_ppid, r.e ->> 'platformPostId' AS ppid_s,
    pg_catalog.jsonb_typeof(r.e -> 'eventType') AS t_type, r.e ->> 'eventType' AS type_s,
    pg_catalog.jsonb_typeof(r.e -> 'eventTimestamp') AS t_ts, r.e ->> 'eventTimestamp' AS ts_s,
    pg_catalog.jsonb_typeof(r.e -> 'platformEventId') AS t_evid, r.e ->> 'platformEventId' AS evid_s,
    pg_catalog.jsonb_typeof(r.e -> 'platformUserId') AS t_uid, r.e ->> 'platformUserId' AS uid_s,
    pg_catalog.jsonb_typeof(r.e -> 'platformUsername') AS t_uname, r.e ->> 'platformUsername' AS uname_s,
    pg_catalog.jsonb_typeof(r.e -> 'userFollowerCount') AS t_foll, r.e ->> 'userFollowerCount' AS foll_s,
    pg_catalog.jsonb_typeof(r.e -> 'eventValue') AS t_val, r.e ->> 'eventValue' AS val_s,
    pg_catalog.jsonb_typeof(r.e -> 'countryCode') AS t_cc, r.e ->> 'countryCode' AS cc_s,
    pg_catalog.jsonb_typeof(r.e -> 'ageRange') AS t_age, r.e ->> 'ageRange' AS age_s,
    pg_catalog.jsonb_typeof(r.e -> 'gender') AS t_gender, r.e ->> 'gender' AS gender_s,
    pg_catalog.jsonb_typeof(r.e -> 'eventMetadata') AS t_meta
  FROM raw r
),
g AS MATERIALIZED (
  -- Parsed values, each only where its text passed the check that makes the cast safe.
  SELECT f.*,
    CASE WHEN f.t_post = 'string' AND f.post_s ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
      THEN f.post_s::uuid END AS post_uuid,
    -- z.iso.datetime({ offset: true }): a real calendar date, seconds required, Z or +hh:mm.
    CASE WHEN f.t_ts = 'string' AND f.ts_s ~ '^(?:(?:[0-9][0-9][2468][048]|[0-9][0-9][13579][26]|[0-9][0-9]0[48]|[02468][048]00|[13579][26]00)-02-29|[0-9]{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|(?:02)-(?:0[1-9]|1[0-9]|2[0-8])))T(?:(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]+)?(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9]))$'
      THEN CASE
        -- Years before 1969 are out of range anyway (and year 0000 is no PostgreSQL date).
        WHEN pg_catalog.left(f.ts_s, 4) < '1969' THEN '-infinity'::timestamptz
        -- A JavaScript Date keeps milliseconds, cut (not rounded) from longer fractions.
        WHEN f.ts_s ~ '\.[0-9]{4}' THEN pg_catalog.regexp_replace(f.ts_s, '(\.[0-9]{3})[0-9]+', '\1')::timestamptz
        ELSE f.ts_s::timestamptz
      END END AS ts,
    CASE WHEN f.t_foll = 'number' THEN f.foll_s::numeric END AS foll_n,
    CASE WHEN f.t_val = 'number' THEN f.val_s::numeric END AS val_n,
    -- String.prototype.trim() whitespace, then upper case.
    CASE WHEN f.t_cc = 'string' THEN pg_catalog.upper(pg_catalog.btrim(f.cc_s,
      E' \t\n\u000b\f\r\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff')) END AS cc_u
  FROM f
),
h AS MATERIALIZED (
  -- Every issue, in the schema's key order (zod's), as 'field<US>reason'; unknown keys last.
  SELECT g.*,
    CASE WHEN g.t_row IS DISTINCT FROM 'object' THEN
      ARRAY['(row)' || E'\x1f' || 'Invalid input: expected object, received ' || g.t_row]
    ELSE pg_catalog.array_remove(ARRAY[
      CASE WHEN g.t_post IS NOT NULL AND g.post_uuid IS NULL THEN 'postId' || E'\x1f' || 'not a uuid' END,
      CASE WHEN g.t_plat IS NOT NULL AND g.t_plat <> 'string' THEN 'platform' || E'\x1f' || 'Invalid input: expected string, received ' || g.t_plat END,
      CASE WHEN g.t_plat = 'string' AND pg_catalog.length(g.plat_s) > 50
        THEN 'platform' || E'\x1f' || 'at most 50 characters' END,
      CASE WHEN g.t_plat = 'string' AND g.plat_s !~ '^[a-z][a-z0-9_]*$'
        THEN 'platform' || E'\x1f' || 'a platform name: lower-case letters, digits and _' END,
      CASE WHEN g.t_ppid IS NULL THEN NULL
        WHEN g.t_ppid <> 'string' THEN 'platformPostId' || E'\x1f' || 'Invalid input: expected string, received ' || g.t_ppid
        WHEN pg_catalog.length(g.ppid_s) > 100
          THEN 'platformPostId' || E'\x1f' || 'at most 100 characters'
        WHEN g.ppid_s = '' THEN 'platformPostId' || E'\x1f' || 'must not be empty' END,
      CASE WHEN g.t_type IS DISTINCT FROM 'string'
        OR g.type_s NOT IN ('like', 'comment', 'share', 'save', 'view', 'profile_visit', 'website_click')
        THEN 'eventType' || E'\x1f' || 'expected one of like, comment, share, save, view, profile_visit, website_click' END,
      CASE WHEN g.t_ts IS DISTINCT FROM 'string'
          THEN 'eventTimestamp' || E'\x1f' || 'expected a Date or an ISO 8601 time with a zone, e.g. 2026-11-24T10:00:00Z'
        WHEN g.ts IS NULL THEN 'eventTimestamp' || E'\x1f' || 'Invalid ISO datetime'
        WHEN g.ts < '1970-01-01T00:00:00Z'::timestamptz
          THEN 'eventTimestamp' || E'\x1f' || 'before 1970-01-01: a bad clock or seconds read as milliseconds'
        WHEN g.ts > pg_catalog.now() + interval '87840 hours'
          THEN 'eventTimestamp' || E'\x1f' || 'more than 10 years in the future' END,
      CASE WHEN g.t_evid IS NULL OR g.t_evid = 'null' THEN NULL
        WHEN g.t_evid <> 'string' THEN 'platformEventId' || E'\x1f' || 'Invalid input: expected string, received ' || g.t_evid
        WHEN pg_catalog.length(g.evid_s) > 500
          THEN 'platformEventId' || E'\x1f' || 'at most 500 characters'
        WHEN g.evid_s = '' THEN 'platformEventId' || E'\x1f' || 'must not be empty' END,
      CASE WHEN g.t_uid IS NULL OR g.t_uid = 'null' THEN NULL
        WHEN g.t_uid <> 'string' THEN 'platformUserId' || E'\x1f' || 'Invalid input: expected string, received ' || g.t_uid
        WHEN pg_catalog.length(g.uid_s) > 100
          THEN 'platformUserId' || E'\x1f' || 'at most 100 characters' END,
      CASE WHEN g.t_uname IS NULL OR g.t_uname = 'null' THEN NULL
        WHEN g.t_uname <> 'string' THEN 'platformUsername' || E'\x1f' || 'Invalid input: expected string, received ' || g.t_uname
        WHEN pg_catalog.length(g.uname_s) > 100
          THEN 'platformUsername' || E'\x1f' || 'at most 100 characters' END,
      -- z.number().int(): a fraction stops the checks; an integer beyond 2^53 is reported and they go on.
      CASE WHEN g.t_foll IS NULL OR g.t_foll = 'null' THEN NULL
        WHEN g.t_foll <> 'number' OR g.foll_n <> pg_catalog.trunc(g.foll_n) OR pg_catalog.abs(g.foll_n) > 9007199254740991
          THEN 'userFollowerCount' || E'\x1f' || 'expected an integer' END,
      CASE WHEN g.foll_n = pg_catalog.trunc(g.foll_n) AND g.foll_n < 0 THEN 'userFollowerCount' || E'\x1f' || 'must not be negative' END,
      CASE WHEN g.foll_n = pg_catalog.trunc(g.foll_n) AND g.foll_n > 2147483647 THEN 'userFollowerCount' || E'\x1f' || 'at most 2147483647' END,
      CASE WHEN g.t_val IS NULL THEN NULL
        WHEN g.t_val <> 'number' OR g.val_n <> pg_catalog.trunc(g.val_n) OR pg_catalog.abs(g.val_n) > 9007199254740991
          THEN 'eventValue' || E'\x1f' || 'expected an integer' END,
      CASE WHEN g.val_n = pg_catalog.trunc(g.val_n) AND g.val_n < 0 THEN 'eventValue' || E'\x1f' || 'must not be negative' END,
      CASE WHEN g.val_n = pg_catalog.trunc(g.val_n) AND g.val_n > 86400 THEN 'eventValue' || E'\x1f' || 'at most 86400 (MAX_EVENT_VALUE)' END,
      CASE WHEN g.t_cc IS NULL OR g.t_cc = 'null' THEN NULL
        WHEN g.t_cc <> 'string' THEN 'countryCode' || E'\x1f' || 'Invalid input: expected string, received ' || g.t_cc
        WHEN g.cc_u !~ '^[A-Z]{2}$' THEN 'countryCode' || E'\x1f' || 'an ISO 3166-1 alpha-2 code, e.g. US' END,
      CASE WHEN g.t_age IS NOT NULL AND g.t_age <> 'null'
        AND (g.t_age <> 'string' OR g.age_s NOT IN ('13-17', '18-24', '25-34', '35-44', '45-54', '55-64', '65+'))
        THEN 'ageRange' || E'\x1f' || 'expected one of 13-17, 18-24, 25-34, 35-44, 45-54, 55-64, 65+' END,
      CASE WHEN g.t_gender IS NOT NULL AND g.t_gender <> 'null'
        AND (g.t_gender <> 'string' OR g.gender_s NOT IN ('female', 'male', 'other', 'unknown'))
        THEN 'gender' || E'\x1f' || 'expected one of female, male, other, unknown' END,
      CASE WHEN g.t_meta IS NULL OR g.t_meta = 'null' THEN NULL
        WHEN g.t_meta <> 'object' THEN 'eventMetadata' || E'\x1f' || 'Invalid input: expected record, received ' || g.t_meta
        -- Measured on jsonb's text, which has a space after each ':' and ',' that JSON.stringify leaves out.
        WHEN pg_catalog.octet_length((g.e -> 'eventMetadata')::text) > 65536
          THEN 'eventMetadata' || E'\x1f' || 'larger than 65536 bytes as JSON' END,
      CASE WHEN (g.e - ARRAY['postId', 'platform', 'platformPostId', 'eventType', 'eventTimestamp',
          'platformEventId', 'platformUserId', 'platformUsername', 'userFollowerCount', 'eventValue', 'countryCode',
          'ageRange', 'gender', 'eventMetadata']) <> '{}'::jsonb
        -- The unknown keys in the order they were written (json keeps it; jsonb sorts keys).
        THEN (SELECT pg_catalog.string_agg(k.key, ', ' ORDER BY k.first)
              FROM (SELECT o.key, pg_catalog.min(o.n) AS first
                    FROM pg_catalog.json_object_keys(g.j) WITH ORDINALITY AS o(key, n)
                    WHERE o.key NOT IN ('postId', 'platform', 'platformPostId', 'eventType', 'eventTimestamp',
                      'platformEventId', 'platformUserId', 'platformUsername', 'userFollowerCount', 'eventValue',
                      'countryCode', 'ageRange', 'gender', 'eventMetadata')
                    GROUP BY o.key) k) || E'\x1f' || 'unknown field' END
    ], NULL) END AS issues
  FROM g
),
i AS MATERIALIZED (
  -- The object-level rule runs, as zod's superRefine does, only on a row with no other issue.
  SELECT h.*,
    CASE WHEN pg_catalog.cardinality(h.issues) > 0 THEN h.issues
      WHEN h.t_post IS NULL AND h.t_ppid IS NULL THEN ARRAY['postId' || E'\x1f' || 'name the post: postId, or platform + platformPostId']
      WHEN h.t_post IS NOT NULL AND h.t_ppid IS NOT NULL THEN ARRAY['platformPostId' || E'\x1f' || 'give postId or platformPostId, not both']
      WHEN h.t_ppid IS NOT NULL AND h.t_plat IS NULL THEN ARRAY['platform' || E'\x1f' || 'required with platformPostId']
      ELSE '{}'::text[] END AS all_issues
  FROM h
),
p AS MATERIALIZED (
  -- Posts: by uuid (any case), or by platform + platform_post_id.
  SELECT i.*,
    pg_catalog.cardinality(i.all_issues) = 0 AS valid,
    coalesce(byid.id, bypair.id) AS found_post,
    coalesce(byid.workspace_id, bypair.workspace_id) AS found_workspace,
    coalesce(byid_pl.name, pl.name) AS found_platform,
    byid_pl.name AS post_platform,
    pl.id AS platform_id
  FROM i
  LEFT JOIN public.social_posts byid ON byid.id = i.post_uuid AND pg_catalog.cardinality(i.all_issues) = 0
  LEFT JOIN public.social_platforms byid_pl ON byid_pl.id = byid.platform_id
  LEFT JOIN public.social_platforms pl ON i.post_uuid IS NULL AND pg_catalog.cardinality(i.all_issues) = 0 AND pl.name = i.plat_s
  LEFT JOIN public.social_posts bypair ON bypair.platform_id = pl.id AND bypair.platform_post_id = i.ppid_s
),
v AS MATERIALIZED (
  SELECT p.*,
    CASE
      WHEN NOT p.valid THEN NULL
      WHEN p.post_uuid IS NOT NULL AND p.found_post IS NULL THEN 'postId' || E'\x1f' || 'no post with id ' || p.post_s
      WHEN p.post_uuid IS NOT NULL AND p.t_plat = 'string' AND p.plat_s <> p.post_platform
        THEN 'platform' || E'\x1f' || 'post ' || p.post_s || ' is on ' || p.post_platform || ', not ' || p.plat_s
      WHEN p.post_uuid IS NULL AND p.platform_id IS NULL THEN 'platform' || E'\x1f' || 'unknown platform ''' || p.plat_s || ''''
      WHEN p.post_uuid IS NULL AND p.found_post IS NULL
        THEN 'platformPostId' || E'\x1f' || 'no ' || p.plat_s || ' post with platform_post_id ''' || p.ppid_s || ''''
    END AS post_issue
  FROM p
),
w AS MATERIALIZED (
  SELECT v.*, v.valid AND v.post_issue IS NULL AS ok FROM v
)
SELECT
  w.idx,
  w.ok,
  CASE WHEN NOT w.valid THEN pg_catalog.split_part(w.all_issues[1], E'\x1f', 1)
    ELSE pg_catalog.split_part(w.post_issue, E'\x1f', 1) END AS field,
  CASE WHEN NOT w.valid THEN
      pg_catalog.substr(w.all_issues[1], pg_catalog.strpos(w.all_issues[1], E'\x1f') + 1)
      || coalesce('; also ' || (SELECT pg_catalog.string_agg(pg_catalog.replace(x.issue, E'\x1f', ': '), '; ' ORDER BY x.n)
                               FROM pg_catalog.unnest(w.all_issues[2:]) WITH ORDINALITY AS x(issue, n)), '')
    ELSE pg_catalog.substr(w.post_issue, pg_catalog.strpos(w.post_issue, E'\x1f') + 1) END AS error,
  CASE WHEN NOT w.ok THEN w.e END AS payload,
  CASE WHEN w.ok THEN w.found_post END AS post_id,
  CASE WHEN w.ok THEN w.ts END AS event_timestamp,
  -- eventKeySource(): '<platform>:<platformEventId>', else
  -- '<platform>:<post uuid>:<eventType>:<platformUserId or ''>:<time as ISO 8601 UTC, milliseconds>'.
  CASE WHEN w.ok THEN public.engagement_event_key(
    CASE WHEN w.t_evid = 'string' THEN w.found_platform || ':' || w.evid_s
    ELSE w.found_platform || ':' || w.found_post::text || ':' || w.type_s || ':' || coalesce(w.uid_s, '') || ':'
      || pg_catalog.to_char(w.ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') END) END AS event_key,
  CASE WHEN w.ok THEN coalesce(w.val_n, 1)::integer END AS event_value,
  CASE WHEN w.ok THEN w.foll_n::integer END AS user_follower_count,
  CASE WHEN w.ok THEN w.type_s::varchar END AS event_type,
  CASE WHEN w.ok THEN w.uid_s::varchar END AS platform_user_id,
  CASE WHEN w.ok THEN w.uname_s::varchar END AS platform_username,
  CASE WHEN w.ok THEN w.cc_u::bpchar END AS country_code,
  CASE WHEN w.ok THEN w.age_s::varchar END AS age_range,
  CASE WHEN w.ok THEN w.gender_s::varchar END AS gender,
  CASE WHEN w.ok AND w.t_meta = 'object' THEN w.e -> 'eventMetadata' END AS event_metadata,
  CASE WHEN w.ok THEN w.found_workspace END AS workspace_id
FROM w
$fn$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION public.engagement_events_from_json(json, integer[]) FROM PUBLIC, anon, authenticated, service_role;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION public.engagement_events_from_json(json, integer[]) TO service_role;
--> statement-breakpoint
-- sql/functions/record_engagement_events.sql
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
--> statement-breakpoint
REVOKE ALL ON FUNCTION public.record_engagement_events(json, text) FROM PUBLIC, anon, authenticated, service_role;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION public.record_engagement_events(json, text) TO service_role;
--> statement-breakpoint
-- sql/functions/record_comment_hashtags.sql
-- Records the hashtags of queued comments (topic_comment_queue) as topic mentions: drains the queue
-- and returns the mentions recorded. Concurrent drains never record a comment twice (a deleted queue
-- row is skipped by the second DELETE, and mention keys are unique anyway). DELETE ... WHERE true:
-- pg-safeupdate (loaded by the Data API) refuses a DELETE without WHERE, even inside a function.
-- A comment's mentions are its post's workspace's (named here: the post is joined anyway, so the
-- per-row fill trigger is skipped); comments of a post deleted meanwhile are dropped with the queue.
CREATE OR REPLACE FUNCTION public.record_comment_hashtags()
 RETURNS bigint
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  recorded bigint;
BEGIN
  WITH drained AS (
    -- WHERE true: the Data API's pg-safeupdate refuses a DELETE without WHERE, even inside a function.
    DELETE FROM topic_comment_queue WHERE true RETURNING *
  )
  INSERT INTO topic_mentions (mention_key, mentioned_at, platform_id, engagement_weight, post_id, topic_name, topic_type, source,
                              workspace_id)
  SELECT topic_mention_key('comment', p.platform_id, q.post_id::text || ':' || q.event_key::text, tag.name),
         q.event_timestamp, p.platform_id, 1, q.post_id, tag.name, 'hashtag', 'comment', p.workspace_id
  FROM drained q
  JOIN social_posts p ON p.id = q.post_id
  CROSS JOIN LATERAL (
    SELECT DISTINCT normalize_topic_name(x.m[1]) AS name
    FROM (
      SELECT m FROM regexp_matches(q.comment_text, '#([[:alnum:]_]{1,100})(?![[:alnum:]_])', 'g') AS m LIMIT 30
    ) x
  ) tag
  ON CONFLICT (mention_key) DO NOTHING;
  GET DIAGNOSTICS recorded = ROW_COUNT;
  RETURN recorded;
END
$function$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION public.record_comment_hashtags() FROM PUBLIC, anon, authenticated, service_role;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION public.record_comment_hashtags() TO service_role;
--> statement-breakpoint
-- sql/functions/social_posts_record_topic_mentions.sql
-- Our own posts: when a post is (re)published, its hashtags become own_post mentions at published_at.
-- SECURITY DEFINER because an editor may publish a post of their workspace but has no write access to
-- topic_mentions; the function writes only rows derived from the post it fires for, in the post's
-- workspace (a post never changes workspace, so its mentions never have to move).
CREATE OR REPLACE FUNCTION public.social_posts_record_topic_mentions()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  too_long text;
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.status = 'published' AND OLD.hashtags = NEW.hashtags
     AND OLD.published_at IS NOT DISTINCT FROM NEW.published_at AND OLD.platform_id = NEW.platform_id THEN
    RETURN NULL;
  END IF;

  -- The post's current hashtags and publication time replace what it recorded before.
  DELETE FROM topic_mentions m
  WHERE m.post_id = NEW.id AND m.source = 'own_post'
    AND (m.mentioned_at <> NEW.published_at OR m.platform_id <> NEW.platform_id
         OR m.topic_name <> ALL (SELECT normalize_topic_name(h) FROM unnest(NEW.hashtags) h WHERE h IS NOT NULL));

  INSERT INTO topic_mentions (mention_key, mentioned_at, platform_id, engagement_weight, post_id, topic_name, topic_type, source,
                              workspace_id)
  SELECT topic_mention_key('own_post', NEW.platform_id, NEW.id::text, t.name), NEW.published_at, NEW.platform_id, 1,
         NEW.id, t.name, 'hashtag', 'own_post', NEW.workspace_id
  FROM (SELECT DISTINCT normalize_topic_name(h) AS name FROM unnest(NEW.hashtags) h) t
  WHERE t.name IS NOT NULL AND char_length(t.name) <= 100
  ON CONFLICT (mention_key) DO NOTHING;

  SELECT string_agg(h, ', ') INTO too_long FROM unnest(NEW.hashtags) h WHERE char_length(normalize_topic_name(h)) > 100;
  IF too_long IS NOT NULL THEN
    RAISE WARNING 'topic_mentions: post % hashtags longer than 100 characters are not topics: %', NEW.id, too_long;
  END IF;
  RETURN NULL;
END
$function$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION public.social_posts_record_topic_mentions() FROM PUBLIC, anon, authenticated, service_role;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION public.social_posts_record_topic_mentions() TO service_role;
