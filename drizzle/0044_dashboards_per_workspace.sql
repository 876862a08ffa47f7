-- Dashboards and analytics per workspace (issue 15): an agency's brands never mix.
-- get_top_content / get_top_content_by_category take an optional last argument `workspace` and, for a
-- caller row-level security filters, write the membership into the query as a workspace condition (so
-- the plan walks the workspace rate indexes); conversion figures are NULL for a caller below analyst.
-- A changed signature: the old functions are dropped first (CREATE OR REPLACE would add overloads).
-- refresh_template_performance's baseline and post_analytics_derive's peers and trends are per
-- workspace. The three materialized views group by workspace (dropped and recreated with the text of
-- sql/views/, populated here; no CONCURRENTLY in a migration). Carries sql/functions/get_top_content.sql,
-- get_top_content_by_category.sql, refresh_template_performance.sql, post_analytics_derive.sql and
-- sql/views/daily_platform_metrics.sql, platform_engaged_users.sql, post_engaged_users.sql.
DROP FUNCTION public.get_top_content_by_category(character varying, integer);
--> statement-breakpoint
DROP FUNCTION public.get_top_content(character varying, integer, integer);
--> statement-breakpoint
-- sql/functions/get_top_content.sql
-- Top content (Supabase RPC): the `result_limit` posts of the last `time_period` days with the best
-- engagement rate, optionally of one category, of one workspace (`workspace`) or of every workspace
-- the caller may read. The design joined every daily post_analytics row: "top 50" was the same posts
-- repeated and conversions were multiplied by the number of analytics days. Here each post appears
-- once with its latest cumulative figures (post_latest_analytics, filtered on its copy of the post's
-- publication time and category) and its exact conversion count.
-- Window: posts published in [now() - time_period days, now()], now() being the start of the calling
-- transaction (so the function is STABLE, and repeated calls in one transaction agree).
-- SECURITY INVOKER: row-level security applies. For a caller it filters (a signed-in member), the
-- membership is also written into the query as a workspace condition, so the plan walks the
-- workspace's rate index (idx_post_latest_analytics_workspace_rate / _workspace_category_rate) and
-- stops after result_limit posts instead of walking every brand's posts and discarding others'.
-- conversion_count and revenue are an analyst's (post_conversion_totals is analyst+): where the caller
-- is below analyst in the post's workspace they are NULL (unknown to them), never a misleading 0.
-- `workspace` that does not exist, or that the signed-in caller is not a member of, is an error
-- naming it (invalid_parameter_value); without `workspace` a user of no workspace gets no rows.
CREATE OR REPLACE FUNCTION public.get_top_content(category_filter character varying DEFAULT NULL::character varying, time_period integer DEFAULT 30, result_limit integer DEFAULT 50, workspace uuid DEFAULT NULL::uuid)
 RETURNS TABLE(post_id uuid, caption text, engagement_rate numeric, total_engagement bigint, conversion_count integer, revenue numeric, platform_id integer, content_category character varying, published_at timestamp with time zone, analysis_date date, likes_count integer, comments_count integer, shares_count integer, saves_count integer, views_count bigint)
 LANGUAGE plpgsql
 STABLE
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  -- The workspaces read; NULL: every workspace (a caller row-level security does not filter).
  scope uuid[];
  -- Of those, the ones whose conversions the caller may read; NULL: all of them.
  analyst uuid[];
