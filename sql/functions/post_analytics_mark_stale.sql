-- Inputs of the derived fields other than events mark the rows they change as stale; the next
-- refresh recomputes them. Follower history moves engagement rates of the account's posts from that
-- day on; a conversion moves conversion_events of its post from its day on; a post's publication
-- time, account, category, hashtags or caption move its hours, rate and scores.
-- SECURITY DEFINER: the signed-in owner may update their post (RLS allows it) but has no right to the
-- internal post_analytics_stale table; the mark must be written on their behalf, and only that.
CREATE OR REPLACE FUNCTION public.post_analytics_mark_stale()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
  IF TG_TABLE_NAME = 'account_follower_history' THEN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
      INSERT INTO post_analytics_stale (account_id, from_day) VALUES (NEW.account_id, NEW.recorded_on);
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
      INSERT INTO post_analytics_stale (account_id, from_day) VALUES (OLD.account_id, OLD.recorded_on);
    END IF;
  ELSIF TG_TABLE_NAME = 'social_conversions' THEN
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.post_id IS NOT NULL THEN
      INSERT INTO post_analytics_stale (post_id, from_day) VALUES (NEW.post_id, (NEW.conversion_at AT TIME ZONE 'UTC')::date);
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.post_id IS NOT NULL THEN
      INSERT INTO post_analytics_stale (post_id, from_day) VALUES (OLD.post_id, (OLD.conversion_at AT TIME ZONE 'UTC')::date);
    END IF;
  ELSIF TG_TABLE_NAME = 'social_posts' THEN
    INSERT INTO post_analytics_stale (post_id, from_day) VALUES (NEW.id, '-infinity');
  END IF;
  RETURN NULL;
END
$function$;

REVOKE ALL ON FUNCTION public.post_analytics_mark_stale() FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.post_analytics_mark_stale() TO service_role;
