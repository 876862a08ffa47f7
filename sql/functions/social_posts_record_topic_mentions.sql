-- Our own posts: when a post is (re)published, its hashtags become own_post mentions at published_at.
-- SECURITY DEFINER because an editor may publish a post of their workspace but has no write access to
-- topic_mentions; the function writes only rows derived from the post it fires for, in the post's
-- workspace (a post never changes workspace, so its mentions never have to move).
CREATE OR REPLACE FUNCTION public.social_posts_record_topic_mentions()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  too_long text;
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.status = 'published' AND OLD.hashtags = NEW.hashtags
     AND OLD.published_at IS NOT DISTINCT FROM NEW.published_at AND OLD.platform_id = NEW.platform_id THEN
    RETURN NULL;
  END IF;

  -- The post's current hashtags and publication time replace what it recorded before.
  DELETE FROM topic_mentions m
  WHERE m.post_id = NEW.id AND m.source = 'own_post'
    AND (m.mentioned_at <> NEW.published_at OR m.platform_id <> NEW.platform_id
         OR m.topic_name <> ALL (SELECT normalize_topic_name(h) FROM unnest(NEW.hashtags) h WHERE h IS NOT NULL));

  INSERT INTO topic_mentions (mention_key, mentioned_at, platform_id, engagement_weight, post_id, topic_name, topic_type, source,
                              workspace_id)
  SELECT topic_mention_key('own_post', NEW.platform_id, NEW.id::text, t.name), NEW.published_at, NEW.platform_id, 1,
         NEW.id, t.name, 'hashtag', 'own_post', NEW.workspace_id
  FROM (SELECT DISTINCT normalize_topic_name(h) AS name FROM unnest(NEW.hashtags) h) t
  WHERE t.name IS NOT NULL AND char_length(t.name) <= 100
  ON CONFLICT (mention_key) DO NOTHING;

  SELECT string_agg(h, ', ') INTO too_long FROM unnest(NEW.hashtags) h WHERE char_length(normalize_topic_name(h)) > 100;
  IF too_long IS NOT NULL THEN
    RAISE WARNING 'topic_mentions: post % hashtags longer than 100 characters are not topics: %', NEW.id, too_long;
  END IF;
  RETURN NULL;
END
$function$;

REVOKE ALL ON FUNCTION public.social_posts_record_topic_mentions() FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.social_posts_record_topic_mentions() TO service_role;