BEGIN
  IF time_period IS NULL OR time_period < 1 OR time_period > 3650 THEN
    RAISE EXCEPTION 'time_period: % is out of range (1..3650 days)', coalesce(time_period::text, 'NULL')
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF result_limit IS NULL OR result_limit < 1 OR result_limit > 1000 THEN
    RAISE EXCEPTION 'result_limit: % is out of range (1..1000)', coalesce(result_limit::text, 'NULL')
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF category_filter IS NOT NULL AND category_filter NOT IN
     ('workout', 'nutrition', 'motivation', 'transformation', 'education', 'lifestyle', 'community', 'promotion') THEN
    RAISE EXCEPTION 'category_filter: "%" is not a content category', category_filter
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF row_security_active('public.post_latest_analytics'::regclass) THEN
    scope := social_private.member_workspaces('viewer');
    analyst := social_private.member_workspaces('analyst');
    IF workspace IS NOT NULL THEN
      IF NOT workspace = ANY (scope) THEN
        RAISE EXCEPTION 'workspace: % is not a workspace you are a member of', workspace
          USING ERRCODE = 'invalid_parameter_value';
      END IF;
      scope := ARRAY[workspace];
    END IF;
    IF cardinality(scope) = 0 THEN
      RETURN;
    END IF;
  ELSIF workspace IS NOT NULL THEN
    scope := ARRAY[workspace];
  END IF;
  -- EXECUTE plans with the actual arguments: one workspace is an equality the workspace rate index
  -- answers in rate order; several are read from their index ranges and sorted.
  RETURN QUERY EXECUTE format($q$
    SELECT l.post_id, p.caption, l.engagement_rate,
           (l.likes_count::bigint + l.comments_count + l.shares_count) AS total_engagement,
           %s AS conversion_count, %s AS revenue,
           l.platform_id, l.content_category, l.published_at, l.analysis_date,
           l.likes_count, l.comments_count, l.shares_count, l.saves_count, l.views_count
    FROM post_latest_analytics l
    JOIN social_posts p ON p.id = l.post_id
    LEFT JOIN post_conversion_totals c ON c.post_id = l.post_id
    -- l.published_at is the post's published_at while it is published, else NULL.
    WHERE l.published_at >= now() - make_interval(days => $1)
      AND l.published_at <= now()
      %s %s
    ORDER BY l.engagement_rate DESC NULLS LAST, l.post_id
    LIMIT $3 $q$,
    CASE WHEN analyst IS NULL THEN 'coalesce(c.conversions, 0)' ELSE 'CASE WHEN l.workspace_id = ANY ($5) THEN coalesce(c.conversions, 0) END' END,
    CASE WHEN analyst IS NULL THEN 'coalesce(c.revenue, 0)' ELSE 'CASE WHEN l.workspace_id = ANY ($5) THEN coalesce(c.revenue, 0) END' END,
    CASE WHEN category_filter IS NULL THEN '' ELSE 'AND l.content_category = $2' END,
    CASE WHEN scope IS NULL THEN '' WHEN cardinality(scope) = 1 THEN 'AND l.workspace_id = $6' ELSE 'AND l.workspace_id = ANY ($4)' END)
  USING time_period, category_filter, result_limit, scope, analyst, scope[1];
  IF NOT FOUND AND workspace IS NOT NULL AND analyst IS NULL
     AND NOT EXISTS (SELECT 1 FROM workspaces w WHERE w.id = workspace) THEN
    RAISE EXCEPTION 'workspace: no workspace %', workspace USING ERRCODE = 'invalid_parameter_value';
  END IF;
END
$function$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION public.get_top_content(character varying,integer,integer,uuid) FROM PUBLIC, anon, authenticated, service_role;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION public.get_top_content(character varying,integer,integer,uuid) TO authenticated, service_role;
--> statement-breakpoint
-- sql/functions/get_top_content_by_category.sql
-- Dashboard RPC (supabase.rpc): get_top_content's top 50 of a category over `time_period` days, of
-- one workspace (`workspace`) or of every workspace the caller may read (see get_top_content).
CREATE OR REPLACE FUNCTION public.get_top_content_by_category(category_filter character varying DEFAULT NULL::character varying, time_period integer DEFAULT 30, workspace uuid DEFAULT NULL::uuid)
 RETURNS TABLE(post_id uuid, caption text, engagement_rate numeric, total_engagement bigint, conversion_count integer, revenue numeric, platform_id integer, content_category character varying, published_at timestamp with time zone, analysis_date date, likes_count integer, comments_count integer, shares_count integer, saves_count integer, views_count bigint)
 LANGUAGE sql
 STABLE
 SET search_path TO 'public', 'pg_temp'
