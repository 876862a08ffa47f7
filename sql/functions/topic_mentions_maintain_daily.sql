-- The daily rollup follows topic_mentions statement by statement: one aggregate per statement, not one
-- upsert per row. Each (UTC day, platform, topic) row holds running totals by hour: cum_mentions[h] is
-- the number of mentions from 00:00 to the end of hour h-1 (1-based), so any whole-hour range of the day
-- is a difference of two elements. Rows are written in key order so concurrent writers lock them in the
-- same order.
-- SECURITY DEFINER: the trigger also fires on a signed-in user's own writes (deleting their post sets
-- post_id to NULL here), and that user has no privilege on the rollup; it only writes what the
-- triggering statement's rows imply (see migration 0018).
-- Scopes are kept apart: each workspace's mentions (its posts and their comments) and the market's
-- (external feeds, workspace_id NULL) have their own daily rows.
CREATE OR REPLACE FUNCTION public.topic_mentions_maintain_daily()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    TRUNCATE topic_mention_daily;
    RETURN NULL;
  END IF;

  IF TG_OP IN ('DELETE', 'UPDATE') THEN
    WITH agg AS (
      SELECT (o.mentioned_at AT TIME ZONE 'UTC')::date AS day, o.workspace_id, o.platform_id, o.topic_name,
             extract(hour FROM o.mentioned_at AT TIME ZONE 'UTC')::int AS hr,
             count(*)::int AS n, sum(o.engagement_weight)::bigint AS w,
             count(*) FILTER (WHERE o.topic_type = 'hashtag')::int AS h,
             count(*) FILTER (WHERE o.topic_type = 'keyword')::int AS k,
             count(*) FILTER (WHERE o.topic_type = 'mention')::int AS m
      FROM old_mentions o
      GROUP BY 1, 2, 3, 4, 5
    ),
    cells AS (
      SELECT g.day, g.workspace_id, g.platform_id, g.topic_name, i.hr,
             sum(coalesce(a.n, 0)) OVER w AS cn, sum(coalesce(a.w, 0)) OVER w AS cw
      FROM (SELECT DISTINCT day, workspace_id, platform_id, topic_name FROM agg) g
      CROSS JOIN generate_series(0, 23) AS i(hr)
      LEFT JOIN agg a ON a.day = g.day AND a.workspace_id IS NOT DISTINCT FROM g.workspace_id AND a.platform_id = g.platform_id
                    AND a.topic_name = g.topic_name AND a.hr = i.hr
      WINDOW w AS (PARTITION BY g.day, g.workspace_id, g.platform_id, g.topic_name ORDER BY i.hr)
    ),
    gone AS (
      SELECT c.day, c.workspace_id, c.platform_id, c.topic_name,
             array_agg(-c.cn::int ORDER BY c.hr) AS cm, array_agg(-c.cw::bigint ORDER BY c.hr) AS ce,
             (SELECT sum(a.h)::int FROM agg a WHERE (a.day, a.workspace_id, a.platform_id, a.topic_name) IS NOT DISTINCT FROM (c.day, c.workspace_id, c.platform_id, c.topic_name)) AS h,
             (SELECT sum(a.k)::int FROM agg a WHERE (a.day, a.workspace_id, a.platform_id, a.topic_name) IS NOT DISTINCT FROM (c.day, c.workspace_id, c.platform_id, c.topic_name)) AS k,
             (SELECT sum(a.m)::int FROM agg a WHERE (a.day, a.workspace_id, a.platform_id, a.topic_name) IS NOT DISTINCT FROM (c.day, c.workspace_id, c.platform_id, c.topic_name)) AS m
      FROM cells c
      GROUP BY 1, 2, 3, 4
    )
    UPDATE topic_mention_daily r
    SET cum_mentions = int_array_add(r.cum_mentions, g.cm),
        cum_engagement = bigint_array_add(r.cum_engagement, g.ce),
        hashtag_count = r.hashtag_count - g.h,
        keyword_count = r.keyword_count - g.k,
        at_mention_count = r.at_mention_count - g.m
    FROM gone g
    WHERE r.day = g.day AND r.platform_id = g.platform_id AND r.topic_name = g.topic_name
      AND r.workspace_id IS NOT DISTINCT FROM g.workspace_id;

    DELETE FROM topic_mention_daily r
    WHERE r.cum_mentions[24] = 0
      AND r.day BETWEEN (SELECT min(o.mentioned_at AT TIME ZONE 'UTC')::date FROM old_mentions o)
                    AND (SELECT max(o.mentioned_at AT TIME ZONE 'UTC')::date FROM old_mentions o);
  END IF;

  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    WITH agg AS (
      SELECT (n.mentioned_at AT TIME ZONE 'UTC')::date AS day, n.workspace_id, n.platform_id, n.topic_name,
             extract(hour FROM n.mentioned_at AT TIME ZONE 'UTC')::int AS hr,
             count(*)::int AS n, sum(n.engagement_weight)::bigint AS w,
             count(*) FILTER (WHERE n.topic_type = 'hashtag')::int AS h,
             count(*) FILTER (WHERE n.topic_type = 'keyword')::int AS k,
             count(*) FILTER (WHERE n.topic_type = 'mention')::int AS m
      FROM new_mentions n
      GROUP BY 1, 2, 3, 4, 5
    ),
    keys AS (
      SELECT a.day, a.workspace_id, a.platform_id, a.topic_name, sum(a.h)::int AS h, sum(a.k)::int AS k, sum(a.m)::int AS m
      FROM agg a
      GROUP BY 1, 2, 3, 4
    ),
    cells AS (
      SELECT g.day, g.workspace_id, g.platform_id, g.topic_name, i.hr,
             sum(coalesce(a.n, 0)) OVER w AS cn, sum(coalesce(a.w, 0)) OVER w AS cw
      FROM keys g
      CROSS JOIN generate_series(0, 23) AS i(hr)
      LEFT JOIN agg a ON a.day = g.day AND a.workspace_id IS NOT DISTINCT FROM g.workspace_id AND a.platform_id = g.platform_id
                    AND a.topic_name = g.topic_name AND a.hr = i.hr
      WINDOW w AS (PARTITION BY g.day, g.workspace_id, g.platform_id, g.topic_name ORDER BY i.hr)
    ),
    added AS (
      SELECT c.day, c.workspace_id, c.platform_id, c.topic_name,
             array_agg(c.cn::int ORDER BY c.hr) AS cm, array_agg(c.cw::bigint ORDER BY c.hr) AS ce
      FROM cells c
      GROUP BY 1, 2, 3, 4
    )
    INSERT INTO topic_mention_daily AS r
      (day, workspace_id, platform_id, topic_name, hashtag_count, keyword_count, at_mention_count, cum_mentions, cum_engagement)
    SELECT d.day, d.workspace_id, d.platform_id, d.topic_name, g.h, g.k, g.m, d.cm, d.ce
    FROM added d
    JOIN keys g ON g.day = d.day AND g.workspace_id IS NOT DISTINCT FROM d.workspace_id
               AND g.platform_id = d.platform_id AND g.topic_name = d.topic_name
    ORDER BY 1, 3, 4, 2
    ON CONFLICT (day, platform_id, topic_name, workspace_id) DO UPDATE
    SET cum_mentions = int_array_add(r.cum_mentions, excluded.cum_mentions),
        cum_engagement = bigint_array_add(r.cum_engagement, excluded.cum_engagement),
        hashtag_count = r.hashtag_count + excluded.hashtag_count,
        keyword_count = r.keyword_count + excluded.keyword_count,
        at_mention_count = r.at_mention_count + excluded.at_mention_count;
  END IF;
  RETURN NULL;
END
$function$;

REVOKE ALL ON FUNCTION public.topic_mentions_maintain_daily() FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.topic_mentions_maintain_daily() TO service_role;
