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

REVOKE ALL ON FUNCTION public.engagement_events_from_json(json, integer[]) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.engagement_events_from_json(json, integer[]) TO service_role;