AS $function$ SELECT * FROM get_top_content(category_filter, time_period, 50, workspace) $function$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION public.get_top_content_by_category(character varying,integer,uuid) FROM PUBLIC, anon, authenticated, service_role;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION public.get_top_content_by_category(character varying,integer,uuid) TO authenticated, service_role;
--> statement-breakpoint
-- sql/functions/refresh_template_performance.sql
-- Template performance, stored on content_templates:
-- usage_count          posts (any status) that use the template;
-- avg_engagement_rate  mean latest engagement rate of its published posts that have one;
-- success_rate         share of those posts whose latest rate is strictly above the mean latest
--                         rate of all published posts of the same platform (with a rate) in the
--                         template's workspace: a brand is measured against itself, never against
--                         the other brands an agency runs in the same database.
-- Both NULL when no published post of the template has a rate. Returns the templates changed.
CREATE OR REPLACE FUNCTION public.refresh_template_performance()
 RETURNS integer
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  changed integer;
BEGIN
  WITH rated AS (
    SELECT p.template_id, p.workspace_id, p.platform_id, l.engagement_rate
    FROM social_posts p
    JOIN post_latest_analytics l ON l.post_id = p.id
    WHERE p.status = 'published' AND l.engagement_rate IS NOT NULL
  ),
  baseline AS (
    SELECT r.workspace_id, r.platform_id, avg(r.engagement_rate) AS avg_rate
    FROM rated r GROUP BY r.workspace_id, r.platform_id
  ),
  perf AS (
    SELECT r.template_id,
           round(avg(r.engagement_rate), 6) AS avg_rate,
           round(avg(CASE WHEN r.engagement_rate > b.avg_rate THEN 1 ELSE 0 END), 4) AS success
    FROM rated r JOIN baseline b ON b.workspace_id = r.workspace_id AND b.platform_id = r.platform_id
    WHERE r.template_id IS NOT NULL
    GROUP BY r.template_id
  ),
  usage AS (
    SELECT p.template_id, count(*)::int AS n FROM social_posts p WHERE p.template_id IS NOT NULL GROUP BY p.template_id
  ),
  computed AS (
    SELECT t.id, coalesce(u.n, 0) AS usage_count, pf.avg_rate, pf.success
    FROM content_templates t
    LEFT JOIN usage u ON u.template_id = t.id
    LEFT JOIN perf pf ON pf.template_id = t.id
  )
  UPDATE content_templates t
  SET usage_count = c.usage_count, avg_engagement_rate = c.avg_rate, success_rate = c.success
  FROM computed c
  WHERE t.id = c.id
    AND (t.usage_count, t.avg_engagement_rate, t.success_rate) IS DISTINCT FROM (c.usage_count, c.avg_rate, c.success);
  GET DIAGNOSTICS changed = ROW_COUNT;
  RETURN changed;
