-- Platform rules on posts, in the database so no client can bypass them: hashtags lose their
-- '#', and caption length, hashtag count and media type must fit the post's platform.
CREATE OR REPLACE FUNCTION public.social_posts_enforce_platform_rules()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  p social_platforms%ROWTYPE;
BEGIN
  IF NEW.hashtags IS NOT NULL THEN
    NEW.hashtags := ARRAY(
      SELECT regexp_replace(btrim(h), '^#+', '')
      FROM unnest(NEW.hashtags) WITH ORDINALITY AS u(h, n)
      ORDER BY n
    );
  END IF;

  SELECT * INTO p FROM social_platforms WHERE id = NEW.platform_id;
  IF NOT FOUND THEN
    RETURN NEW; -- the foreign key reports an unknown platform
  END IF;

  IF p.max_caption_length IS NOT NULL AND char_length(NEW.caption) > p.max_caption_length THEN
    RAISE EXCEPTION 'caption: % characters, over the % limit of %', char_length(NEW.caption), p.name, p.max_caption_length
      USING ERRCODE = 'check_violation', TABLE = 'social_posts', COLUMN = 'caption',
            CONSTRAINT = 'social_posts_caption_within_platform_limit';
  END IF;
  IF p.max_hashtags IS NOT NULL AND cardinality(NEW.hashtags) > p.max_hashtags THEN
    RAISE EXCEPTION 'hashtags: % hashtags, over the % limit of %', cardinality(NEW.hashtags), p.name, p.max_hashtags
      USING ERRCODE = 'check_violation', TABLE = 'social_posts', COLUMN = 'hashtags',
            CONSTRAINT = 'social_posts_hashtags_within_platform_limit';
  END IF;
  IF cardinality(p.supported_content_types) > 0 AND NOT (NEW.media_type = ANY (p.supported_content_types)) THEN
    RAISE EXCEPTION 'media_type: % does not support %', p.name, NEW.media_type
      USING ERRCODE = 'check_violation', TABLE = 'social_posts', COLUMN = 'media_type',
            CONSTRAINT = 'social_posts_media_type_supported_by_platform';
  END IF;
  RETURN NEW;
END
$function$;

REVOKE ALL ON FUNCTION public.social_posts_enforce_platform_rules() FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.social_posts_enforce_platform_rules() TO service_role;
