-- What drizzle-kit cannot express for the core tables: partitioning, triggers, seeds.

-- 1. engagement_events becomes RANGE-partitioned by month. Drizzle created it plain (it has no
--    partition API); the table is still empty here, so it is rebuilt with the same columns, checks
--    and constraint names, and the schema snapshot stays true.
ALTER TABLE engagement_events RENAME TO engagement_events_unpartitioned;
--> statement-breakpoint
CREATE TABLE engagement_events (
  LIKE engagement_events_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS
) PARTITION BY RANGE (event_timestamp);
--> statement-breakpoint
DROP TABLE engagement_events_unpartitioned;
--> statement-breakpoint
ALTER TABLE engagement_events ADD CONSTRAINT engagement_events_pkey PRIMARY KEY (post_id, event_timestamp, event_key);
--> statement-breakpoint
CREATE INDEX idx_engagement_events_timestamp_brin ON engagement_events USING brin (event_timestamp);
--> statement-breakpoint
-- Events whose month has no partition yet (a clock far off, a backfill from 1999) land here instead of
-- failing; ensure_engagement_partitions() moves them into their month. Trade-off: with a DEFAULT
-- partition, DETACH PARTITION ... CONCURRENTLY is not allowed, so archiving detaches with a short
-- ACCESS EXCLUSIVE lock instead (a catalog change, not a data copy).
CREATE TABLE engagement_events_default PARTITION OF engagement_events DEFAULT;
--> statement-breakpoint

-- 2. Idempotency keys: the SQL twin of eventKey() in TypeScript, so events inserted from SQL
--    (pg_cron jobs, Supabase clients) derive the same key. First 64 bits of SHA-256, signed.
CREATE FUNCTION engagement_event_key(source text) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT ('x' || left(encode(sha256(convert_to(source, 'UTF8')), 'hex'), 16))::bit(64)::bigint $$;
--> statement-breakpoint

-- 3. Monthly partitions: the current month through `months_ahead`, plus every month that has rows
--    waiting in the DEFAULT partition (those rows are moved into their month; none is lost).
CREATE FUNCTION ensure_engagement_partitions(months_ahead integer DEFAULT 3)
RETURNS TABLE (partition_name text, range_start timestamptz, range_end timestamptz, rows_moved bigint)
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
DECLARE
  m timestamptz;
  lo timestamptz;
  hi timestamptz;
  part text;
  moved bigint;
BEGIN
  IF months_ahead IS NULL OR months_ahead < 0 OR months_ahead > 120 THEN
    RAISE EXCEPTION 'months_ahead: % is out of range (0..120)', months_ahead USING ERRCODE = 'invalid_parameter_value';
  END IF;
  -- One maintainer at a time; concurrent inserts only wait for the short DDL locks.
  PERFORM pg_advisory_xact_lock(hashtext('ensure_engagement_partitions'));

  FOR m IN
    SELECT gs FROM generate_series(
      date_trunc('month', now(), 'UTC'),
      date_trunc('month', now(), 'UTC') + make_interval(months => months_ahead),
      interval '1 month') AS gs
    UNION
    SELECT DISTINCT date_trunc('month', d.event_timestamp, 'UTC') FROM engagement_events_default d
    ORDER BY 1
  LOOP
    lo := m;
    hi := date_trunc('month', m + interval '32 days', 'UTC');
    part := format('engagement_events_y%sm%s', to_char(lo AT TIME ZONE 'UTC', 'YYYY'), to_char(lo AT TIME ZONE 'UTC', 'MM'));
    CONTINUE WHEN to_regclass(format('public.%I', part)) IS NOT NULL;

    -- Rows of this month in DEFAULT would make CREATE ... PARTITION OF fail: park them, create, put back.
    LOCK TABLE engagement_events_default IN SHARE ROW EXCLUSIVE MODE;
    CREATE TEMP TABLE IF NOT EXISTS engagement_events_parked (LIKE engagement_events) ON COMMIT DROP;
    TRUNCATE engagement_events_parked;
    WITH gone AS (
      DELETE FROM engagement_events_default d
      WHERE d.event_timestamp >= lo AND d.event_timestamp < hi
      RETURNING d.*
    )
    INSERT INTO engagement_events_parked SELECT * FROM gone;
    GET DIAGNOSTICS moved = ROW_COUNT;

    EXECUTE format('CREATE TABLE %I PARTITION OF engagement_events FOR VALUES FROM (%L) TO (%L)', part, lo, hi);
    -- Partitions are tables of their own: closed to the API roles like every other table.
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', part);
    EXECUTE format('REVOKE ALL ON TABLE %I FROM PUBLIC', part);
    IF moved > 0 THEN
      INSERT INTO engagement_events SELECT * FROM engagement_events_parked;
    END IF;

    partition_name := part;
    range_start := lo;
    range_end := hi;
    rows_moved := moved;
    RETURN NEXT;
  END LOOP;
END
$$;
--> statement-breakpoint
ALTER TABLE engagement_events_default ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
SELECT count(*) FROM ensure_engagement_partitions(3);
--> statement-breakpoint

-- 4. Platforms every database has. Limits corrected from the design: TikTok allows hashtags (the
--    design's 0 forbade them all) and captions up to 4,000 characters; YouTube ignores every hashtag
--    of a video that has more than 60.
INSERT INTO social_platforms (name, display_name, api_version, supported_content_types, max_caption_length, max_hashtags)
VALUES
  ('instagram', 'Instagram', 'v21.0', ARRAY['image', 'video', 'carousel', 'story', 'reel'], 2200, 30),
  ('tiktok', 'TikTok', 'v2', ARRAY['video', 'carousel'], 4000, NULL),
  ('youtube', 'YouTube Shorts', 'v3', ARRAY['video'], 5000, 60)
ON CONFLICT (name) DO NOTHING;
--> statement-breakpoint

-- 5. updated_at changes on every UPDATE (DEFAULT now() only ever fires on INSERT).
CREATE FUNCTION set_updated_at() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE TRIGGER social_platforms_set_updated_at BEFORE UPDATE ON social_platforms FOR EACH ROW EXECUTE FUNCTION set_updated_at();
--> statement-breakpoint
CREATE TRIGGER social_accounts_set_updated_at BEFORE UPDATE ON social_accounts FOR EACH ROW EXECUTE FUNCTION set_updated_at();
--> statement-breakpoint
CREATE TRIGGER content_templates_set_updated_at BEFORE UPDATE ON content_templates FOR EACH ROW EXECUTE FUNCTION set_updated_at();
--> statement-breakpoint
CREATE TRIGGER social_posts_set_updated_at BEFORE UPDATE ON social_posts FOR EACH ROW EXECUTE FUNCTION set_updated_at();
--> statement-breakpoint
CREATE TRIGGER post_analytics_set_updated_at BEFORE UPDATE ON post_analytics FOR EACH ROW EXECUTE FUNCTION set_updated_at();
--> statement-breakpoint

-- 6. Platform rules on posts, in the database so no client can bypass them: hashtags lose their
--    '#', and caption length, hashtag count and media type must fit the post's platform.
CREATE FUNCTION social_posts_enforce_platform_rules() RETURNS trigger
LANGUAGE plpgsql
AS $$
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
$$;
--> statement-breakpoint
CREATE TRIGGER social_posts_enforce_platform_rules
BEFORE INSERT OR UPDATE OF caption, hashtags, media_type, platform_id ON social_posts
FOR EACH ROW EXECUTE FUNCTION social_posts_enforce_platform_rules();
