-- Applies the rows a statement added (+1) and removed (-1) to their cells, in key order (concurrent
-- refreshes take their row locks in one order); cells that fall to zero posts are then deleted.
-- One function for the three events: the transition tables it reads are chosen by TG_OP (dynamic SQL,
-- as a statement naming a transition table the event lacks would not compile).
-- SECURITY DEFINER: whoever may change post_latest_analytics (its own triggers, as the rollup's role)
-- keeps the cells right without being granted writes on them.
CREATE OR REPLACE FUNCTION public.posting_slot_stats_apply()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  delta text;
  emptied_workspaces uuid[];
  emptied timestamptz[];
  emptied_platforms int[];
  emptied_slots smallint[];
BEGIN
  delta := concat_ws(' UNION ALL ',
    CASE WHEN TG_OP IN ('INSERT', 'UPDATE') THEN 'SELECT workspace_id, platform_id, published_at, engagement_rate AS rate, 1 AS sign FROM new_rows' END,
    CASE WHEN TG_OP IN ('UPDATE', 'DELETE') THEN 'SELECT workspace_id, platform_id, published_at, engagement_rate AS rate, -1 AS sign FROM old_rows' END);
  EXECUTE format($q$
    WITH delta AS (%s),
    cells AS (
      SELECT d.workspace_id, d.platform_id, date_trunc('week', d.published_at, 'UTC') AS week_start,
             (((floor(date_part('epoch', d.published_at))::bigint %% 86400) + 86400) %% 86400 / 900)::smallint AS slot,
             sum(d.sign)::int AS posts, sum(d.sign * d.rate) AS rate_sum
      FROM delta d
      WHERE d.published_at IS NOT NULL AND d.platform_id IS NOT NULL AND d.rate IS NOT NULL
        -- A workspace being deleted: its cells went with it (this is its cascade); nothing to apply.
        AND EXISTS (SELECT 1 FROM workspaces w WHERE w.id = d.workspace_id)
      GROUP BY 1, 2, 3, 4
    ),
    changed AS (
      INSERT INTO posting_slot_stats AS t (workspace_id, platform_id, week_start, slot, posts_count, rate_sum)
      SELECT workspace_id, platform_id, week_start, slot, posts, rate_sum FROM cells
      WHERE posts <> 0 OR rate_sum <> 0
      ORDER BY 1, 2, 3, 4
      ON CONFLICT (workspace_id, platform_id, week_start, slot) DO UPDATE
        SET posts_count = t.posts_count + excluded.posts_count, rate_sum = t.rate_sum + excluded.rate_sum
      RETURNING t.workspace_id, t.platform_id, t.week_start, t.slot, t.posts_count
    )
    SELECT array_agg(workspace_id), array_agg(week_start), array_agg(platform_id), array_agg(slot) FROM changed WHERE posts_count = 0
  $q$, delta) INTO emptied_workspaces, emptied, emptied_platforms, emptied_slots;
  IF emptied IS NOT NULL THEN
    DELETE FROM posting_slot_stats s
    USING unnest(emptied_workspaces, emptied, emptied_platforms, emptied_slots) AS e(workspace_id, week_start, platform_id, slot)
    WHERE s.workspace_id = e.workspace_id AND s.platform_id = e.platform_id AND s.week_start = e.week_start
      AND s.slot = e.slot AND s.posts_count = 0;
  END IF;
  RETURN NULL;
END
$function$;

REVOKE ALL ON FUNCTION public.posting_slot_stats_apply() FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.posting_slot_stats_apply() TO service_role;
