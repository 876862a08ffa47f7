-- Trend detection over topic_mention_daily (detect_trending_topics drains the comment queue, then
-- calls this). Resolution is the UTC hour: the current window ends at the start of as_of's hour and
-- both windows are whole hours, so detection reads only topic_mention_daily (never the raw mentions):
-- per topic, one row per UTC day the two windows touch (3 for the default 24 hours), whatever the
-- number of mentions. A run at 10:37 counts up to 10:00, and the 11:00 run sees the rest.
-- Each scope is detected apart: a workspace's trends come from its own posts and their comments, the
-- market's (workspace_id NULL) from external feeds; one workspace's mentions never reach another's rows.
CREATE OR REPLACE FUNCTION public.detect_trending_topics_in_mentions("window" interval DEFAULT '24:00:00'::interval, min_mentions integer DEFAULT 20, as_of timestamp with time zone DEFAULT now())
 RETURNS TABLE(topic_id uuid, workspace_id uuid, topic_name character varying, platform_id integer, topic_type character varying, trend_status character varying, previous_status character varying, mention_count integer, previous_mention_count integer, engagement_score bigint, growth_rate numeric, engagement_growth_rate numeric, fitness_relevance_score smallint, content_opportunities text[], action text)
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
 SET work_mem TO '64MB'
 SET jit TO 'off'
AS $function$
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
    SELECT r.workspace_id, r.platform_id, r.topic_name, r.cum_mentions AS cm, r.cum_engagement AS ce,
           r.hashtag_count, r.keyword_count, r.at_mention_count,
           (end_h - (r.day - DATE '1970-01-01') * 24)::int AS k_end,
           (cur_h - (r.day - DATE '1970-01-01') * 24)::int AS k_cur,
           (prev_h - (r.day - DATE '1970-01-01') * 24)::int AS k_prev
    FROM topic_mention_daily r
    WHERE r.day >= (prev_lo AT TIME ZONE 'UTC')::date
      AND r.day <= ((window_end - interval '1 hour') AT TIME ZONE 'UTC')::date
  ),
  edges AS (
    SELECT d.workspace_id, d.platform_id, d.topic_name, d.hashtag_count, d.keyword_count, d.at_mention_count, d.k_end, d.k_cur,
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
    SELECT e.workspace_id, e.platform_id, e.topic_name,
           sum(e.m_end - e.m_cur) AS c,
           sum(e.m_cur - e.m_prev) AS pc,
           sum(e.w_end - e.w_cur)::bigint AS cw,
           sum(e.w_cur - e.w_prev)::bigint AS pw,
           -- The topic's type is how it was written most often on the days the current window touches.
           sum(e.hashtag_count) FILTER (WHERE e.k_cur < 24) AS th,
           sum(e.keyword_count) FILTER (WHERE e.k_cur < 24) AS tk,
           sum(e.at_mention_count) FILTER (WHERE e.k_cur < 24) AS tm
    FROM edges e
    GROUP BY e.workspace_id, e.platform_id, e.topic_name
  ),
  active AS (
    SELECT DISTINCT ON (t.workspace_id, t.topic_name, t.platform_id)
           t.id, t.workspace_id, t.topic_name, t.platform_id, t.trend_status, t.previous_status, t.last_updated_at,
           t.peak_mention_count, t.trend_peak_date, t.topic_type
    FROM trending_topics t
    WHERE t.trend_status <> 'expired'
    ORDER BY t.workspace_id, t.topic_name, t.platform_id, t.first_detected_at DESC
  ),
  cand AS (
    SELECT CASE WHEN w.topic_name IS NULL THEN a.workspace_id ELSE w.workspace_id END AS workspace_id,
           coalesce(w.platform_id, a.platform_id) AS platform_id,
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
    -- coalesce: FULL JOIN needs a hashable condition, and the market (NULL) is a scope like any other.
    FULL JOIN active a ON a.topic_name = w.topic_name AND a.platform_id = w.platform_id
      AND coalesce(a.workspace_id, '00000000-0000-0000-0000-000000000000'::uuid) = coalesce(w.workspace_id, '00000000-0000-0000-0000-000000000000'::uuid)
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
        -- Only the workspace's own templates (a market trend suggests none: its rows are every workspace's).
        WHERE ct.workspace_id = d.workspace_id
          AND (ct.platform_id IS NULL OR ct.platform_id = d.platform_id)
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
    RETURNING t.id, t.workspace_id, t.topic_name, t.platform_id, t.topic_type, t.trend_status, t.previous_status, t.mention_count,
              t.previous_mention_count, t.engagement_score, t.growth_rate, t.engagement_growth_rate,
              t.fitness_relevance_score, t.content_opportunities, 'updated'::text AS action
  ),
  ins AS (
    INSERT INTO trending_topics AS t
      (workspace_id, topic_name, topic_type, platform_id, mention_count, previous_mention_count, engagement_score, growth_rate,
       engagement_growth_rate, trend_start_date, trend_peak_date, trend_status, previous_status, peak_mention_count,
       fitness_relevance_score, content_opportunities, first_detected_at, last_updated_at)
    SELECT s.workspace_id, s.topic_name, s.ttype, s.platform_id, s.c::int, s.pc::int, s.cw, s.g, s.eg, as_of_day, as_of_day,
           s.new_status, NULL, s.c::int, s.relevance, s.opportunities, window_end, window_end
    FROM scored s
    WHERE s.active_id IS NULL
    -- The topic expired earlier on this UTC day and is back: revive that day's row.
    ON CONFLICT (coalesce(workspace_id, '00000000-0000-0000-0000-000000000000'::uuid), topic_name, platform_id, ((first_detected_at AT TIME ZONE 'UTC')::date)) DO UPDATE
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
    RETURNING t.id, t.workspace_id, t.topic_name, t.platform_id, t.topic_type, t.trend_status, t.previous_status, t.mention_count,
              t.previous_mention_count, t.engagement_score, t.growth_rate, t.engagement_growth_rate,
              t.fitness_relevance_score, t.content_opportunities,
              CASE WHEN t.previous_status IS NULL THEN 'inserted' ELSE 'revived' END::text AS action
  )
  SELECT * FROM (SELECT * FROM upd UNION ALL SELECT * FROM ins) out
  ORDER BY array_position(ARRAY['trending', 'emerging', 'declining', 'expired']::varchar[], out.trend_status),
           out.growth_rate DESC NULLS LAST, out.topic_name, out.platform_id, out.workspace_id;
END
$function$;

REVOKE ALL ON FUNCTION public.detect_trending_topics_in_mentions(interval,integer,timestamp with time zone) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.detect_trending_topics_in_mentions(interval,integer,timestamp with time zone) TO service_role;
