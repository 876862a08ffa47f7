-- Workspaces, members and roles (issue 15): access by membership, not by being signed in.
-- Hand-ordered from drizzle-kit's output: the workspace columns are added nullable, the functions and
-- triggers that keep them are installed, every existing user's rows are moved into a workspace of their
-- own, and only then are the columns made NOT NULL and the membership policies created.
CREATE TABLE "workspace_members" (
	"workspace_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"role" varchar(10) NOT NULL,
	"invited_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "workspace_members_pkey" PRIMARY KEY("workspace_id","user_id"),
	CONSTRAINT "workspace_members_role_valid" CHECK ("workspace_members"."role" IN ('viewer', 'analyst', 'editor', 'admin', 'owner'))
);
--> statement-breakpoint
ALTER TABLE "workspace_members" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE TABLE "workspaces" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" varchar(100) NOT NULL,
	"slug" varchar(63) NOT NULL,
	"publish_requires_approval" boolean DEFAULT false NOT NULL,
	"publish_max_lateness" interval DEFAULT '02:00:00'::interval NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "workspaces_slug_key" UNIQUE("slug"),
	CONSTRAINT "workspaces_name_not_blank" CHECK (btrim("workspaces"."name") <> ''),
	CONSTRAINT "workspaces_slug_format" CHECK ("workspaces"."slug" ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND char_length("workspaces"."slug") >= 2),
	CONSTRAINT "workspaces_publish_max_lateness_positive" CHECK ("workspaces"."publish_max_lateness" > interval '0')
);
--> statement-breakpoint
ALTER TABLE "workspaces" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
-- Helpers of row-level security that are not part of the API: the Data API exposes public only.
CREATE SCHEMA IF NOT EXISTS social_private;
--> statement-breakpoint
REVOKE ALL ON SCHEMA social_private FROM PUBLIC;
--> statement-breakpoint
GRANT USAGE ON SCHEMA social_private TO authenticated, service_role;
--> statement-breakpoint
-- sql/functions/member_workspaces.sql
-- The signed-in user's workspaces in which their role is at least min_role (viewer < analyst < editor
-- < admin < owner), as an array: what every row-level security policy for `authenticated` compares a
-- row's workspace_id with, written `workspace_id = ANY ((SELECT social_private.member_workspaces('viewer')))`
-- so it runs once per statement. Empty for a user with no membership (a customer of the fitness app)
-- and for an unknown role name.
-- SECURITY DEFINER: it reads workspace_members without that table's own policies, which call it (a
-- policy reading its own table through RLS would recurse). It reveals nothing but the caller's own
-- memberships. In schema social_private, which the Data API does not expose: not an RPC.
CREATE OR REPLACE FUNCTION social_private.member_workspaces(min_role text)
 RETURNS uuid[]
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
  SELECT coalesce(array_agg(m.workspace_id ORDER BY m.workspace_id), '{}'::uuid[])
  FROM public.workspace_members m
  WHERE m.user_id = auth.uid()
    AND array_position(ARRAY['viewer', 'analyst', 'editor', 'admin', 'owner'], m.role::text)
        >= array_position(ARRAY['viewer', 'analyst', 'editor', 'admin', 'owner'], min_role)
$function$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION social_private.member_workspaces(text) FROM PUBLIC, anon, authenticated, service_role;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION social_private.member_workspaces(text) TO authenticated, service_role;
--> statement-breakpoint
DROP INDEX "trending_topics_topic_platform_day_key";
--> statement-breakpoint
DROP INDEX "idx_trending_topics_dashboard_order";
--> statement-breakpoint
DROP INDEX "idx_trending_topics_active_topic";
--> statement-breakpoint
ALTER TABLE "topic_mention_daily" DROP CONSTRAINT "topic_mention_daily_pkey";
--> statement-breakpoint
ALTER TABLE "posting_slot_stats" DROP CONSTRAINT "posting_slot_stats_pkey";
--> statement-breakpoint
ALTER TABLE "account_follower_history" ADD COLUMN "workspace_id" uuid;
--> statement-breakpoint
ALTER TABLE "social_accounts" ADD COLUMN "workspace_id" uuid;
--> statement-breakpoint
ALTER TABLE "content_templates" ADD COLUMN "workspace_id" uuid;
--> statement-breakpoint
ALTER TABLE "social_posts" ADD COLUMN "workspace_id" uuid;
--> statement-breakpoint
ALTER TABLE "engagement_events" ADD COLUMN "workspace_id" uuid;
--> statement-breakpoint
ALTER TABLE "engagement_events_archive" ADD COLUMN "workspace_id" uuid;
--> statement-breakpoint
ALTER TABLE "post_analytics" ADD COLUMN "workspace_id" uuid;
--> statement-breakpoint
ALTER TABLE "topic_mention_daily" ADD COLUMN "workspace_id" uuid;
--> statement-breakpoint
ALTER TABLE "topic_mentions" ADD COLUMN "workspace_id" uuid;
--> statement-breakpoint
ALTER TABLE "trending_topics" ADD COLUMN "workspace_id" uuid;
--> statement-breakpoint
ALTER TABLE "social_conversions" ADD COLUMN "workspace_id" uuid;
--> statement-breakpoint
ALTER TABLE "post_conversion_totals" ADD COLUMN "workspace_id" uuid;
--> statement-breakpoint
ALTER TABLE "post_latest_analytics" ADD COLUMN "workspace_id" uuid;
--> statement-breakpoint
ALTER TABLE "posting_slot_stats" ADD COLUMN "workspace_id" uuid;
--> statement-breakpoint
-- Before the backfill: moving mentions between scopes upserts on it.
ALTER TABLE "topic_mention_daily" ADD CONSTRAINT "topic_mention_daily_key" UNIQUE NULLS NOT DISTINCT("day","platform_id","topic_name","workspace_id");
--> statement-breakpoint
ALTER TABLE "workspace_members" ADD CONSTRAINT "workspace_members_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "workspace_members" ADD CONSTRAINT "workspace_members_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "auth"."users"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "workspace_members" ADD CONSTRAINT "workspace_members_invited_by_users_id_fk" FOREIGN KEY ("invited_by") REFERENCES "auth"."users"("id") ON DELETE set null ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "account_follower_history" ADD CONSTRAINT "account_follower_history_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "social_accounts" ADD CONSTRAINT "social_accounts_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "content_templates" ADD CONSTRAINT "content_templates_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "social_posts" ADD CONSTRAINT "social_posts_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "post_analytics" ADD CONSTRAINT "post_analytics_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "topic_mention_daily" ADD CONSTRAINT "topic_mention_daily_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "topic_mentions" ADD CONSTRAINT "topic_mentions_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "trending_topics" ADD CONSTRAINT "trending_topics_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "social_conversions" ADD CONSTRAINT "social_conversions_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "post_conversion_totals" ADD CONSTRAINT "post_conversion_totals_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "post_latest_analytics" ADD CONSTRAINT "post_latest_analytics_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "posting_slot_stats" ADD CONSTRAINT "posting_slot_stats_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
-- Both return workspace_id now (a changed result type needs DROP first).
DROP FUNCTION public.detect_trending_topics(interval, integer, timestamp with time zone);
--> statement-breakpoint
DROP FUNCTION public.detect_trending_topics_in_mentions(interval, integer, timestamp with time zone);
--> statement-breakpoint
-- sql/functions/workspace_members_guard.sql
-- Trigger on workspace_members (BEFORE UPDATE OR DELETE): a workspace always keeps an owner, and a
-- membership never moves to another workspace or user (remove it and add another).
-- Removing or demoting the last owner is refused (SQLSTATE 23514 naming the workspace), whoever asks:
-- an admin, the owner leaving, or the deletion of the owner's auth.users row. Deleting the workspace
-- itself removes every membership and is allowed.
-- Concurrent changes to one workspace's owners are serialised by an advisory lock on the workspace,
-- so two owners demoting each other at once cannot leave it with none.
-- SECURITY DEFINER: the count of owners must not depend on what the caller's policies let them see.
CREATE OR REPLACE FUNCTION public.workspace_members_guard()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  ws_name text;
BEGIN
  IF TG_OP = 'UPDATE' AND (NEW.workspace_id <> OLD.workspace_id OR NEW.user_id <> OLD.user_id) THEN
    RAISE EXCEPTION 'workspace_members: a membership cannot move to another workspace or user; remove it and add another'
      USING ERRCODE = 'check_violation';
  END IF;
  IF OLD.role <> 'owner' OR (TG_OP = 'UPDATE' AND NEW.role = 'owner') THEN
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  END IF;
  PERFORM pg_advisory_xact_lock(hashtextextended('workspace_owners:' || OLD.workspace_id::text, 0));
  SELECT w.name INTO ws_name FROM workspaces w WHERE w.id = OLD.workspace_id;
  -- The workspace is being deleted (this is its cascade): nothing to keep.
  IF NOT FOUND THEN
    RETURN OLD;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM workspace_members m
                 WHERE m.workspace_id = OLD.workspace_id AND m.role = 'owner' AND m.user_id <> OLD.user_id) THEN
    RAISE EXCEPTION 'workspace "%" (%): user % is its last owner and cannot be %', ws_name, OLD.workspace_id, OLD.user_id,
      CASE WHEN TG_OP = 'DELETE' THEN 'removed' ELSE 'demoted' END
      USING ERRCODE = 'check_violation',
            HINT = 'Make another member an owner first, or delete the workspace.';
  END IF;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$function$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION public.workspace_members_guard() FROM PUBLIC, anon, authenticated, service_role;
