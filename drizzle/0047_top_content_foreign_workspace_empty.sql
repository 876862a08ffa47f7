-- Carries sql/functions/get_top_content.sql.
-- Written by npm run sql:migration from the files' content; edit the files, not this, and add a comment here on why.
-- Why: a `workspace` the caller is not a member of (or that does not exist) gives no rows instead of an
-- error, as row-level security and every other RPC of the access matrix answer; getTopContentByCategory
-- turns an empty answer for an unknown workspace into an InvalidInputError naming workspaceId.
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
-- A `workspace` that does not exist, or that the signed-in caller is not a member of, gives no rows,
-- as row-level security would (it says nothing about whether the workspace exists); so does a caller
-- of no workspace (a customer of the fitness app). getTopContentByCategory turns an empty answer for
-- an unknown workspace into an error naming workspaceId.
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
      scope := CASE WHEN workspace = ANY (scope) THEN ARRAY[workspace] ELSE '{}'::uuid[] END;
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
END
$function$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION public.get_top_content(character varying,integer,integer,uuid) FROM PUBLIC, anon, authenticated, service_role;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION public.get_top_content(character varying,integer,integer,uuid) TO authenticated, service_role;
