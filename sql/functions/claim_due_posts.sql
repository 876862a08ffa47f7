-- Hands due posts to one worker each (issue 16). Due posts are read in due order through the partial
-- index on next_attempt_at and locked FOR UPDATE SKIP LOCKED, so concurrent workers never wait for
-- each other and never get the same post. Of those:
-- - a post later than its max lateness (the post's, else its workspace's) becomes `missed` instead
--   of going out hours late; one whose account is inactive becomes `failed` (a post without an
--   account is the app's to route: no account limit applies to it);
-- - per account, posts over its rate limit (posts per rolling window, minimum spacing; the account's
--   settings, else its platform's platform_publish_limits) stay scheduled with next_attempt_at moved to when
--   the limit allows and publish_wait_reason saying why, so later claims do not read them again;
-- - the rest become `publishing` with a fresh claim token and a lease, and get a row in
--   post_publish_attempts (worker, start, how late).
-- Limits are counted over post_publish_attempts under a per-account transaction advisory lock taken
-- in account order, with the start time read after the lock: whoever holds it has seen every attempt
-- committed before it, so two workers can never both take the last free place. Hence READ COMMITTED
-- only (each statement sees what the previous lock holder committed). Every attempt counts, a
-- refused or failed one too (it may have reached the platform and used its quota). Expired leases found on the way (at most
-- 100 a call) become `unknown` first, so publishing never stays stuck even without maintenance.
-- `as_of` replaces the clock (tests).
CREATE OR REPLACE FUNCTION public.claim_due_posts(worker text, max_posts integer DEFAULT 10, lease interval DEFAULT '00:05:00'::interval, as_of timestamp with time zone DEFAULT NULL::timestamp with time zone)
 RETURNS TABLE(post_id uuid, claim_token uuid, attempt integer, lease_expires_at timestamp with time zone, workspace_id uuid, account_id uuid, platform_account_id text, platform text, scheduled_at timestamp with time zone, due_at timestamp with time zone, lateness interval, media_type text, title text, caption text, hashtags text[], mentions text[], media_urls text[], thumbnail_url text, platform_metadata jsonb)
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
AS $function$
#variable_conflict use_column
DECLARE
  prev_flag text := current_setting('social.publish_function', true);
  t0 timestamptz := coalesce(claim_due_posts.as_of, clock_timestamp());
  t timestamptz;
  ids uuid[];
BEGIN
  IF claim_due_posts.worker IS NULL OR btrim(claim_due_posts.worker) = '' OR length(claim_due_posts.worker) > 100 THEN
    RAISE EXCEPTION 'worker: % is not a worker name (1 to 100 characters)', coalesce(quote_literal(claim_due_posts.worker), 'NULL')
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF claim_due_posts.max_posts IS NULL OR claim_due_posts.max_posts NOT BETWEEN 1 AND 1000 THEN
    RAISE EXCEPTION 'max_posts: % is not between 1 and 1000', coalesce(claim_due_posts.max_posts::text, 'NULL')
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF claim_due_posts.lease IS NULL OR claim_due_posts.lease < interval '1 second' OR claim_due_posts.lease > interval '1 day' THEN
    RAISE EXCEPTION 'lease: % is not between 1 second and 1 day', coalesce(claim_due_posts.lease::text, 'NULL')
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'claim_due_posts runs in READ COMMITTED only, not %: rate limits are counted from what other workers committed',
      current_setting('transaction_isolation') USING ERRCODE = 'invalid_transaction_state';
  END IF;

  PERFORM set_config('social.publish_function', 'on', true);
  PERFORM expire_post_publish_leases(t0, 100);

  SELECT array_agg(c.id) INTO ids FROM (
    SELECT p.id FROM social_posts p
    WHERE p.status = 'scheduled' AND p.next_attempt_at <= t0
    ORDER BY p.next_attempt_at, p.id
    LIMIT claim_due_posts.max_posts
    FOR UPDATE OF p SKIP LOCKED) c;
  IF ids IS NULL THEN
    PERFORM set_config('social.publish_function', coalesce(prev_flag, ''), true);
    RETURN;
  END IF;

  -- Accounts with a limit, locked in account order (no deadlock between workers), then the clock.
  PERFORM pg_advisory_xact_lock(hashtext('social_posts publish account'), hashtext(l.account_id::text))
  FROM (SELECT DISTINCT p.account_id
        FROM social_posts p
        JOIN social_platforms pl ON pl.id = p.platform_id
        LEFT JOIN account_publishing_settings s ON s.account_id = p.account_id
        CROSS JOIN LATERAL platform_publish_limits(pl.rate_limits) d
        WHERE p.id = ANY (ids) AND p.account_id IS NOT NULL
          AND (coalesce(s.posts_per_window, d.posts_per_window) IS NOT NULL OR coalesce(s.min_spacing, d.min_spacing) > interval '0')
        ORDER BY 1) l;
  t := CASE WHEN claim_due_posts.as_of IS NULL THEN clock_timestamp() ELSE t0 END;

  -- One statement settles every candidate: missed, failed (no active account), claimed, or waiting
  -- on its account's limit until the instant the limit allows.
  RETURN QUERY
  WITH c AS (
    SELECT p.id, p.account_id, p.scheduled_at, p.next_attempt_at,
           CASE WHEN t0 - p.scheduled_at > coalesce(p.max_lateness, w.publish_max_lateness) THEN 'missed'
                WHEN p.account_id IS NOT NULL AND NOT a.is_active THEN 'failed' END AS settle,
           coalesce(p.max_lateness, w.publish_max_lateness) AS max_lateness, a.handle,
           CASE WHEN p.account_id IS NOT NULL THEN coalesce(s.posts_per_window, d.posts_per_window) END AS cap,
           coalesce(s.rate_window, d.rate_window) AS win,
           CASE WHEN p.account_id IS NOT NULL THEN coalesce(s.min_spacing, d.min_spacing) ELSE interval '0' END AS spacing
    FROM social_posts p
    JOIN workspaces w ON w.id = p.workspace_id
    JOIN social_platforms pl ON pl.id = p.platform_id
    CROSS JOIN LATERAL platform_publish_limits(pl.rate_limits) d
    LEFT JOIN social_accounts a ON a.id = p.account_id
    LEFT JOIN account_publishing_settings s ON s.account_id = p.account_id
    WHERE p.id = ANY (ids)
  ), ranked AS (
    SELECT c.*, row_number() OVER (PARTITION BY c.account_id, c.settle IS NULL ORDER BY c.next_attempt_at, c.id) AS rn
    FROM c
  ), acct AS (
    SELECT g.*,
           least(g.waiting,
                 CASE WHEN g.cap IS NULL THEN g.waiting ELSE greatest(g.cap - g.n, 0) END,
                 CASE WHEN g.spacing > interval '0' THEN (g.last_start IS NULL)::int ELSE g.waiting END) AS k
    FROM (
      SELECT r.account_id, r.cap, r.win, r.spacing, count(*)::int AS waiting,
             CASE WHEN r.cap IS NULL THEN 0 ELSE
               (SELECT count(*)::int FROM post_publish_attempts x
                WHERE x.account_id = r.account_id AND x.started_at > t - r.win) END AS n,
             CASE WHEN r.spacing > interval '0' THEN
               (SELECT max(x.started_at) FROM post_publish_attempts x
                WHERE x.account_id = r.account_id AND x.started_at > t - r.spacing) END AS last_start
      FROM ranked r
      WHERE r.settle IS NULL
      GROUP BY r.account_id, r.cap, r.win, r.spacing
    ) g
  ), limits AS (
    -- When the posts left over may go: the window must drop enough starts (the (n + k - cap + 1)-th
    -- oldest, counting the k claimed now at t), and the spacing must pass since the last start.
    SELECT acct.account_id, acct.k, acct.n, acct.cap, acct.win, acct.spacing,
           CASE WHEN acct.cap IS NOT NULL AND acct.n + acct.k >= acct.cap THEN
             coalesce(CASE WHEN acct.n + acct.k - acct.cap < acct.n THEN
                        (SELECT x.started_at FROM post_publish_attempts x
                         WHERE x.account_id = acct.account_id AND x.started_at > t - acct.win
                         ORDER BY x.started_at OFFSET acct.n + acct.k - acct.cap LIMIT 1) END, t) + acct.win END AS wait_cap,
           CASE WHEN acct.spacing > interval '0' THEN
             CASE WHEN acct.k > 0 THEN t ELSE acct.last_start END + acct.spacing END AS wait_spacing,
           CASE WHEN acct.k > 0 THEN t ELSE acct.last_start END AS last_start
    FROM acct
  ), plan AS (
    SELECT r.id, r.settle, r.scheduled_at, r.next_attempt_at, r.max_lateness, r.handle, r.account_id,
           r.settle IS NULL AND r.rn <= l.k AS claim,
           coalesce(greatest(l.wait_cap, l.wait_spacing), t + l.win) AS wait_until,
           CASE WHEN l.wait_cap IS NOT NULL AND l.wait_cap >= coalesce(l.wait_spacing, l.wait_cap)
                THEN format('rate limit: %s of %s posts in the last %s on this account', l.n + l.k, l.cap, l.win)
                ELSE format('spacing: last post on this account at %s, at least %s apart', l.last_start, l.spacing) END AS why
    FROM ranked r
    LEFT JOIN limits l ON l.account_id IS NOT DISTINCT FROM r.account_id AND r.settle IS NULL
  ), u AS (
    UPDATE social_posts p
    SET status = CASE WHEN pl.settle IS NOT NULL THEN pl.settle WHEN pl.claim THEN 'publishing' ELSE 'scheduled' END,
        last_error = CASE
          WHEN pl.settle = 'missed' THEN
            format('missed: due at %s, still not published at %s (%s late, max lateness %s)', pl.scheduled_at, t0,
                   date_trunc('second', t0 - pl.scheduled_at), pl.max_lateness)
          WHEN pl.settle = 'failed' THEN format('account %s is inactive: activate it, then schedule the post again', pl.handle)
          ELSE p.last_error END,
        claim_token = CASE WHEN pl.claim THEN gen_random_uuid() END,
        claimed_by = CASE WHEN pl.claim THEN claim_due_posts.worker END,
        lease_expires_at = CASE WHEN pl.claim THEN t + claim_due_posts.lease END,
        publish_attempts = p.publish_attempts + CASE WHEN pl.claim THEN 1 ELSE 0 END,
        next_attempt_at = CASE WHEN pl.settle IS NULL AND NOT pl.claim THEN pl.wait_until ELSE p.next_attempt_at END,
        publish_wait_reason = CASE WHEN pl.settle IS NULL AND NOT pl.claim THEN format('%s; waits until %s', pl.why, pl.wait_until) END
    FROM plan pl
    WHERE p.id = pl.id
    RETURNING p.id, pl.claim, p.workspace_id, p.account_id, p.platform_id, p.publish_attempts, p.claim_token,
              p.lease_expires_at, p.scheduled_at, pl.next_attempt_at AS due_at, p.media_type, p.title, p.caption, p.hashtags,
              p.mentions, p.media_urls, p.thumbnail_url, p.platform_metadata
  ), ins AS (
    INSERT INTO post_publish_attempts (post_id, workspace_id, account_id, platform_id, attempt, worker, claim_token, started_at, due_at, lateness)
    SELECT u.id, u.workspace_id, u.account_id, u.platform_id, u.publish_attempts, claim_due_posts.worker, u.claim_token, t,
           u.due_at, greatest(t - u.scheduled_at, interval '0')
    FROM u
    WHERE u.claim
    RETURNING 1
  )
  SELECT u.id, u.claim_token, u.publish_attempts, u.lease_expires_at, u.workspace_id, u.account_id, a.platform_account_id::text,
         pl.name::text, u.scheduled_at, u.due_at, greatest(t - u.scheduled_at, interval '0'), u.media_type::text, u.title::text,
         u.caption, u.hashtags, u.mentions, u.media_urls, u.thumbnail_url, u.platform_metadata
  FROM u
  JOIN social_platforms pl ON pl.id = u.platform_id
  LEFT JOIN social_accounts a ON a.id = u.account_id
  WHERE u.claim
  ORDER BY u.due_at, u.id;
  PERFORM set_config('social.publish_function', coalesce(prev_flag, ''), true);
END
$function$;

REVOKE ALL ON FUNCTION public.claim_due_posts(text,integer,interval,timestamp with time zone) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.claim_due_posts(text,integer,interval,timestamp with time zone) TO service_role;