--> statement-breakpoint
-- sql/functions/social_posts_workspace.sql
-- Trigger on social_posts (BEFORE INSERT OR UPDATE OF workspace_id, account_id, template_id): a post,
-- its account and its template are of one workspace. An insert that leaves workspace_id out takes
-- the account's (or else the template's), so code written before workspaces keeps working.
-- SECURITY INVOKER: a member sees only their workspaces' accounts and templates, so another
-- workspace's account is reported as not in this one, revealing nothing about it.
CREATE OR REPLACE FUNCTION public.social_posts_workspace()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
  IF NEW.workspace_id IS NULL THEN
    NEW.workspace_id := coalesce(
      (SELECT a.workspace_id FROM social_accounts a WHERE a.id = NEW.account_id),
      (SELECT ct.workspace_id FROM content_templates ct WHERE ct.id = NEW.template_id));
    IF NEW.workspace_id IS NULL THEN
      RAISE EXCEPTION 'social_posts.workspace_id: required (no account or template to take it from)'
        USING ERRCODE = 'not_null_violation', COLUMN = 'workspace_id';
    END IF;
  END IF;
  IF TG_OP = 'UPDATE' AND NEW.workspace_id <> OLD.workspace_id THEN
    RAISE EXCEPTION 'social_posts.workspace_id: a post cannot move to another workspace (its analytics and events stay with it)'
      USING ERRCODE = 'check_violation', COLUMN = 'workspace_id';
  END IF;
  IF NEW.account_id IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM social_accounts a WHERE a.id = NEW.account_id AND a.workspace_id = NEW.workspace_id) THEN
    RAISE EXCEPTION 'social_posts.account_id: account % is not in workspace %', NEW.account_id, NEW.workspace_id
      USING ERRCODE = 'foreign_key_violation', COLUMN = 'account_id';
  END IF;
  IF NEW.template_id IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM content_templates ct WHERE ct.id = NEW.template_id AND ct.workspace_id = NEW.workspace_id) THEN
    RAISE EXCEPTION 'social_posts.template_id: template % is not in workspace %', NEW.template_id, NEW.workspace_id
      USING ERRCODE = 'foreign_key_violation', COLUMN = 'template_id';
  END IF;
  RETURN NEW;
END
$function$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION public.social_posts_workspace() FROM PUBLIC, anon, authenticated, service_role;
--> statement-breakpoint
-- sql/functions/keep_workspace_and_author.sql
-- Trigger on social_accounts, content_templates and social_posts (BEFORE UPDATE OF workspace_id,
-- user_id): a row stays in its workspace and keeps its author. Moving an account would leave its posts
-- (and their analytics) in the old workspace; the update policies see only the new row, so without
-- this an editor could make anyone, a customer included, the author of a post.
CREATE OR REPLACE FUNCTION public.keep_workspace_and_author()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
  IF NEW.workspace_id IS DISTINCT FROM OLD.workspace_id THEN
    RAISE EXCEPTION '%.workspace_id: a row cannot move to another workspace', TG_TABLE_NAME
      USING ERRCODE = 'check_violation', COLUMN = 'workspace_id';
  END IF;
  IF NEW.user_id IS DISTINCT FROM OLD.user_id AND NEW.user_id IS NOT NULL THEN
    RAISE EXCEPTION '%.user_id: the author of a row does not change', TG_TABLE_NAME
      USING ERRCODE = 'check_violation', COLUMN = 'user_id';
  END IF;
  RETURN NEW;
