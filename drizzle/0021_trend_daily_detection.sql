-- Trend detection (issue 7), part 2: the daily rollup's maintenance and detect_trending_topics.
-- topic_mention_daily replaces the hourly rollup of trend_topic_mentions: detection reads one row per
-- topic and UTC day instead of one per topic and hour (see docs/trends.md, Performance).

-- 1. The hourly rollup's triggers and function go with its table (dropped by trend_drop_hourly_rollup).
DROP TRIGGER IF EXISTS topic_mentions_hourly_insert ON topic_mentions;
--> statement-breakpoint
DROP TRIGGER IF EXISTS topic_mentions_hourly_update ON topic_mentions;
--> statement-breakpoint
DROP TRIGGER IF EXISTS topic_mentions_hourly_delete ON topic_mentions;
--> statement-breakpoint
DROP TRIGGER IF EXISTS topic_mentions_hourly_truncate ON topic_mentions;
--> statement-breakpoint
DROP FUNCTION IF EXISTS topic_mentions_maintain_hourly();
--> statement-breakpoint

-- 2. Element-wise sums of the cumulative hour arrays of topic_mention_daily.
CREATE OR REPLACE FUNCTION int_array_add(a integer[], b integer[]) RETURNS integer[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT array_agg(x + y ORDER BY n) FROM unnest(a, b) WITH ORDINALITY AS u(x, y, n) $$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION int_array_add(integer[], integer[]) FROM PUBLIC, anon, authenticated;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION int_array_add(integer[], integer[]) TO service_role;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION bigint_array_add(a bigint[], b bigint[]) RETURNS bigint[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT array_agg(x + y ORDER BY n) FROM unnest(a, b) WITH ORDINALITY AS u(x, y, n) $$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION bigint_array_add(bigint[], bigint[]) FROM PUBLIC, anon, authenticated;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION bigint_array_add(bigint[], bigint[]) TO service_role;
--> statement-breakpoint

-- The daily rollup follows topic_mentions statement by statement: one aggregate per statement, not one
-- upsert per row. Each (UTC day, platform, topic) row holds running totals by hour: cum_mentions[h] is
-- the number of mentions from 00:00 to the end of hour h-1 (1-based), so any whole-hour range of the day
-- is a difference of two elements. Rows are written in key order so concurrent writers lock them in the
-- same order.
--    SECURITY DEFINER: the trigger also fires on a signed-in user's own writes (deleting their post sets
--    post_id to NULL here), and that user has no privilege on the rollup; it only writes what the
--    triggering statement's rows imply (see migration 0018).
CREATE OR REPLACE FUNCTION topic_mentions_maintain_daily() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    TRUNCATE topic_mention_daily;
    RETURN NULL;
  END IF;

  IF TG_OP IN ('DELETE', 'UPDATE') THEN
    WITH agg AS (
      SELECT (o.mentioned_at AT TIME ZONE 'UTC')::date AS day, o.platform_id, o.topic_name,
             extract(hour FROM o.mentioned_at AT TIME ZONE 'UTC')::int AS hr,
             count(*)::int AS n, sum(o.engagement_weight)::bigint AS w,
             count(*) FILTER (WHERE o.topic_type = 'hashtag')::int AS h,
             count(*) FILTER (WHERE o.topic_type = 'keyword')::int AS k,
             count(*) FILTER (WHERE o.topic_type = 'mention')::int AS m
      FROM old_mentions o
      GROUP BY 1, 2, 3, 4
    ),
    cells AS (
      SELECT g.day, g.platform_id, g.topic_name, i.hr,
             sum(coalesce(a.n, 0)) OVER w AS cn, sum(coalesce(a.w, 0)) OVER w AS cw
      FROM (SELECT DISTINCT day, platform_id, topic_name FROM agg) g
      CROSS JOIN generate_series(0, 23) AS i(hr)
      LEFT JOIN agg a ON a.day = g.day AND a.platform_id = g.platform_id AND a.topic_name = g.topic_name AND a.hr = i.hr
      WINDOW w AS (PARTITION BY g.day, g.platform_id, g.topic_name ORDER BY i.hr)
    ),
    gone AS (
      SELECT c.day, c.platform_id, c.topic_name,
             array_agg(-c.cn::int ORDER BY c.hr) AS cm, array_agg(-c.cw::bigint ORDER BY c.hr) AS ce,
             (SELECT sum(a.h)::int FROM agg a WHERE (a.day, a.platform_id, a.topic_name) = (c.day, c.platform_id, c.topic_name)) AS h,
             (SELECT sum(a.k)::int FROM agg a WHERE (a.day, a.platform_id, a.topic_name) = (c.day, c.platform_id, c.topic_name)) AS k,
             (SELECT sum(a.m)::int FROM agg a WHERE (a.day, a.platform_id, a.topic_name) = (c.day, c.platform_id, c.topic_name)) AS m
      FROM cells c
      GROUP BY 1, 2, 3
    )
    UPDATE topic_mention_daily r
    SET cum_mentions = int_array_add(r.cum_mentions, g.cm),
        cum_engagement = bigint_array_add(r.cum_engagement, g.ce),
        hashtag_count = r.hashtag_count - g.h,
        keyword_count = r.keyword_count - g.k,
        at_mention_count = r.at_mention_count - g.m
    FROM gone g
    WHERE r.day = g.day AND r.platform_id = g.platform_id AND r.topic_name = g.topic_name;

    DELETE FROM topic_mention_daily r
    WHERE r.cum_mentions[24] = 0
      AND r.day BETWEEN (SELECT min(o.mentioned_at AT TIME ZONE 'UTC')::date FROM old_mentions o)
                    AND (SELECT max(o.mentioned_at AT TIME ZONE 'UTC')::date FROM old_mentions o);
  END IF;

  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    WITH agg AS (
      SELECT (n.mentioned_at AT TIME ZONE 'UTC')::date AS day, n.platform_id, n.topic_name,
             extract(hour FROM n.mentioned_at AT TIME ZONE 'UTC')::int AS hr,
             count(*)::int AS n, sum(n.engagement_weight)::bigint AS w,
             count(*) FILTER (WHERE n.topic_type = 'hashtag')::int AS h,
             count(*) FILTER (WHERE n.topic_type = 'keyword')::int AS k,
             count(*) FILTER (WHERE n.topic_type = 'mention')::int AS m
      FROM new_mentions n
      GROUP BY 1, 2, 3, 4
    ),
    keys AS (
      SELECT a.day, a.platform_id, a.topic_name, sum(a.h)::int AS h, sum(a.k)::int AS k, sum(a.m)::int AS m
      FROM agg a
      GROUP BY 1, 2, 3
    ),
    cells AS (
      SELECT g.day, g.platform_id, g.topic_name, i.hr,
             sum(coalesce(a.n, 0)) OVER w AS cn, sum(coalesce(a.w, 0)) OVER w AS cw
      FROM keys g
      CROSS JOIN generate_series(0, 23) AS i(hr)
      LEFT JOIN agg a ON a.day = g.day AND a.platform_id = g.platform_id AND a.topic_name = g.topic_name AND a.hr = i.hr
      WINDOW w AS (PARTITION BY g.day, g.platform_id, g.topic_name ORDER BY i.hr)
    ),
    added AS (
      SELECT c.day, c.platform_id, c.topic_name,
             array_agg(c.cn::int ORDER BY c.hr) AS cm, array_agg(c.cw::bigint ORDER BY c.hr) AS ce
      FROM cells c
      GROUP BY 1, 2, 3
    )
    INSERT INTO topic_mention_daily AS r
      (day, platform_id, topic_name, hashtag_count, keyword_count, at_mention_count, cum_mentions, cum_engagement)
    SELECT d.day, d.platform_id, d.topic_name, g.h, g.k, g.m, d.cm, d.ce
    FROM added d
    JOIN keys g ON g.day = d.day AND g.platform_id = d.platform_id AND g.topic_name = d.topic_name
    ORDER BY 1, 2, 3
    ON CONFLICT (day, platform_id, topic_name) DO UPDATE
    SET cum_mentions = int_array_add(r.cum_mentions, excluded.cum_mentions),
        cum_engagement = bigint_array_add(r.cum_engagement, excluded.cum_engagement),
        hashtag_count = r.hashtag_count + excluded.hashtag_count,
        keyword_count = r.keyword_count + excluded.keyword_count,
        at_mention_count = r.at_mention_count + excluded.at_mention_count;
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION topic_mentions_maintain_daily() FROM PUBLIC, anon, authenticated;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION topic_mentions_maintain_daily() TO service_role;
--> statement-breakpoint
CREATE TRIGGER topic_mentions_daily_insert AFTER INSERT ON topic_mentions
REFERENCING NEW TABLE AS new_mentions FOR EACH STATEMENT EXECUTE FUNCTION topic_mentions_maintain_daily();
--> statement-breakpoint
CREATE TRIGGER topic_mentions_daily_update AFTER UPDATE ON topic_mentions
REFERENCING OLD TABLE AS old_mentions NEW TABLE AS new_mentions FOR EACH STATEMENT EXECUTE FUNCTION topic_mentions_maintain_daily();
--> statement-breakpoint
CREATE TRIGGER topic_mentions_daily_delete AFTER DELETE ON topic_mentions
REFERENCING OLD TABLE AS old_mentions FOR EACH STATEMENT EXECUTE FUNCTION topic_mentions_maintain_daily();
--> statement-breakpoint
CREATE TRIGGER topic_mentions_daily_truncate AFTER TRUNCATE ON topic_mentions
FOR EACH STATEMENT EXECUTE FUNCTION topic_mentions_maintain_daily();
--> statement-breakpoint

-- 3. Detection. Parameters only: no SQL text is accepted or built (the design's RPC ran caller-supplied SQL).
--    Resolution is the UTC hour: the current window ends at the start of as_of's hour and both windows
--    are whole hours, so detection reads only topic_mention_daily (never the raw mentions): per topic,
--    one row per UTC day the two windows touch (3 for the default 24 hours), whatever the number of
--    mentions. Run at :00 (pg_cron), nothing is left out; a run at 10:37 counts up to 10:00, and the
--    11:00 run sees the rest.
--    Lifecycle rules and thresholds: docs/trends.md (mirrored by TREND_THRESHOLDS in TypeScript).
CREATE OR REPLACE FUNCTION detect_trending_topics(
  "window" interval DEFAULT interval '24 hours',
  min_mentions integer DEFAULT 20,
  as_of timestamptz DEFAULT now()
)
RETURNS TABLE (
  topic_id uuid,
  topic_name varchar,
  platform_id integer,
  topic_type varchar,
  trend_status varchar,
  previous_status varchar,
  mention_count integer,
  previous_mention_count integer,
  engagement_score bigint,
  growth_rate numeric,
  engagement_growth_rate numeric,
  fitness_relevance_score smallint,
  content_opportunities text[],
  action text
)
LANGUAGE plpgsql
SET search_path = public, pg_temp
SET work_mem = '64MB'
SET jit = off
AS $$
#variable_conflict use_column
DECLARE
  window_end timestamptz;
  cur_lo timestamptz;
  prev_lo timestamptz;
  as_of_day date;
  end_h bigint;
  cur_h bigint;
  prev_h bigint;
BEGIN
  IF "window" IS NULL OR "window" < interval '1 hour' OR "window" > interval '90 days' THEN
    RAISE EXCEPTION 'window: % is out of range (1 hour .. 90 days)', "window" USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF extract(epoch FROM "window") % 3600 <> 0 THEN
    RAISE EXCEPTION 'window: % is not a whole number of hours (the resolution of topic_mention_daily)', "window"
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF min_mentions IS NULL OR min_mentions < 1 OR min_mentions > 1000000000 THEN
    RAISE EXCEPTION 'min_mentions: % is out of range (1 .. 1000000000)', min_mentions USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF as_of IS NULL OR NOT isfinite(as_of) THEN
    RAISE EXCEPTION 'as_of: must be a finite timestamp, not %', coalesce(as_of::text, 'NULL') USING ERRCODE = 'invalid_parameter_value';
  END IF;
  -- Two overlapping runs would both insert a new topic's row; one at a time.
  PERFORM pg_advisory_xact_lock(hashtext('detect_trending_topics'));

  -- Every run within the same hour is the same evaluation (and reruns of it give the same rows).
  window_end := date_trunc('hour', as_of, 'UTC');
  cur_lo := window_end - "window";
  prev_lo := cur_lo - "window";
  as_of_day := (window_end AT TIME ZONE 'UTC')::date;
  -- Window edges in hours since 1970-01-01 00:00 UTC.
  end_h := (extract(epoch FROM window_end) / 3600)::bigint;
  cur_h := (extract(epoch FROM cur_lo) / 3600)::bigint;
  prev_h := (extract(epoch FROM prev_lo) / 3600)::bigint;

  RETURN QUERY
  WITH days AS (
    -- k_* = hours from the row's midnight to each window edge; cum[k] counts the mentions before
    -- hour k of that day (0 before midnight, the day's total from hour 24 on).
    SELECT r.platform_id, r.topic_name, r.cum_mentions AS cm, r.cum_engagement AS ce,
           r.hashtag_count, r.keyword_count, r.at_mention_count,
           (end_h - (r.day - DATE '1970-01-01') * 24)::int AS k_end,
           (cur_h - (r.day - DATE '1970-01-01') * 24)::int AS k_cur,
           (prev_h - (r.day - DATE '1970-01-01') * 24)::int AS k_prev
    FROM topic_mention_daily r
    WHERE r.day >= (prev_lo AT TIME ZONE 'UTC')::date
      AND r.day <= ((window_end - interval '1 hour') AT TIME ZONE 'UTC')::date
  ),
  edges AS (
    SELECT d.platform_id, d.topic_name, d.hashtag_count, d.keyword_count, d.at_mention_count, d.k_end, d.k_cur,
           CASE WHEN d.k_end <= 0 THEN 0 WHEN d.k_end >= 24 THEN d.cm[24] ELSE d.cm[d.k_end] END AS m_end,
           CASE WHEN d.k_cur <= 0 THEN 0 WHEN d.k_cur >= 24 THEN d.cm[24] ELSE d.cm[d.k_cur] END AS m_cur,
           CASE WHEN d.k_prev <= 0 THEN 0 WHEN d.k_prev >= 24 THEN d.cm[24] ELSE d.cm[d.k_prev] END AS m_prev,
           -- float8: sum() over it stays in machine arithmetic (sum(bigint) is numeric).
           (CASE WHEN d.k_end <= 0 THEN 0 WHEN d.k_end >= 24 THEN d.ce[24] ELSE d.ce[d.k_end] END)::float8 AS w_end,
           (CASE WHEN d.k_cur <= 0 THEN 0 WHEN d.k_cur >= 24 THEN d.ce[24] ELSE d.ce[d.k_cur] END)::float8 AS w_cur,
           (CASE WHEN d.k_prev <= 0 THEN 0 WHEN d.k_prev >= 24 THEN d.ce[24] ELSE d.ce[d.k_prev] END)::float8 AS w_prev
    FROM days d
  ),
  win AS (
    SELECT e.platform_id, e.topic_name,
           sum(e.m_end - e.m_cur) AS c,
           sum(e.m_cur - e.m_prev) AS pc,
           sum(e.w_end - e.w_cur)::bigint AS cw,
           sum(e.w_cur - e.w_prev)::bigint AS pw,
           -- The topic's type is how it was written most often on the days the current window touches.
           sum(e.hashtag_count) FILTER (WHERE e.k_cur < 24) AS th,
           sum(e.keyword_count) FILTER (WHERE e.k_cur < 24) AS tk,
           sum(e.at_mention_count) FILTER (WHERE e.k_cur < 24) AS tm
    FROM edges e
    GROUP BY e.platform_id, e.topic_name
  ),
  active AS (
    SELECT DISTINCT ON (t.topic_name, t.platform_id)
           t.id, t.topic_name, t.platform_id, t.trend_status, t.previous_status, t.last_updated_at,
           t.peak_mention_count, t.trend_peak_date, t.topic_type
    FROM trending_topics t
    WHERE t.trend_status <> 'expired'
    ORDER BY t.topic_name, t.platform_id, t.first_detected_at DESC
  ),
  cand AS (
    SELECT coalesce(w.platform_id, a.platform_id) AS platform_id,
           coalesce(w.topic_name, a.topic_name)::varchar(100) AS topic_name,
           a.id AS active_id, a.peak_mention_count AS peak, a.trend_peak_date AS peak_date,
           -- A rerun for the same as_of starts from the status before that run: same data, same rows.
           CASE WHEN a.id IS NULL THEN NULL WHEN a.last_updated_at = window_end THEN a.previous_status ELSE a.trend_status END AS base,
           coalesce(w.c, 0) AS c, coalesce(w.pc, 0) AS pc, coalesce(w.cw, 0) AS cw, coalesce(w.pw, 0) AS pw,
           CASE WHEN w.th IS NULL THEN coalesce(a.topic_type, 'hashtag')
                WHEN w.th >= w.tk AND w.th >= w.tm THEN 'hashtag'
                WHEN w.tk >= w.tm THEN 'keyword'
                ELSE 'mention' END::varchar(20) AS ttype
    FROM win w
    FULL JOIN active a ON a.topic_name = w.topic_name AND a.platform_id = w.platform_id
    -- Rows a later run (as_of after this one) already evaluated are left alone.
    WHERE (a.id IS NOT NULL AND a.last_updated_at <= window_end) OR (a.id IS NULL AND w.c >= min_mentions)
  ),
  grown AS (
    -- Percent growth against the previous window; a topic absent from it is measured against one
    -- mention (0 -> 30 mentions is +3000 %), so growth is always defined. Capped at numeric(12,2).
    SELECT cd.*,
           least(round((cd.c - cd.pc)::numeric * 100 / greatest(cd.pc, 1), 2), 9999999999.99) AS g,
           least(round((cd.cw - cd.pw)::numeric * 100 / greatest(cd.pw, 1), 2), 9999999999.99) AS eg
    FROM cand cd
  ),
  decided AS MATERIALIZED (
    SELECT gr.*,
           CASE
             WHEN gr.c >= min_mentions AND gr.g >= 100 THEN 'trending'
             WHEN gr.base IS NULL OR gr.base = 'expired' THEN
               CASE WHEN gr.c >= min_mentions AND gr.g >= 25 THEN 'emerging' END
             WHEN gr.c < min_mentions THEN CASE WHEN gr.base = 'trending' THEN 'declining' ELSE 'expired' END
             WHEN gr.g <= -25 THEN 'declining'
             WHEN gr.g >= 25 THEN CASE WHEN gr.base = 'declining' THEN 'emerging' ELSE gr.base END
             ELSE CASE WHEN gr.base = 'trending' THEN 'trending' ELSE 'expired' END
           END::varchar(20) AS new_status,
           regexp_replace(gr.topic_name, '[[:space:]_-]+', '', 'g') AS compact
    FROM grown gr
  ),
  kept AS MATERIALIZED (
    SELECT d.* FROM decided d WHERE d.new_status IS NOT NULL
  ),
  scored AS (
    SELECT d.*, coalesce(rel.score, 0)::smallint AS relevance, coalesce(opp.list, '{}'::text[]) AS opportunities
    FROM kept d
    LEFT JOIN LATERAL (
      -- Strongest matching term, plus 5 per further match (compound hashtags), at most 100.
      SELECT CASE WHEN count(*) = 0 THEN 0 ELSE least(100, max(l.weight) + 5 * (count(*) - 1)) END AS score,
             (array_agg(l.category ORDER BY l.weight DESC, l.term) FILTER (WHERE l.category IS NOT NULL))[1] AS category
      FROM fitness_lexicon l
      WHERE CASE WHEN l.match_mode = 'exact' THEN l.term = d.compact ELSE strpos(d.compact, l.term) > 0 END
    ) rel ON true
    LEFT JOIN LATERAL (
      SELECT array_agg(s.suggestion ORDER BY s.direct DESC, s.rate DESC NULLS LAST, s.name, s.id) AS list
      FROM (
        SELECT ct.id, ct.name, ct.avg_engagement_rate AS rate, tpl.direct,
               CASE WHEN tpl.direct
                 THEN format('Template "%s" (%s) already uses #%s: post it while the topic is hot', ct.name, coalesce(ct.category, 'any category'), d.compact)
                 ELSE format('Template "%s" fits this %s topic: add #%s', ct.name, rel.category, d.compact)
               END AS suggestion
        FROM content_templates ct
        CROSS JOIN LATERAL (
          SELECT EXISTS (
            SELECT 1 FROM unnest(ct.hashtag_sets) hs, regexp_split_to_table(hs, '[[:space:],]+') tag
            WHERE normalize_topic_name(tag) = d.topic_name
          ) AS direct
        ) tpl
        WHERE (ct.platform_id IS NULL OR ct.platform_id = d.platform_id)
          AND (tpl.direct OR (rel.category IS NOT NULL
               AND (ct.category = rel.category OR left(ct.category, char_length(rel.category) + 1) = rel.category || '_')))
        ORDER BY tpl.direct DESC, ct.avg_engagement_rate DESC NULLS LAST, ct.name, ct.id
        LIMIT 5
      ) s
    ) opp ON true
  ),
  upd AS (
    UPDATE trending_topics t
    SET mention_count = s.c::int,
        previous_mention_count = s.pc::int,
        engagement_score = s.cw,
        growth_rate = s.g,
        engagement_growth_rate = s.eg,
        topic_type = s.ttype,
        previous_status = s.base,
        trend_status = s.new_status,
        peak_mention_count = greatest(s.peak, s.c::int),
        trend_peak_date = CASE WHEN s.c > s.peak THEN as_of_day ELSE s.peak_date END,
        fitness_relevance_score = s.relevance,
        content_opportunities = s.opportunities,
        last_updated_at = window_end
    FROM scored s
    WHERE t.id = s.active_id
    RETURNING t.id, t.topic_name, t.platform_id, t.topic_type, t.trend_status, t.previous_status, t.mention_count,
              t.previous_mention_count, t.engagement_score, t.growth_rate, t.engagement_growth_rate,
              t.fitness_relevance_score, t.content_opportunities, 'updated'::text AS action
  ),
  ins AS (
    INSERT INTO trending_topics AS t
      (topic_name, topic_type, platform_id, mention_count, previous_mention_count, engagement_score, growth_rate,
       engagement_growth_rate, trend_start_date, trend_peak_date, trend_status, previous_status, peak_mention_count,
       fitness_relevance_score, content_opportunities, first_detected_at, last_updated_at)
    SELECT s.topic_name, s.ttype, s.platform_id, s.c::int, s.pc::int, s.cw, s.g, s.eg, as_of_day, as_of_day,
           s.new_status, NULL, s.c::int, s.relevance, s.opportunities, window_end, window_end
    FROM scored s
    WHERE s.active_id IS NULL
    -- The topic expired earlier on this UTC day and is back: revive that day's row.
    ON CONFLICT (topic_name, platform_id, ((first_detected_at AT TIME ZONE 'UTC')::date)) DO UPDATE
    SET mention_count = excluded.mention_count,
        previous_mention_count = excluded.previous_mention_count,
        engagement_score = excluded.engagement_score,
        growth_rate = excluded.growth_rate,
        engagement_growth_rate = excluded.engagement_growth_rate,
        topic_type = excluded.topic_type,
        previous_status = t.trend_status,
        trend_status = excluded.trend_status,
        trend_start_date = excluded.trend_start_date,
        trend_peak_date = excluded.trend_peak_date,
        peak_mention_count = excluded.peak_mention_count,
        fitness_relevance_score = excluded.fitness_relevance_score,
        content_opportunities = excluded.content_opportunities,
        last_updated_at = excluded.last_updated_at
    WHERE t.last_updated_at <= excluded.last_updated_at
    RETURNING t.id, t.topic_name, t.platform_id, t.topic_type, t.trend_status, t.previous_status, t.mention_count,
              t.previous_mention_count, t.engagement_score, t.growth_rate, t.engagement_growth_rate,
              t.fitness_relevance_score, t.content_opportunities,
              CASE WHEN t.previous_status IS NULL THEN 'inserted' ELSE 'revived' END::text AS action
  )
  SELECT * FROM (SELECT * FROM upd UNION ALL SELECT * FROM ins) out
  ORDER BY array_position(ARRAY['trending', 'emerging', 'declining', 'expired']::varchar[], out.trend_status),
           out.growth_rate DESC NULLS LAST, out.topic_name, out.platform_id;
END
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION detect_trending_topics(interval, integer, timestamptz) FROM PUBLIC, anon, authenticated;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION detect_trending_topics(interval, integer, timestamptz) TO service_role;
--> statement-breakpoint

-- 4. API privileges of the rollup, from its policies (migration 0008).
SELECT count(*) FROM sync_api_grants(ARRAY['topic_mention_daily']::regclass[]);
