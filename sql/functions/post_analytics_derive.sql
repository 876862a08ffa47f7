-- Derived fields of post_analytics rows: for each (post, from_day) pair, every row of that post from
-- that day on. hours_since_published, engagement_rate, conversion_events and the three scores.
-- Everything a post is compared with is of its own workspace (or the market's): peers are its account's
-- posts (an account belongs to one workspace) or, without an account, its author's posts on that
-- platform in that workspace; trending topics are the workspace's own and the market's. An author who
-- works for two brands is two sets of peers, and no brand's figures move another's scores.
CREATE OR REPLACE FUNCTION public.post_analytics_derive(post_ids uuid[], from_days date[])
 RETURNS bigint
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
 SET jit TO 'off'
AS $function$
DECLARE
  changed bigint;
BEGIN
  IF cardinality(post_ids) IS DISTINCT FROM cardinality(from_days) THEN
    RAISE EXCEPTION 'from_days: % days for % posts; pass one day per post', cardinality(from_days), cardinality(post_ids)
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF coalesce(cardinality(post_ids), 0) = 0 THEN
    RETURN 0;
  END IF;

  WITH targets AS (
    SELECT t.post_id, min(t.from_day) AS from_day
    FROM unnest(post_ids, from_days) AS t(post_id, from_day)
    WHERE t.post_id IS NOT NULL
    GROUP BY t.post_id
  ),
  posts AS MATERIALIZED (
    SELECT p.id, p.workspace_id, p.account_id, p.platform_id, p.published_at, p.content_category, p.caption,
           COALESCE(p.account_id::text, p.workspace_id::text || '/' || p.user_id::text || '/' || p.platform_id::text) AS peer_key,
           ARRAY(SELECT lower(h) FROM unnest(p.hashtags) h) AS tags,
           ARRAY(SELECT lower(regexp_replace(m, '^@+', '')) FROM unnest(p.mentions) m) AS mentions,
           t.from_day
    FROM targets t JOIN social_posts p ON p.id = t.post_id
  ),
  r AS MATERIALIZED (
    SELECT pa.post_id, pa.analysis_date, p.account_id, p.peer_key, p.content_category,
           -- Whole hours from publication to the end of the UTC day the row describes (when its counts
           -- are final).
           GREATEST(0, floor(extract(epoch FROM ((pa.analysis_date + 1)::timestamp AT TIME ZONE 'UTC') - p.published_at) / 3600))::integer AS hours,
           -- The best known cumulative value of a metric: events counted here, or the platform's own
           -- figure from insights, whichever is larger (both count the same thing; neither is summed).
           -- Written out rather than called: a helper function with a pinned search_path (Supabase's
           -- Advisor asks for one) is no longer inlined and cost 2.5 times the derive's time.
           GREATEST(pa.likes_count, CASE WHEN jsonb_typeof(pa.platform_metrics -> 'likes') = 'number' THEN (pa.platform_metrics ->> 'likes')::numeric END) AS likes,
           GREATEST(pa.comments_count, CASE WHEN jsonb_typeof(pa.platform_metrics -> 'comments') = 'number' THEN (pa.platform_metrics ->> 'comments')::numeric END) AS comments,
           GREATEST(pa.shares_count, CASE WHEN jsonb_typeof(pa.platform_metrics -> 'shares') = 'number' THEN (pa.platform_metrics ->> 'shares')::numeric END) AS shares,
           GREATEST(pa.saves_count, CASE WHEN jsonb_typeof(pa.platform_metrics -> 'saves') = 'number' THEN (pa.platform_metrics ->> 'saves')::numeric END) AS saves,
           GREATEST(pa.views_count, CASE WHEN jsonb_typeof(pa.platform_metrics -> 'views') = 'number' THEN (pa.platform_metrics ->> 'views')::numeric END) AS views,
           pa.reach, pa.watch_time_seconds, pa.avg_watch_time_seconds
    -- LATERAL: one index range scan per post, whatever the (unknowable) estimate of the input arrays.
    FROM posts p CROSS JOIN LATERAL (
      SELECT * FROM post_analytics x WHERE x.post_id = p.id AND x.analysis_date >= p.from_day
    ) pa
  ),
  -- The account's norm: median over its posts' latest rows of shares and reach per hour since
  -- publication (posts without an account are compared with their author's posts on that platform in
  -- the same workspace).
  peer_latest AS (
    SELECT k.peer_key,
           GREATEST(l.shares_count, CASE WHEN jsonb_typeof(l.platform_metrics -> 'shares') = 'number' THEN (l.platform_metrics ->> 'shares')::numeric END)
             / GREATEST(COALESCE(age.hours, 24), 1) AS share_rate,
           l.reach::numeric / GREATEST(COALESCE(age.hours, 24), 1) AS reach_rate
    FROM (SELECT DISTINCT peer_key, workspace_id FROM posts) k
    JOIN social_posts p ON p.workspace_id = k.workspace_id AND COALESCE(p.account_id::text, p.workspace_id::text || '/' || p.user_id::text || '/' || p.platform_id::text) = k.peer_key
    CROSS JOIN LATERAL (
      SELECT x.shares_count, x.platform_metrics, x.reach, x.analysis_date FROM post_analytics x
      WHERE x.post_id = p.id ORDER BY x.analysis_date DESC LIMIT 1
    ) l
    CROSS JOIN LATERAL (
      SELECT GREATEST(0, floor(extract(epoch FROM ((l.analysis_date + 1)::timestamp AT TIME ZONE 'UTC') - p.published_at) / 3600))::integer AS hours
    ) age
  ),
  medians AS (
    SELECT peer_key,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY share_rate)::numeric AS share_rate,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY reach_rate)::numeric AS reach_rate
    FROM peer_latest GROUP BY peer_key
  ),
  -- Trending topics a post touches (its workspace's and the market's), with the days each is live and
  -- its weight.
  topics AS (
    SELECT tt.workspace_id, tt.platform_id, tt.topic_type, lower(tt.topic_name) AS name,
           (tt.first_detected_at AT TIME ZONE 'UTC')::date AS live_from,
           (tt.last_updated_at AT TIME ZONE 'UTC')::date + 7 AS live_to,
           COALESCE(tt.fitness_relevance_score, 50)
             * CASE tt.trend_status WHEN 'trending' THEN 1.0 WHEN 'emerging' THEN 0.8 WHEN 'declining' THEN 0.5 ELSE 0.25 END AS weight
    FROM trending_topics tt
    WHERE tt.platform_id IN (SELECT DISTINCT platform_id FROM posts)
  ),
  post_topics AS (
    SELECT p.id AS post_id, tp.name, tp.live_from, tp.live_to, tp.weight
    FROM posts p JOIN topics tp ON tp.platform_id = p.platform_id
     AND (tp.workspace_id IS NULL OR tp.workspace_id = p.workspace_id)
     AND ((tp.topic_type = 'hashtag' AND tp.name = ANY (p.tags))
       OR (tp.topic_type = 'mention' AND tp.name = ANY (p.mentions))
       OR (tp.topic_type = 'keyword' AND strpos(lower(p.caption), tp.name) > 0))
  ),
  -- Per row: the strongest live topic, +10 per further one (a join, not a per-row scan of the topics).
  trend AS (
    SELECT r.post_id, r.analysis_date, LEAST(100, max(pt.weight) + 10 * (count(*) - 1)) AS score
    FROM r JOIN post_topics pt ON pt.post_id = r.post_id AND r.analysis_date BETWEEN pt.live_from AND pt.live_to
    GROUP BY r.post_id, r.analysis_date
  ),
  calc AS (
    SELECT r.post_id, r.analysis_date, r.hours,
      CASE WHEN f.follower_count > 0
           THEN LEAST(round((r.likes + r.comments + r.shares) / f.follower_count, 6), 9999.999999) END AS engagement_rate,
      conv.n AS conversions,
      -- virality: shares and reach per hour against the account's medians, equally weighted (reach
      -- only when insights gave one).
      -- Each ratio is saturated as x / (x + reference): 0 at 0, 50 % at the reference, towards 1 above,
      -- NULL when x is NULL, 1 when the reference is 0 (written out for the reason given in r).
      round(100 * (0.5 * CASE WHEN x.share_rate IS NULL THEN NULL WHEN x.share_rate <= 0 THEN 0 WHEN x.share_median <= 0 THEN 1
                              ELSE x.share_rate / (x.share_rate + x.share_median) END
                 + COALESCE(0.5 * CASE WHEN x.reach_rate IS NULL THEN NULL WHEN x.reach_rate <= 0 THEN 0 WHEN x.reach_median <= 0 THEN 1
                                       ELSE x.reach_rate / (x.reach_rate + x.reach_median) END, 0))
                 / (0.5 + CASE WHEN r.reach IS NULL THEN 0 ELSE 0.5 END))::smallint AS virality,
      -- quality: saves and comments per view (1 % and 0.5 % score 50) and watch seconds per view
      -- (10 s scores 50); NULL while nothing was viewed or reached.
      CASE WHEN COALESCE(NULLIF(r.views, 0), r.reach::numeric) > 0 THEN
        round(100 * (0.35 * CASE WHEN x.saves_per_view <= 0 THEN 0 ELSE x.saves_per_view / (x.saves_per_view + 0.01) END
                   + 0.35 * CASE WHEN x.comments_per_view <= 0 THEN 0 ELSE x.comments_per_view / (x.comments_per_view + 0.005) END
                   + COALESCE(0.30 * CASE WHEN x.watch_per_view <= 0 THEN 0 ELSE x.watch_per_view / (x.watch_per_view + 10) END, 0))
                   / (0.70 + CASE WHEN COALESCE(r.avg_watch_time_seconds, r.watch_time_seconds) IS NULL THEN 0 ELSE 0.30 END))::smallint
      END AS quality,
      -- relevance: 40 % the category's weight for a fitness brand, 60 % the strongest live trending
      -- topic it uses (+10 per further one).
      round(0.4 * CASE r.content_category
                    WHEN 'workout' THEN 100 WHEN 'nutrition' THEN 100 WHEN 'transformation' THEN 100
                    WHEN 'education' THEN 90 WHEN 'motivation' THEN 80 WHEN 'community' THEN 60
                    WHEN 'lifestyle' THEN 60 WHEN 'promotion' THEN 40 ELSE 20 END
          + 0.6 * COALESCE(tr.score, 0))::smallint AS relevance
    FROM r
    LEFT JOIN medians m ON m.peer_key = r.peer_key
    -- The ratios the scores saturate, named once.
    CROSS JOIN LATERAL (
      SELECT r.shares / GREATEST(COALESCE(r.hours, 24), 1) AS share_rate, COALESCE(m.share_rate, 0) AS share_median,
             r.reach / GREATEST(COALESCE(r.hours, 24), 1) AS reach_rate, COALESCE(m.reach_rate, 0) AS reach_median,
             r.saves / COALESCE(NULLIF(r.views, 0), r.reach::numeric) AS saves_per_view,
             r.comments / COALESCE(NULLIF(r.views, 0), r.reach::numeric) AS comments_per_view,
             COALESCE(r.avg_watch_time_seconds, r.watch_time_seconds / COALESCE(NULLIF(r.views, 0), r.reach::numeric)) AS watch_per_view
    ) x
    LEFT JOIN LATERAL (
      SELECT h.follower_count FROM account_follower_history h
      WHERE h.account_id = r.account_id AND h.recorded_on <= r.analysis_date
      ORDER BY h.recorded_on DESC LIMIT 1
    ) f ON true
    LEFT JOIN LATERAL (
      SELECT count(*)::integer AS n FROM social_conversions c
      WHERE c.post_id = r.post_id AND c.conversion_at < ((r.analysis_date + 1)::timestamp AT TIME ZONE 'UTC')
    ) conv ON true
    LEFT JOIN trend tr ON tr.post_id = r.post_id AND tr.analysis_date = r.analysis_date
  )
  UPDATE post_analytics pa
  SET hours_since_published = c.hours,
      engagement_rate = c.engagement_rate,
      conversion_events = c.conversions,
      virality_score = c.virality,
      quality_score = c.quality,
      relevance_score = c.relevance
  FROM calc c
  WHERE pa.post_id = c.post_id AND pa.analysis_date = c.analysis_date
    AND (pa.hours_since_published, pa.engagement_rate, pa.conversion_events, pa.virality_score, pa.quality_score, pa.relevance_score)
        IS DISTINCT FROM (c.hours, c.engagement_rate, c.conversions, c.virality, c.quality, c.relevance);
  GET DIAGNOSTICS changed = ROW_COUNT;
  RETURN changed;
END
$function$;

REVOKE ALL ON FUNCTION public.post_analytics_derive(uuid[],date[]) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.post_analytics_derive(uuid[],date[]) TO service_role;
