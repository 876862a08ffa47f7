-- posting_slot_stats (0030): kept exact from post_latest_analytics by statement triggers, and filled
-- from the rows that exist now. getBestPostingHours reads whole weeks from it (docs/dashboard.md).

-- Applies the rows a statement added (+1) and removed (-1) to their cells, in key order (concurrent
-- refreshes take their row locks in one order); cells that fall to zero posts are then deleted.
-- One function for the three events: the transition tables it reads are chosen by TG_OP (dynamic SQL,
-- as a statement naming a transition table the event lacks would not compile).
-- SECURITY DEFINER: whoever may change post_latest_analytics (its own triggers, as the rollup's role)
-- keeps the cells right without being granted writes on them.
CREATE FUNCTION posting_slot_stats_apply() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  delta text;
  emptied timestamptz[];
  emptied_platforms int[];
  emptied_slots smallint[];
BEGIN
  delta := concat_ws(' UNION ALL ',
    CASE WHEN TG_OP IN ('INSERT', 'UPDATE') THEN 'SELECT platform_id, published_at, engagement_rate AS rate, 1 AS sign FROM new_rows' END,
    CASE WHEN TG_OP IN ('UPDATE', 'DELETE') THEN 'SELECT platform_id, published_at, engagement_rate AS rate, -1 AS sign FROM old_rows' END);
  EXECUTE format($q$
    WITH delta AS (%s),
    cells AS (
      SELECT date_trunc('week', d.published_at, 'UTC') AS week_start, d.platform_id,
             (((floor(date_part('epoch', d.published_at))::bigint %% 86400) + 86400) %% 86400 / 900)::smallint AS slot,
             sum(d.sign)::int AS posts, sum(d.sign * d.rate) AS rate_sum
      FROM delta d
      WHERE d.published_at IS NOT NULL AND d.platform_id IS NOT NULL AND d.rate IS NOT NULL
      GROUP BY 1, 2, 3
    ),
    changed AS (
      INSERT INTO posting_slot_stats AS t (week_start, platform_id, slot, posts_count, rate_sum)
      SELECT week_start, platform_id, slot, posts, rate_sum FROM cells
      WHERE posts <> 0 OR rate_sum <> 0
      ORDER BY 1, 2, 3
      ON CONFLICT (week_start, platform_id, slot) DO UPDATE
        SET posts_count = t.posts_count + excluded.posts_count, rate_sum = t.rate_sum + excluded.rate_sum
      RETURNING t.week_start, t.platform_id, t.slot, t.posts_count
    )
    SELECT array_agg(week_start), array_agg(platform_id), array_agg(slot) FROM changed WHERE posts_count = 0
  $q$, delta) INTO emptied, emptied_platforms, emptied_slots;
  IF emptied IS NOT NULL THEN
    DELETE FROM posting_slot_stats s
    USING unnest(emptied, emptied_platforms, emptied_slots) AS e(week_start, platform_id, slot)
    WHERE s.week_start = e.week_start AND s.platform_id = e.platform_id AND s.slot = e.slot AND s.posts_count = 0;
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE FUNCTION posting_slot_stats_truncate() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
  TRUNCATE posting_slot_stats;
  RETURN NULL;
END
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION posting_slot_stats_apply(), posting_slot_stats_truncate() FROM PUBLIC, anon, authenticated;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION posting_slot_stats_apply(), posting_slot_stats_truncate() TO service_role;
--> statement-breakpoint
CREATE TRIGGER post_latest_analytics_slots_after_insert AFTER INSERT ON post_latest_analytics
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION posting_slot_stats_apply();
--> statement-breakpoint
CREATE TRIGGER post_latest_analytics_slots_after_update AFTER UPDATE ON post_latest_analytics
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION posting_slot_stats_apply();
--> statement-breakpoint
CREATE TRIGGER post_latest_analytics_slots_after_delete AFTER DELETE ON post_latest_analytics
REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION posting_slot_stats_apply();
--> statement-breakpoint
CREATE TRIGGER post_latest_analytics_slots_after_truncate AFTER TRUNCATE ON post_latest_analytics
FOR EACH STATEMENT EXECUTE FUNCTION posting_slot_stats_truncate();
--> statement-breakpoint
-- Closed to the API roles like the other server-only tables; service_role gets what its policy allows.
SELECT count(*) FROM sync_api_grants(ARRAY['posting_slot_stats']::regclass[]);
--> statement-breakpoint
-- Rows that existed before this migration.
INSERT INTO posting_slot_stats (week_start, platform_id, slot, posts_count, rate_sum)
SELECT date_trunc('week', published_at, 'UTC'), platform_id,
       (((floor(date_part('epoch', published_at))::bigint % 86400) + 86400) % 86400 / 900)::smallint,
       count(*)::int, sum(engagement_rate)
FROM post_latest_analytics
WHERE published_at IS NOT NULL AND platform_id IS NOT NULL AND engagement_rate IS NOT NULL
GROUP BY 1, 2, 3;