END
$function$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION public.refresh_template_performance() FROM PUBLIC, anon, authenticated, service_role;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION public.refresh_template_performance() TO service_role;
--> statement-breakpoint
-- sql/functions/post_analytics_derive.sql
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
--> statement-breakpoint
REVOKE ALL ON FUNCTION public.post_analytics_derive(uuid[],date[]) FROM PUBLIC, anon, authenticated, service_role;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION public.post_analytics_derive(uuid[],date[]) TO service_role;
--> statement-breakpoint
DROP MATERIALIZED VIEW public.daily_platform_metrics;
--> statement-breakpoint
-- sql/views/daily_platform_metrics.sql (WITH DATA here: the file says NO DATA so its check builds nothing)
-- Per workspace, platform and UTC publish date: published posts and the averages of their latest
-- cumulative figures, each post counted once (the design's view counted a post once per analytics day).
-- Posts without analytics yet count in posts_count, not in the averages (posts_with_analytics says how
-- many). Each brand's figures apart: an agency's brands never share a row.
-- Refreshed by refresh_daily_platform_metrics(); closed to the API roles (materialized views have no
-- RLS): read by the server with a workspace (getDailyPlatformMetrics).
CREATE MATERIALIZED VIEW public.daily_platform_metrics AS
 SELECT p.workspace_id,
    p.platform_id,
    (p.published_at AT TIME ZONE 'UTC'::text)::date AS publish_date,
    count(*)::integer AS posts_count,
    count(l.post_id)::integer AS posts_with_analytics,
    round(avg(l.engagement_rate), 6) AS avg_engagement_rate,
    COALESCE(sum(l.likes_count::bigint + l.comments_count + l.shares_count), 0::numeric)::bigint AS total_engagement,
    COALESCE(sum(l.likes_count), 0::bigint) AS likes_count,
    COALESCE(sum(l.comments_count), 0::bigint) AS comments_count,
    COALESCE(sum(l.shares_count), 0::bigint) AS shares_count,
    COALESCE(sum(l.saves_count), 0::bigint) AS saves_count,
    COALESCE(sum(l.views_count), 0::numeric)::bigint AS views_count,
    COALESCE(sum(l.profile_visits), 0::bigint) AS profile_visits,
    COALESCE(sum(l.website_clicks), 0::bigint) AS website_clicks
   FROM social_posts p
     LEFT JOIN post_latest_analytics l ON l.post_id = p.id
  WHERE p.status::text = 'published'::text
  GROUP BY p.workspace_id, p.platform_id, ((p.published_at AT TIME ZONE 'UTC'::text)::date)
WITH DATA;
--> statement-breakpoint
CREATE UNIQUE INDEX daily_platform_metrics_workspace_date_platform_key ON public.daily_platform_metrics USING btree (workspace_id, publish_date, platform_id);
--> statement-breakpoint
REVOKE ALL ON public.daily_platform_metrics FROM PUBLIC, anon, authenticated;
--> statement-breakpoint
GRANT ALL ON public.daily_platform_metrics TO service_role;
--> statement-breakpoint
DROP MATERIALIZED VIEW public.platform_engaged_users;
--> statement-breakpoint
-- sql/views/platform_engaged_users.sql (WITH DATA here: the file says NO DATA so its check builds nothing)
-- Distinct platform users with any engagement event (live and archived) per workspace and platform, a
-- count of its own (a user engaging with three posts is one user; one engaging with two brands counts
-- in each). Refreshed by refresh_engaged_users(). Closed to the API roles (materialized views have no
-- RLS): read by the server with a workspace (getConversionFunnel).
CREATE MATERIALIZED VIEW public.platform_engaged_users AS
 SELECT p.workspace_id,
    p.platform_id,
    count(DISTINCT e.platform_user_id)::integer AS engaged_users
   FROM ( SELECT engagement_events.post_id,
            engagement_events.platform_user_id
           FROM engagement_events
          WHERE engagement_events.platform_user_id IS NOT NULL
        UNION ALL
         SELECT engagement_events_archive.post_id,
            engagement_events_archive.platform_user_id
           FROM engagement_events_archive
          WHERE engagement_events_archive.platform_user_id IS NOT NULL) e
     JOIN social_posts p ON p.id = e.post_id
  GROUP BY p.workspace_id, p.platform_id
WITH DATA;
--> statement-breakpoint
CREATE UNIQUE INDEX platform_engaged_users_workspace_platform_key ON public.platform_engaged_users USING btree (workspace_id, platform_id);
--> statement-breakpoint
REVOKE ALL ON public.platform_engaged_users FROM PUBLIC, anon, authenticated;
--> statement-breakpoint
GRANT ALL ON public.platform_engaged_users TO service_role;
--> statement-breakpoint
DROP MATERIALIZED VIEW public.post_engaged_users;
--> statement-breakpoint
-- sql/views/post_engaged_users.sql (WITH DATA here: the file says NO DATA so its check builds nothing)
-- Distinct platform users with any engagement event (live and archived) per post, with the post's
-- workspace: exact distinct counts over millions of events cannot be read in milliseconds, so they are
-- materialized and refreshed by refresh_engaged_users(). Closed to the API roles (materialized views
-- have no RLS): read by the server with a workspace (getConversionFunnel).
CREATE MATERIALIZED VIEW public.post_engaged_users AS
 SELECT p.workspace_id,
    u.post_id,
    u.engaged_users
   FROM ( SELECT e.post_id,
            count(DISTINCT e.platform_user_id)::integer AS engaged_users
           FROM ( SELECT engagement_events.post_id,
                    engagement_events.platform_user_id
                   FROM engagement_events
                  WHERE engagement_events.platform_user_id IS NOT NULL
                UNION ALL
                 SELECT engagement_events_archive.post_id,
                    engagement_events_archive.platform_user_id
                   FROM engagement_events_archive
                  WHERE engagement_events_archive.platform_user_id IS NOT NULL) e
          GROUP BY e.post_id) u
     JOIN social_posts p ON p.id = u.post_id
WITH DATA;
--> statement-breakpoint
CREATE UNIQUE INDEX post_engaged_users_post_key ON public.post_engaged_users USING btree (post_id);
--> statement-breakpoint
REVOKE ALL ON public.post_engaged_users FROM PUBLIC, anon, authenticated;
--> statement-breakpoint
GRANT ALL ON public.post_engaged_users TO service_role;