END
$function$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION public.keep_workspace_and_author() FROM PUBLIC, anon, authenticated, service_role;
--> statement-breakpoint
-- sql/functions/fill_workspace_id_from_post.sql
-- Trigger (BEFORE INSERT, WHEN NEW.workspace_id IS NULL) on the tables derived from posts: events,
-- analytics, conversions, mentions. Copies the post's workspace, so every writer (ingestion, the
-- rollups, the app's own inserts) gets it right without naming it. Bulk ingestion writes the column
-- itself and never fires this (the WHEN clause is checked first, at no measurable cost).
-- A row whose post does not exist keeps NULL, which NOT NULL then refuses (external topic mentions,
-- which have no post, are the market's and stay NULL).
CREATE OR REPLACE FUNCTION public.fill_workspace_id_from_post()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
  IF NEW.post_id IS NOT NULL THEN
    NEW.workspace_id := (SELECT p.workspace_id FROM social_posts p WHERE p.id = NEW.post_id);
  END IF;
  RETURN NEW;
END
$function$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION public.fill_workspace_id_from_post() FROM PUBLIC, anon, authenticated, service_role;
--> statement-breakpoint
-- sql/functions/fill_workspace_id_from_account.sql
-- Trigger (BEFORE INSERT, WHEN NEW.workspace_id IS NULL) on account_follower_history: copies the
-- account's workspace.
CREATE OR REPLACE FUNCTION public.fill_workspace_id_from_account()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
  NEW.workspace_id := (SELECT a.workspace_id FROM social_accounts a WHERE a.id = NEW.account_id);
  RETURN NEW;
END
$function$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION public.fill_workspace_id_from_account() FROM PUBLIC, anon, authenticated, service_role;
--> statement-breakpoint
-- sql/functions/posting_slot_stats_apply.sql
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
--> statement-breakpoint
REVOKE ALL ON FUNCTION public.posting_slot_stats_apply() FROM PUBLIC, anon, authenticated, service_role;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION public.posting_slot_stats_apply() TO service_role;
--> statement-breakpoint
-- sql/functions/post_latest_analytics_recompute.sql
-- post_latest_analytics: each post's newest cumulative post_analytics row, with copies of the post's
-- platform, publication time and category, kept exact by statement-level triggers (one recompute per
-- touched post, not per row). Recomputing instead of comparing dates also covers an UPDATE that moves a
-- row's analysis_date and a DELETE of the newest day. SECURITY DEFINER: whoever may write
-- post_analytics (the rollup, as service_role) must keep the derived table right without being
-- granted writes on it.
CREATE OR REPLACE FUNCTION public.post_latest_analytics_recompute(post_ids uuid[])
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
  IF post_ids IS NULL OR cardinality(post_ids) = 0 THEN
    RETURN;
  END IF;
  DELETE FROM post_latest_analytics l
  WHERE l.post_id = ANY (post_ids)
    AND NOT EXISTS (SELECT 1 FROM post_analytics a WHERE a.post_id = l.post_id);
  INSERT INTO post_latest_analytics AS l (
    post_id, workspace_id, analysis_date, likes_count, comments_count, shares_count, saves_count, views_count,
    engagement_rate, profile_visits, website_clicks, platform_id, published_at, content_category)
  SELECT a.post_id, p.workspace_id, a.analysis_date, a.likes_count, a.comments_count, a.shares_count, a.saves_count, a.views_count,
         a.engagement_rate, a.profile_visits, a.website_clicks,
         p.platform_id, CASE WHEN p.status = 'published' THEN p.published_at END, p.content_category
  FROM (SELECT DISTINCT u.id FROM unnest(post_ids) AS u(id)) ids
  JOIN social_posts p ON p.id = ids.id
  CROSS JOIN LATERAL (
    SELECT * FROM post_analytics pa WHERE pa.post_id = ids.id ORDER BY pa.analysis_date DESC LIMIT 1
  ) a
  ON CONFLICT (post_id) DO UPDATE SET
    analysis_date = excluded.analysis_date,
    likes_count = excluded.likes_count,
    comments_count = excluded.comments_count,
    shares_count = excluded.shares_count,
    saves_count = excluded.saves_count,
    views_count = excluded.views_count,
    engagement_rate = excluded.engagement_rate,
    profile_visits = excluded.profile_visits,
    website_clicks = excluded.website_clicks,
    platform_id = excluded.platform_id,
    published_at = excluded.published_at,
    content_category = excluded.content_category
  -- Skip no-op rewrites: a rollup re-upserting unchanged days should not churn the table.
  WHERE (l.analysis_date, l.likes_count, l.comments_count, l.shares_count, l.saves_count, l.views_count,
         l.engagement_rate, l.profile_visits, l.website_clicks, l.platform_id, l.published_at, l.content_category)
        IS DISTINCT FROM
        (excluded.analysis_date, excluded.likes_count, excluded.comments_count, excluded.shares_count,
         excluded.saves_count, excluded.views_count, excluded.engagement_rate, excluded.profile_visits,
         excluded.website_clicks, excluded.platform_id, excluded.published_at, excluded.content_category);
END
$function$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION public.post_latest_analytics_recompute(uuid[]) FROM PUBLIC, anon, authenticated, service_role;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION public.post_latest_analytics_recompute(uuid[]) TO service_role;
--> statement-breakpoint
-- sql/functions/post_conversion_totals_recompute.sql
-- post_conversion_totals: conversions and revenue per post, recomputed for every post a statement
-- touched (a few index probes per post). A post_id set to NULL by ON DELETE SET NULL recomputes the
-- old post, whose row is then gone with it. Posts without conversions have no row.
CREATE OR REPLACE FUNCTION public.post_conversion_totals_recompute(post_ids uuid[])
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
  IF post_ids IS NULL OR cardinality(post_ids) = 0 THEN
    RETURN;
  END IF;
  DELETE FROM post_conversion_totals t
  WHERE t.post_id = ANY (post_ids)
    AND NOT EXISTS (SELECT 1 FROM social_conversions c WHERE c.post_id = t.post_id);
  INSERT INTO post_conversion_totals AS t (post_id, workspace_id, conversions, revenue, platform_id)
  -- The join drops posts being deleted (ON DELETE SET NULL runs after their row is gone).
  SELECT c.post_id, p.workspace_id, count(*)::int, sum(c.conversion_value), p.platform_id
  FROM social_conversions c
  JOIN social_posts p ON p.id = c.post_id
  WHERE c.post_id = ANY (post_ids)
  GROUP BY c.post_id, p.workspace_id, p.platform_id
  ON CONFLICT (post_id) DO UPDATE SET
    conversions = excluded.conversions, revenue = excluded.revenue, platform_id = excluded.platform_id
  WHERE (t.conversions, t.revenue, t.platform_id) IS DISTINCT FROM (excluded.conversions, excluded.revenue, excluded.platform_id);
END
$function$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION public.post_conversion_totals_recompute(uuid[]) FROM PUBLIC, anon, authenticated, service_role;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION public.post_conversion_totals_recompute(uuid[]) TO service_role;
--> statement-breakpoint
-- sql/functions/topic_mentions_maintain_daily.sql
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
--> statement-breakpoint
REVOKE ALL ON FUNCTION public.topic_mentions_maintain_daily() FROM PUBLIC, anon, authenticated, service_role;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION public.topic_mentions_maintain_daily() TO service_role;
--> statement-breakpoint
-- sql/functions/detect_trending_topics_in_mentions.sql
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
--> statement-breakpoint
REVOKE ALL ON FUNCTION public.detect_trending_topics_in_mentions(interval,integer,timestamp with time zone) FROM PUBLIC, anon, authenticated, service_role;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION public.detect_trending_topics_in_mentions(interval,integer,timestamp with time zone) TO service_role;
--> statement-breakpoint
-- sql/functions/detect_trending_topics.sql
-- Trend detection, the function pg_cron runs every hour on the hour (social-detect-trending-topics)
-- and detectTrendingTopics calls. Parameters only: no SQL text is accepted or built (the design's RPC
-- ran caller-supplied SQL). It first drains the comment-hashtag queue (record_comment_hashtags), so
-- mentions are complete, then runs detect_trending_topics_in_mentions, which holds the detection
-- itself. Lifecycle rules and thresholds: docs/trends.md (mirrored by TREND_THRESHOLDS in TypeScript).
CREATE OR REPLACE FUNCTION public.detect_trending_topics("window" interval DEFAULT '24:00:00'::interval, min_mentions integer DEFAULT 20, as_of timestamp with time zone DEFAULT now())
 RETURNS TABLE(topic_id uuid, workspace_id uuid, topic_name character varying, platform_id integer, topic_type character varying, trend_status character varying, previous_status character varying, mention_count integer, previous_mention_count integer, engagement_score bigint, growth_rate numeric, engagement_growth_rate numeric, fitness_relevance_score smallint, content_opportunities text[], action text)
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
  PERFORM record_comment_hashtags();
  RETURN QUERY SELECT * FROM detect_trending_topics_in_mentions("window", min_mentions, as_of);
END
$function$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION public.detect_trending_topics(interval,integer,timestamp with time zone) FROM PUBLIC, anon, authenticated, service_role;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION public.detect_trending_topics(interval,integer,timestamp with time zone) TO service_role;
--> statement-breakpoint
-- Upgrade of what exists: every user who owns rows gets a workspace of their own, as its owner, and
-- their rows move into it; rows derived from a post follow the post. The backfill runs with the
-- tables' own triggers off (updated_at stays as it was, no rollup reruns); topic_mentions keeps its
-- triggers, which move each mention's daily counts into the post's workspace.
INSERT INTO workspaces (name, slug)
SELECT 'Workspace ' || left(o.user_id::text, 8), 'user-' || replace(o.user_id::text, '-', '')
FROM (SELECT user_id FROM social_accounts UNION SELECT user_id FROM content_templates UNION SELECT user_id FROM social_posts) o
ORDER BY o.user_id;
--> statement-breakpoint
INSERT INTO workspace_members (workspace_id, user_id, role)
SELECT w.id, o.user_id, 'owner'
FROM (SELECT user_id FROM social_accounts UNION SELECT user_id FROM content_templates UNION SELECT user_id FROM social_posts) o
JOIN workspaces w ON w.slug = 'user-' || replace(o.user_id::text, '-', '');
--> statement-breakpoint
-- Rows whose post is gone have no owner to follow (events have no foreign key to their post;
-- conversions and mentions keep theirs when it is deleted). With one workspace they are its; otherwise
-- they go to a workspace with no members, 'unattributed', which only the service role reads.
INSERT INTO workspaces (name, slug)
SELECT 'Unattributed (from before workspaces)', 'unattributed'
WHERE (SELECT count(*) FROM workspaces) <> 1
  AND (EXISTS (SELECT 1 FROM engagement_events e WHERE NOT EXISTS (SELECT 1 FROM social_posts p WHERE p.id = e.post_id))
    OR EXISTS (SELECT 1 FROM engagement_events_archive e WHERE NOT EXISTS (SELECT 1 FROM social_posts p WHERE p.id = e.post_id))
    OR EXISTS (SELECT 1 FROM social_conversions c WHERE c.post_id IS NULL)
    OR EXISTS (SELECT 1 FROM topic_mentions m WHERE m.source <> 'external' AND m.post_id IS NULL));
--> statement-breakpoint
ALTER TABLE social_accounts DISABLE TRIGGER USER;
--> statement-breakpoint
ALTER TABLE content_templates DISABLE TRIGGER USER;
--> statement-breakpoint
ALTER TABLE social_posts DISABLE TRIGGER USER;
--> statement-breakpoint
ALTER TABLE account_follower_history DISABLE TRIGGER USER;
--> statement-breakpoint
ALTER TABLE post_analytics DISABLE TRIGGER USER;
--> statement-breakpoint
ALTER TABLE post_latest_analytics DISABLE TRIGGER USER;
--> statement-breakpoint
ALTER TABLE social_conversions DISABLE TRIGGER USER;
--> statement-breakpoint
UPDATE social_accounts a SET workspace_id = w.id FROM workspaces w WHERE w.slug = 'user-' || replace(a.user_id::text, '-', '');
--> statement-breakpoint
UPDATE content_templates ct SET workspace_id = w.id FROM workspaces w WHERE w.slug = 'user-' || replace(ct.user_id::text, '-', '');
--> statement-breakpoint
UPDATE social_posts p SET workspace_id = w.id FROM workspaces w WHERE w.slug = 'user-' || replace(p.user_id::text, '-', '');
--> statement-breakpoint
UPDATE account_follower_history h SET workspace_id = a.workspace_id FROM social_accounts a WHERE a.id = h.account_id;
--> statement-breakpoint
UPDATE post_analytics x SET workspace_id = p.workspace_id FROM social_posts p WHERE p.id = x.post_id;
--> statement-breakpoint
UPDATE post_latest_analytics x SET workspace_id = p.workspace_id FROM social_posts p WHERE p.id = x.post_id;
--> statement-breakpoint
UPDATE post_conversion_totals x SET workspace_id = p.workspace_id FROM social_posts p WHERE p.id = x.post_id;
--> statement-breakpoint
UPDATE social_conversions x SET workspace_id = p.workspace_id FROM social_posts p WHERE p.id = x.post_id;
--> statement-breakpoint
UPDATE social_conversions x
SET workspace_id = (SELECT w.id FROM workspaces w ORDER BY w.slug = 'unattributed' DESC, w.created_at, w.id LIMIT 1)
WHERE x.workspace_id IS NULL;
--> statement-breakpoint
UPDATE engagement_events x SET workspace_id = p.workspace_id FROM social_posts p WHERE p.id = x.post_id;
--> statement-breakpoint
UPDATE engagement_events x
SET workspace_id = (SELECT w.id FROM workspaces w ORDER BY w.slug = 'unattributed' DESC, w.created_at, w.id LIMIT 1)
WHERE x.workspace_id IS NULL;
--> statement-breakpoint
UPDATE engagement_events_archive x SET workspace_id = p.workspace_id FROM social_posts p WHERE p.id = x.post_id;
--> statement-breakpoint
UPDATE engagement_events_archive x
SET workspace_id = (SELECT w.id FROM workspaces w ORDER BY w.slug = 'unattributed' DESC, w.created_at, w.id LIMIT 1)
WHERE x.workspace_id IS NULL;
--> statement-breakpoint
UPDATE topic_mentions x SET workspace_id = p.workspace_id FROM social_posts p WHERE p.id = x.post_id;
--> statement-breakpoint
UPDATE topic_mentions x
SET workspace_id = (SELECT w.id FROM workspaces w ORDER BY w.slug = 'unattributed' DESC, w.created_at, w.id LIMIT 1)
WHERE x.workspace_id IS NULL AND x.source <> 'external';
--> statement-breakpoint
-- Trends detected so far mixed every user's mentions and every signed-in user read them. With one
-- workspace they are its; otherwise they stay market trends (NULL), which the staff of every workspace
-- read and customers no longer do; detection from now on keeps each workspace's apart.
UPDATE trending_topics t SET workspace_id = (SELECT w.id FROM workspaces w WHERE w.slug <> 'unattributed')
WHERE (SELECT count(*) FROM workspaces w WHERE w.slug <> 'unattributed') = 1;
--> statement-breakpoint
-- posting_slot_stats is derived from post_latest_analytics alone: rebuilt per workspace.
DELETE FROM posting_slot_stats WHERE true;
--> statement-breakpoint
INSERT INTO posting_slot_stats (workspace_id, platform_id, week_start, slot, posts_count, rate_sum)
SELECT l.workspace_id, l.platform_id, date_trunc('week', l.published_at, 'UTC'),
       (((floor(date_part('epoch', l.published_at))::bigint % 86400) + 86400) % 86400 / 900)::smallint,
       count(*)::int, sum(l.engagement_rate)
FROM post_latest_analytics l
WHERE l.published_at IS NOT NULL AND l.platform_id IS NOT NULL AND l.engagement_rate IS NOT NULL
GROUP BY 1, 2, 3, 4
ORDER BY 1, 2, 3, 4;
--> statement-breakpoint
ALTER TABLE social_accounts ENABLE TRIGGER USER;
--> statement-breakpoint
ALTER TABLE content_templates ENABLE TRIGGER USER;
--> statement-breakpoint
ALTER TABLE social_posts ENABLE TRIGGER USER;
--> statement-breakpoint
ALTER TABLE account_follower_history ENABLE TRIGGER USER;
--> statement-breakpoint
ALTER TABLE post_analytics ENABLE TRIGGER USER;
--> statement-breakpoint
ALTER TABLE post_latest_analytics ENABLE TRIGGER USER;
--> statement-breakpoint
ALTER TABLE social_conversions ENABLE TRIGGER USER;
--> statement-breakpoint
ALTER TABLE social_accounts ALTER COLUMN workspace_id SET NOT NULL;
--> statement-breakpoint
ALTER TABLE content_templates ALTER COLUMN workspace_id SET NOT NULL;
--> statement-breakpoint
ALTER TABLE social_posts ALTER COLUMN workspace_id SET NOT NULL;
--> statement-breakpoint
ALTER TABLE account_follower_history ALTER COLUMN workspace_id SET NOT NULL;
--> statement-breakpoint
ALTER TABLE post_analytics ALTER COLUMN workspace_id SET NOT NULL;
--> statement-breakpoint
ALTER TABLE post_latest_analytics ALTER COLUMN workspace_id SET NOT NULL;
--> statement-breakpoint
ALTER TABLE post_conversion_totals ALTER COLUMN workspace_id SET NOT NULL;
--> statement-breakpoint
ALTER TABLE social_conversions ALTER COLUMN workspace_id SET NOT NULL;
--> statement-breakpoint
ALTER TABLE engagement_events ALTER COLUMN workspace_id SET NOT NULL;
--> statement-breakpoint
ALTER TABLE engagement_events_archive ALTER COLUMN workspace_id SET NOT NULL;
--> statement-breakpoint
ALTER TABLE posting_slot_stats ALTER COLUMN workspace_id SET NOT NULL;
--> statement-breakpoint
CREATE TRIGGER workspace_members_guard BEFORE UPDATE OR DELETE ON workspace_members
  FOR EACH ROW EXECUTE FUNCTION workspace_members_guard();
--> statement-breakpoint
CREATE TRIGGER workspaces_set_updated_at BEFORE UPDATE ON workspaces FOR EACH ROW EXECUTE FUNCTION set_updated_at();
--> statement-breakpoint
CREATE TRIGGER social_posts_workspace BEFORE INSERT OR UPDATE OF workspace_id, account_id, template_id ON social_posts
  FOR EACH ROW EXECUTE FUNCTION social_posts_workspace();
--> statement-breakpoint
CREATE TRIGGER social_accounts_keep_workspace_and_author BEFORE UPDATE OF workspace_id, user_id ON social_accounts
  FOR EACH ROW EXECUTE FUNCTION keep_workspace_and_author();
--> statement-breakpoint
CREATE TRIGGER content_templates_keep_workspace_and_author BEFORE UPDATE OF workspace_id, user_id ON content_templates
  FOR EACH ROW EXECUTE FUNCTION keep_workspace_and_author();
--> statement-breakpoint
CREATE TRIGGER social_posts_keep_workspace_and_author BEFORE UPDATE OF workspace_id, user_id ON social_posts
  FOR EACH ROW EXECUTE FUNCTION keep_workspace_and_author();
--> statement-breakpoint
-- Writers that leave workspace_id out get the post's; bulk ingestion names it and skips the lookup.
CREATE TRIGGER engagement_events_fill_workspace BEFORE INSERT ON engagement_events
  FOR EACH ROW WHEN (NEW.workspace_id IS NULL) EXECUTE FUNCTION fill_workspace_id_from_post();
--> statement-breakpoint
CREATE TRIGGER engagement_events_archive_fill_workspace BEFORE INSERT ON engagement_events_archive
  FOR EACH ROW WHEN (NEW.workspace_id IS NULL) EXECUTE FUNCTION fill_workspace_id_from_post();
--> statement-breakpoint
CREATE TRIGGER post_analytics_fill_workspace BEFORE INSERT ON post_analytics
  FOR EACH ROW WHEN (NEW.workspace_id IS NULL) EXECUTE FUNCTION fill_workspace_id_from_post();
--> statement-breakpoint
CREATE TRIGGER social_conversions_fill_workspace BEFORE INSERT ON social_conversions
  FOR EACH ROW WHEN (NEW.workspace_id IS NULL) EXECUTE FUNCTION fill_workspace_id_from_post();
--> statement-breakpoint
CREATE TRIGGER topic_mentions_fill_workspace BEFORE INSERT ON topic_mentions
  FOR EACH ROW WHEN (NEW.workspace_id IS NULL AND NEW.post_id IS NOT NULL) EXECUTE FUNCTION fill_workspace_id_from_post();
--> statement-breakpoint
CREATE TRIGGER account_follower_history_fill_workspace BEFORE INSERT ON account_follower_history
  FOR EACH ROW WHEN (NEW.workspace_id IS NULL) EXECUTE FUNCTION fill_workspace_id_from_account();
--> statement-breakpoint
CREATE INDEX "idx_workspace_members_user" ON "workspace_members" USING btree ("user_id","workspace_id","role");
--> statement-breakpoint
CREATE INDEX "idx_workspace_members_invited_by" ON "workspace_members" USING btree ("invited_by") WHERE "workspace_members"."invited_by" IS NOT NULL;
--> statement-breakpoint
CREATE INDEX "idx_social_accounts_workspace" ON "social_accounts" USING btree ("workspace_id","platform_id");
--> statement-breakpoint
CREATE INDEX "idx_content_templates_workspace" ON "content_templates" USING btree ("workspace_id","category");
--> statement-breakpoint
CREATE INDEX "idx_posts_workspace_platform_date" ON "social_posts" USING btree ("workspace_id","platform_id","published_at" DESC NULLS LAST);
--> statement-breakpoint
CREATE UNIQUE INDEX "trending_topics_scope_topic_platform_day_key" ON "trending_topics" USING btree (coalesce("workspace_id", '00000000-0000-0000-0000-000000000000'::uuid),"topic_name","platform_id",(("first_detected_at" AT TIME ZONE 'UTC')::date));
--> statement-breakpoint
CREATE INDEX "idx_social_conversions_workspace" ON "social_conversions" USING btree ("workspace_id","conversion_at");
--> statement-breakpoint
CREATE INDEX "idx_post_latest_analytics_workspace_rate" ON "post_latest_analytics" USING btree ("workspace_id","engagement_rate" DESC NULLS LAST,"post_id");
--> statement-breakpoint
CREATE INDEX "idx_post_latest_analytics_workspace_category_rate" ON "post_latest_analytics" USING btree ("workspace_id","content_category","engagement_rate" DESC NULLS LAST,"post_id");
--> statement-breakpoint
CREATE INDEX "idx_trending_topics_dashboard_order" ON "trending_topics" USING btree ("workspace_id",array_position(ARRAY['trending', 'emerging', 'declining', 'expired']::varchar[], "trend_status"),"growth_rate" DESC NULLS LAST,"mention_count" DESC NULLS FIRST,"topic_name","platform_id");
--> statement-breakpoint
CREATE INDEX "idx_trending_topics_active_topic" ON "trending_topics" USING btree ("workspace_id","topic_name","platform_id") WHERE "trending_topics"."trend_status" <> 'expired';
--> statement-breakpoint
ALTER TABLE "posting_slot_stats" ADD CONSTRAINT "posting_slot_stats_pkey" PRIMARY KEY("workspace_id","platform_id","week_start","slot");
--> statement-breakpoint
DROP POLICY "account_follower_history_owner_select" ON "account_follower_history" CASCADE;
--> statement-breakpoint
DROP POLICY "social_accounts_owner_select" ON "social_accounts" CASCADE;
--> statement-breakpoint
DROP POLICY "social_accounts_owner_insert" ON "social_accounts" CASCADE;
--> statement-breakpoint
DROP POLICY "social_accounts_owner_update" ON "social_accounts" CASCADE;
--> statement-breakpoint
DROP POLICY "social_accounts_owner_delete" ON "social_accounts" CASCADE;
--> statement-breakpoint
DROP POLICY "content_templates_owner_select" ON "content_templates" CASCADE;
--> statement-breakpoint
DROP POLICY "content_templates_owner_insert" ON "content_templates" CASCADE;
--> statement-breakpoint
DROP POLICY "content_templates_owner_update" ON "content_templates" CASCADE;
--> statement-breakpoint
DROP POLICY "content_templates_owner_delete" ON "content_templates" CASCADE;
--> statement-breakpoint
DROP POLICY "social_posts_owner_select" ON "social_posts" CASCADE;
--> statement-breakpoint
DROP POLICY "social_posts_owner_insert" ON "social_posts" CASCADE;
--> statement-breakpoint
DROP POLICY "social_posts_owner_update" ON "social_posts" CASCADE;
--> statement-breakpoint
DROP POLICY "social_posts_owner_delete" ON "social_posts" CASCADE;
--> statement-breakpoint
DROP POLICY "engagement_events_owner_select" ON "engagement_events" CASCADE;
--> statement-breakpoint
DROP POLICY "engagement_events_archive_owner_select" ON "engagement_events_archive" CASCADE;
--> statement-breakpoint
DROP POLICY "post_analytics_owner_select" ON "post_analytics" CASCADE;
--> statement-breakpoint
DROP POLICY "fitness_lexicon_authenticated_select" ON "fitness_lexicon" CASCADE;
--> statement-breakpoint
DROP POLICY "topic_mention_daily_authenticated_select" ON "topic_mention_daily" CASCADE;
--> statement-breakpoint
DROP POLICY "topic_mentions_owner_select" ON "topic_mentions" CASCADE;
--> statement-breakpoint
DROP POLICY "trending_topics_authenticated_select" ON "trending_topics" CASCADE;
--> statement-breakpoint
DROP POLICY "social_conversions_owner_select" ON "social_conversions" CASCADE;
--> statement-breakpoint
DROP POLICY "post_conversion_totals_owner_select" ON "post_conversion_totals" CASCADE;
--> statement-breakpoint
DROP POLICY "post_latest_analytics_owner_select" ON "post_latest_analytics" CASCADE;
--> statement-breakpoint
CREATE POLICY "account_follower_history_member_select" ON "account_follower_history" AS PERMISSIVE FOR SELECT TO "authenticated" USING ("account_follower_history"."workspace_id" = ANY ((SELECT social_private.member_workspaces('viewer'::text))::uuid[]));
--> statement-breakpoint
CREATE POLICY "social_accounts_member_select" ON "social_accounts" AS PERMISSIVE FOR SELECT TO "authenticated" USING ("social_accounts"."workspace_id" = ANY ((SELECT social_private.member_workspaces('viewer'::text))::uuid[]));
--> statement-breakpoint
CREATE POLICY "social_accounts_admin_insert" ON "social_accounts" AS PERMISSIVE FOR INSERT TO "authenticated" WITH CHECK ("social_accounts"."workspace_id" = ANY ((SELECT social_private.member_workspaces('admin'::text))::uuid[]) AND "social_accounts"."user_id" = (select auth.uid()));
--> statement-breakpoint
CREATE POLICY "social_accounts_admin_update" ON "social_accounts" AS PERMISSIVE FOR UPDATE TO "authenticated" USING ("social_accounts"."workspace_id" = ANY ((SELECT social_private.member_workspaces('admin'::text))::uuid[])) WITH CHECK ("social_accounts"."workspace_id" = ANY ((SELECT social_private.member_workspaces('admin'::text))::uuid[]));
--> statement-breakpoint
CREATE POLICY "social_accounts_admin_delete" ON "social_accounts" AS PERMISSIVE FOR DELETE TO "authenticated" USING ("social_accounts"."workspace_id" = ANY ((SELECT social_private.member_workspaces('admin'::text))::uuid[]));
--> statement-breakpoint
CREATE POLICY "content_templates_member_select" ON "content_templates" AS PERMISSIVE FOR SELECT TO "authenticated" USING ("content_templates"."workspace_id" = ANY ((SELECT social_private.member_workspaces('viewer'::text))::uuid[]));
--> statement-breakpoint
CREATE POLICY "content_templates_editor_insert" ON "content_templates" AS PERMISSIVE FOR INSERT TO "authenticated" WITH CHECK ("content_templates"."workspace_id" = ANY ((SELECT social_private.member_workspaces('editor'::text))::uuid[]) AND "content_templates"."user_id" = (select auth.uid()));
--> statement-breakpoint
CREATE POLICY "content_templates_editor_update" ON "content_templates" AS PERMISSIVE FOR UPDATE TO "authenticated" USING ("content_templates"."workspace_id" = ANY ((SELECT social_private.member_workspaces('editor'::text))::uuid[])) WITH CHECK ("content_templates"."workspace_id" = ANY ((SELECT social_private.member_workspaces('editor'::text))::uuid[]));
--> statement-breakpoint
CREATE POLICY "content_templates_editor_delete" ON "content_templates" AS PERMISSIVE FOR DELETE TO "authenticated" USING ("content_templates"."workspace_id" = ANY ((SELECT social_private.member_workspaces('editor'::text))::uuid[]));
--> statement-breakpoint
CREATE POLICY "social_posts_member_select" ON "social_posts" AS PERMISSIVE FOR SELECT TO "authenticated" USING ("social_posts"."workspace_id" = ANY ((SELECT social_private.member_workspaces('viewer'::text))::uuid[]));
--> statement-breakpoint
CREATE POLICY "social_posts_editor_insert" ON "social_posts" AS PERMISSIVE FOR INSERT TO "authenticated" WITH CHECK ("social_posts"."workspace_id" = ANY ((SELECT social_private.member_workspaces('editor'::text))::uuid[]) AND "social_posts"."user_id" = (select auth.uid()));
--> statement-breakpoint
CREATE POLICY "social_posts_editor_update" ON "social_posts" AS PERMISSIVE FOR UPDATE TO "authenticated" USING ("social_posts"."workspace_id" = ANY ((SELECT social_private.member_workspaces('editor'::text))::uuid[])) WITH CHECK ("social_posts"."workspace_id" = ANY ((SELECT social_private.member_workspaces('editor'::text))::uuid[]));
--> statement-breakpoint
CREATE POLICY "social_posts_editor_delete" ON "social_posts" AS PERMISSIVE FOR DELETE TO "authenticated" USING ("social_posts"."workspace_id" = ANY ((SELECT social_private.member_workspaces('editor'::text))::uuid[]));
--> statement-breakpoint
CREATE POLICY "engagement_events_member_select" ON "engagement_events" AS PERMISSIVE FOR SELECT TO "authenticated" USING ("engagement_events"."workspace_id" = ANY ((SELECT social_private.member_workspaces('viewer'::text))::uuid[]));
--> statement-breakpoint
CREATE POLICY "engagement_events_archive_member_select" ON "engagement_events_archive" AS PERMISSIVE FOR SELECT TO "authenticated" USING ("engagement_events_archive"."workspace_id" = ANY ((SELECT social_private.member_workspaces('viewer'::text))::uuid[]));
--> statement-breakpoint
CREATE POLICY "post_analytics_member_select" ON "post_analytics" AS PERMISSIVE FOR SELECT TO "authenticated" USING ("post_analytics"."workspace_id" = ANY ((SELECT social_private.member_workspaces('viewer'::text))::uuid[]));
--> statement-breakpoint
CREATE POLICY "fitness_lexicon_staff_select" ON "fitness_lexicon" AS PERMISSIVE FOR SELECT TO "authenticated" USING (cardinality((SELECT social_private.member_workspaces('viewer'::text))::uuid[]) > 0);
--> statement-breakpoint
CREATE POLICY "topic_mention_daily_member_select" ON "topic_mention_daily" AS PERMISSIVE FOR SELECT TO "authenticated" USING (("topic_mention_daily"."workspace_id" = ANY ((SELECT social_private.member_workspaces('viewer'::text))::uuid[]) OR ("topic_mention_daily"."workspace_id" IS NULL AND cardinality((SELECT social_private.member_workspaces('viewer'::text))::uuid[]) > 0)));
--> statement-breakpoint
CREATE POLICY "topic_mentions_member_select" ON "topic_mentions" AS PERMISSIVE FOR SELECT TO "authenticated" USING (("topic_mentions"."workspace_id" = ANY ((SELECT social_private.member_workspaces('viewer'::text))::uuid[]) OR ("topic_mentions"."workspace_id" IS NULL AND cardinality((SELECT social_private.member_workspaces('viewer'::text))::uuid[]) > 0)));
--> statement-breakpoint
CREATE POLICY "trending_topics_member_select" ON "trending_topics" AS PERMISSIVE FOR SELECT TO "authenticated" USING (("trending_topics"."workspace_id" = ANY ((SELECT social_private.member_workspaces('viewer'::text))::uuid[]) OR ("trending_topics"."workspace_id" IS NULL AND cardinality((SELECT social_private.member_workspaces('viewer'::text))::uuid[]) > 0)));
--> statement-breakpoint
CREATE POLICY "social_conversions_member_select" ON "social_conversions" AS PERMISSIVE FOR SELECT TO "authenticated" USING ("social_conversions"."workspace_id" = ANY ((SELECT social_private.member_workspaces('analyst'::text))::uuid[]));
--> statement-breakpoint
CREATE POLICY "post_conversion_totals_member_select" ON "post_conversion_totals" AS PERMISSIVE FOR SELECT TO "authenticated" USING ("post_conversion_totals"."workspace_id" = ANY ((SELECT social_private.member_workspaces('analyst'::text))::uuid[]));
--> statement-breakpoint
CREATE POLICY "post_latest_analytics_member_select" ON "post_latest_analytics" AS PERMISSIVE FOR SELECT TO "authenticated" USING ("post_latest_analytics"."workspace_id" = ANY ((SELECT social_private.member_workspaces('viewer'::text))::uuid[]));
--> statement-breakpoint
CREATE POLICY "workspace_members_member_select" ON "workspace_members" AS PERMISSIVE FOR SELECT TO "authenticated" USING ("workspace_members"."workspace_id" = ANY ((SELECT social_private.member_workspaces('viewer'::text))::uuid[]));
--> statement-breakpoint
CREATE POLICY "workspace_members_admin_insert" ON "workspace_members" AS PERMISSIVE FOR INSERT TO "authenticated" WITH CHECK ("workspace_members"."workspace_id" = ANY ((SELECT social_private.member_workspaces('admin'::text))::uuid[]) AND ("workspace_members"."role" <> 'owner' OR "workspace_members"."workspace_id" = ANY ((SELECT social_private.member_workspaces('owner'::text))::uuid[])));
--> statement-breakpoint
CREATE POLICY "workspace_members_admin_update" ON "workspace_members" AS PERMISSIVE FOR UPDATE TO "authenticated" USING ("workspace_members"."workspace_id" = ANY ((SELECT social_private.member_workspaces('admin'::text))::uuid[]) AND ("workspace_members"."role" <> 'owner' OR "workspace_members"."workspace_id" = ANY ((SELECT social_private.member_workspaces('owner'::text))::uuid[]))) WITH CHECK ("workspace_members"."workspace_id" = ANY ((SELECT social_private.member_workspaces('admin'::text))::uuid[]) AND ("workspace_members"."role" <> 'owner' OR "workspace_members"."workspace_id" = ANY ((SELECT social_private.member_workspaces('owner'::text))::uuid[])));
--> statement-breakpoint
CREATE POLICY "workspace_members_admin_delete" ON "workspace_members" AS PERMISSIVE FOR DELETE TO "authenticated" USING (("workspace_members"."workspace_id" = ANY ((SELECT social_private.member_workspaces('admin'::text))::uuid[]) AND ("workspace_members"."role" <> 'owner' OR "workspace_members"."workspace_id" = ANY ((SELECT social_private.member_workspaces('owner'::text))::uuid[])))
        OR ("workspace_members"."user_id" = (select auth.uid()) AND "workspace_members"."workspace_id" = ANY ((SELECT social_private.member_workspaces('viewer'::text))::uuid[])));
--> statement-breakpoint
CREATE POLICY "workspace_members_service_role_all" ON "workspace_members" AS PERMISSIVE FOR ALL TO "service_role" USING (true) WITH CHECK (true);
--> statement-breakpoint
CREATE POLICY "workspaces_member_select" ON "workspaces" AS PERMISSIVE FOR SELECT TO "authenticated" USING ("workspaces"."id" = ANY ((SELECT social_private.member_workspaces('viewer'::text))::uuid[]));
--> statement-breakpoint
CREATE POLICY "workspaces_admin_update" ON "workspaces" AS PERMISSIVE FOR UPDATE TO "authenticated" USING ("workspaces"."id" = ANY ((SELECT social_private.member_workspaces('admin'::text))::uuid[])) WITH CHECK ("workspaces"."id" = ANY ((SELECT social_private.member_workspaces('admin'::text))::uuid[]));
--> statement-breakpoint
CREATE POLICY "workspaces_owner_delete" ON "workspaces" AS PERMISSIVE FOR DELETE TO "authenticated" USING ("workspaces"."id" = ANY ((SELECT social_private.member_workspaces('owner'::text))::uuid[]));
--> statement-breakpoint
CREATE POLICY "workspaces_service_role_all" ON "workspaces" AS PERMISSIVE FOR ALL TO "service_role" USING (true) WITH CHECK (true);
--> statement-breakpoint
-- Supabase's default privileges gave anon and authenticated ALL on the two new tables, TRUNCATE
-- included (which row-level security does not filter): each API role keeps only what its policies
-- are written for.
SELECT count(*) FROM sync_api_grants(ARRAY['workspaces', 'workspace_members']::regclass[]);
