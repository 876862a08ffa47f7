-- Security fixes to objects of earlier migrations, found by tests/rls*.test.ts (see docs/security.md).

-- 1. post_metric_catalog was readable by anon (publicRead); the issue allows anon social_platforms only.
--    Migration 0017 replaced the policy; this drops the privilege that went with it.
SELECT count(*) FROM sync_api_grants(ARRAY['post_metric_catalog']::regclass[]);
--> statement-breakpoint
-- 2. Triggers that fire on a signed-in user's own writes, directly or through ON DELETE CASCADE / SET
--    NULL from their posts and accounts, run as that user, who has no privilege on the server-only
--    tables these functions maintain: editing a caption, deleting a post or an account failed with
--    "permission denied for table post_analytics_stale" / "topic_mention_hourly". They only write what
--    the triggering row implies, and their search_path is already pinned to public, pg_temp.
ALTER FUNCTION post_analytics_mark_stale() SECURITY DEFINER;
--> statement-breakpoint
ALTER FUNCTION topic_mentions_maintain_hourly() SECURITY DEFINER;
--> statement-breakpoint
-- 3. Migration 0012 revoked these from PUBLIC only. On Supabase, default privileges also grant EXECUTE
--    on every new function to anon and authenticated by name, which a REVOKE from PUBLIC leaves in
--    place: none of them is an API call.
REVOKE ALL ON FUNCTION normalize_topic_name(text), topic_mention_key(text, integer, text, text),
  topic_mentions_maintain_hourly(), social_posts_record_topic_mentions(), engagement_events_record_comment_hashtags(),
  detect_trending_topics(interval, integer, timestamptz), prune_topic_mentions(interval, timestamptz)
  FROM anon, authenticated;
