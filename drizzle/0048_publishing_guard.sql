-- Carries sql/functions/claim_due_posts.sql, sql/functions/complete_post_publish.sql, sql/functions/expire_post_publish_leases.sql, sql/functions/fail_post_publish.sql, sql/functions/mark_post_publish_unknown.sql, sql/functions/reconcile_post_publish.sql, sql/functions/social_posts_publish_state.sql.
-- Written by npm run sql:migration from the files' content; edit the files, not this, and add a comment here on why.
-- Why: moves into and out of publishing and unknown are the publishing functions' alone, for every role
-- (each sets social.publish_function while it writes, and the state trigger refuses those moves
-- otherwise), so no UPDATE takes a post from under its worker.
-- sql/functions/claim_due_posts.sql
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
--> statement-breakpoint
REVOKE ALL ON FUNCTION public.claim_due_posts(text,integer,interval,timestamp with time zone) FROM PUBLIC, anon, authenticated, service_role;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION public.claim_due_posts(text,integer,interval,timestamp with time zone) TO service_role;
--> statement-breakpoint
-- sql/functions/complete_post_publish.sql
-- A worker's success: the post is `published` with the platform's id and URL. Only under the claim
-- that is the post's current one: while `publishing`, and also once it went `unknown` after the
-- lease ran out (nobody else can hold it then, and the platform did publish it); any other token is
-- refused, so a worker whose lease ran out cannot overwrite another's result.
CREATE OR REPLACE FUNCTION public.complete_post_publish(post_id uuid, claim_token uuid, platform_post_id text, platform_url text DEFAULT NULL::text, published_at timestamp with time zone DEFAULT NULL::timestamp with time zone, response jsonb DEFAULT NULL::jsonb)
 RETURNS timestamp with time zone
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  prev_flag text := current_setting('social.publish_function', true);
  at timestamptz := coalesce(complete_post_publish.published_at, clock_timestamp());
  done boolean;
BEGIN
  IF complete_post_publish.platform_post_id IS NULL OR btrim(complete_post_publish.platform_post_id) = ''
     OR length(complete_post_publish.platform_post_id) > 100 THEN
    RAISE EXCEPTION 'platform_post_id: % is not a platform post id (1 to 100 characters): webhooks and insights find the post by it',
      coalesce(quote_literal(complete_post_publish.platform_post_id), 'NULL') USING ERRCODE = 'invalid_parameter_value';
  END IF;
  PERFORM set_config('social.publish_function', 'on', true);
  UPDATE social_posts s
  SET status = 'published', platform_post_id = complete_post_publish.platform_post_id,
      platform_url = coalesce(complete_post_publish.platform_url, s.platform_url), published_at = at, last_error = NULL
  WHERE s.id = complete_post_publish.post_id AND s.claim_token = complete_post_publish.claim_token
    AND s.status IN ('publishing', 'unknown')
  RETURNING true INTO done;
  IF done IS NULL THEN
    PERFORM post_publish_claim_refused(complete_post_publish.post_id, complete_post_publish.claim_token, 'complete_post_publish');
  END IF;
  UPDATE post_publish_attempts a
  SET outcome = 'published', finished_at = clock_timestamp(), error = NULL,
      platform_response = coalesce(complete_post_publish.response, a.platform_response)
  WHERE a.claim_token = complete_post_publish.claim_token;
  PERFORM set_config('social.publish_function', coalesce(prev_flag, ''), true);
  RETURN at;
END
$function$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION public.complete_post_publish(uuid,uuid,text,text,timestamp with time zone,jsonb) FROM PUBLIC, anon, authenticated, service_role;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION public.complete_post_publish(uuid,uuid,text,text,timestamp with time zone,jsonb) TO service_role;
--> statement-breakpoint
-- sql/functions/expire_post_publish_leases.sql
-- Posts left `publishing` past their lease (the worker crashed, or timed out after its request left)
-- become `unknown`, never `scheduled`: the platform may have published them, and a silent retry is
-- how a post goes out twice. reconcile_post_publish settles them. Skips rows being settled right now
-- (SKIP LOCKED); `max_rows` bounds one call (claim_due_posts takes 100 on each call).
CREATE OR REPLACE FUNCTION public.expire_post_publish_leases(as_of timestamp with time zone DEFAULT NULL::timestamp with time zone, max_rows integer DEFAULT NULL::integer)
 RETURNS integer
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  prev_flag text := current_setting('social.publish_function', true);
  t timestamptz := coalesce(expire_post_publish_leases.as_of, clock_timestamp());
  expired integer;
BEGIN
  IF expire_post_publish_leases.max_rows < 1 THEN
    RAISE EXCEPTION 'max_rows: % is not a positive number (NULL: no bound)', expire_post_publish_leases.max_rows
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  PERFORM set_config('social.publish_function', 'on', true);
  WITH x AS (
    SELECT p.id FROM social_posts p
    WHERE p.status = 'publishing' AND p.lease_expires_at < t
    ORDER BY p.lease_expires_at
    LIMIT expire_post_publish_leases.max_rows
    FOR UPDATE OF p SKIP LOCKED
  ), u AS (
    UPDATE social_posts p
    SET status = 'unknown',
        last_error = format('outcome unknown: the lease of worker %s ran out at %s while publishing; the platform may have published it (reconcile_post_publish settles it)',
                            p.claimed_by, p.lease_expires_at)
    FROM x
    WHERE p.id = x.id
    RETURNING p.claim_token, p.lease_expires_at
  ), a AS (
    UPDATE post_publish_attempts a
    SET outcome = 'unknown', finished_at = t, error = format('lease ran out at %s', u.lease_expires_at)
    FROM u
    WHERE a.claim_token = u.claim_token AND a.outcome IS NULL
    RETURNING 1
  )
  SELECT count(*)::int INTO expired FROM u;
  PERFORM set_config('social.publish_function', coalesce(prev_flag, ''), true);
  RETURN expired;
END
$function$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION public.expire_post_publish_leases(timestamp with time zone,integer) FROM PUBLIC, anon, authenticated, service_role;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION public.expire_post_publish_leases(timestamp with time zone,integer) TO service_role;
--> statement-breakpoint
-- sql/functions/fail_post_publish.sql
-- A worker's failure. Retryable, and attempts left (publish_attempts counts claims, `max_attempts`
-- default 5): back to `scheduled`, due after the platform's `retry_after` (a 429) when given, else
-- after publish_retry_delay's exponential backoff with jitter (`backoff_base` doubling up to
-- `backoff_cap`). Otherwise `failed` with the error. The attempt is closed with outcome
-- rate_limited (a retry_after was given: the platform refused it for its own limit), retry or
-- failed. Refused under any claim but the post's current one, and once
-- the post is `unknown`: a lease that ran out is settled by reconciliation, not by a late failure.
CREATE OR REPLACE FUNCTION public.fail_post_publish(post_id uuid, claim_token uuid, error text, retryable boolean DEFAULT true, retry_after interval DEFAULT NULL::interval, response jsonb DEFAULT NULL::jsonb, max_attempts integer DEFAULT 5, backoff_base interval DEFAULT '00:00:30'::interval, backoff_cap interval DEFAULT '01:00:00'::interval)
 RETURNS TABLE(status text, next_attempt_at timestamp with time zone)
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
AS $function$
#variable_conflict use_column
DECLARE
  prev_flag text := current_setting('social.publish_function', true);
  t timestamptz := clock_timestamp();
  p record;
  retry boolean;
  due timestamptz;
  msg text := left(btrim(fail_post_publish.error), 2000);
BEGIN
  IF msg IS NULL OR msg = '' THEN
    RAISE EXCEPTION 'error: say what went wrong (a non-blank text)' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF fail_post_publish.retryable IS NULL THEN
    RAISE EXCEPTION 'retryable: true or false, not NULL' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF fail_post_publish.retry_after < interval '0' OR fail_post_publish.retry_after > interval '7 days' THEN
    RAISE EXCEPTION 'retry_after: % is not between 0 and 7 days', fail_post_publish.retry_after USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF fail_post_publish.max_attempts IS NULL OR fail_post_publish.max_attempts NOT BETWEEN 1 AND 100 THEN
    RAISE EXCEPTION 'max_attempts: % is not between 1 and 100', coalesce(fail_post_publish.max_attempts::text, 'NULL')
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF fail_post_publish.backoff_base IS NULL OR fail_post_publish.backoff_base <= interval '0'
     OR fail_post_publish.backoff_cap IS NULL OR fail_post_publish.backoff_cap < fail_post_publish.backoff_base THEN
    RAISE EXCEPTION 'backoff_base, backoff_cap: % and % are not a positive base with a cap at least as long',
      coalesce(fail_post_publish.backoff_base::text, 'NULL'), coalesce(fail_post_publish.backoff_cap::text, 'NULL')
      USING ERRCODE = 'invalid_parameter_value';
  END IF;

  PERFORM set_config('social.publish_function', 'on', true);
  SELECT s.publish_attempts INTO p FROM social_posts s
  WHERE s.id = fail_post_publish.post_id AND s.claim_token = fail_post_publish.claim_token AND s.status = 'publishing'
  FOR UPDATE;
  IF NOT FOUND THEN
    PERFORM post_publish_claim_refused(fail_post_publish.post_id, fail_post_publish.claim_token, 'fail_post_publish');
  END IF;

  retry := fail_post_publish.retryable AND p.publish_attempts < fail_post_publish.max_attempts;
  IF retry THEN
    due := t + coalesce(fail_post_publish.retry_after,
                        publish_retry_delay(p.publish_attempts, fail_post_publish.backoff_base, fail_post_publish.backoff_cap, random()));
    UPDATE social_posts s
    SET status = 'scheduled', next_attempt_at = due, last_error = msg
    WHERE s.id = fail_post_publish.post_id;
  ELSE
    UPDATE social_posts s
    SET status = 'failed',
        last_error = CASE WHEN fail_post_publish.retryable
                          THEN format('%s (gave up after %s attempts)', msg, p.publish_attempts) ELSE msg END
    WHERE s.id = fail_post_publish.post_id;
  END IF;
  UPDATE post_publish_attempts a
  SET outcome = CASE WHEN fail_post_publish.retry_after IS NOT NULL THEN 'rate_limited' WHEN retry THEN 'retry' ELSE 'failed' END,
      finished_at = t, error = msg, platform_response = coalesce(fail_post_publish.response, a.platform_response)
  WHERE a.claim_token = fail_post_publish.claim_token;
  PERFORM set_config('social.publish_function', coalesce(prev_flag, ''), true);
  RETURN QUERY SELECT CASE WHEN retry THEN 'scheduled' ELSE 'failed' END, due;
END
$function$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION public.fail_post_publish(uuid,uuid,text,boolean,interval,jsonb,integer,interval,interval) FROM PUBLIC, anon, authenticated, service_role;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION public.fail_post_publish(uuid,uuid,text,boolean,interval,jsonb,integer,interval,interval) TO service_role;
--> statement-breakpoint
-- sql/functions/mark_post_publish_unknown.sql
-- A worker that cannot tell whether the platform published the post (a timeout after the request
-- left, a connection reset mid-upload) says so at once instead of letting the lease run out: the
-- post becomes `unknown`, to be settled by reconcile_post_publish, never retried blindly.
CREATE OR REPLACE FUNCTION public.mark_post_publish_unknown(post_id uuid, claim_token uuid, error text, response jsonb DEFAULT NULL::jsonb)
 RETURNS void
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  prev_flag text := current_setting('social.publish_function', true);
  msg text := left(btrim(mark_post_publish_unknown.error), 2000);
  done boolean;
BEGIN
  IF msg IS NULL OR msg = '' THEN
    RAISE EXCEPTION 'error: say why the outcome is unknown (a non-blank text)' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  PERFORM set_config('social.publish_function', 'on', true);
  UPDATE social_posts s
  SET status = 'unknown', last_error = format('outcome unknown: %s (reconcile_post_publish settles it)', msg)
  WHERE s.id = mark_post_publish_unknown.post_id AND s.claim_token = mark_post_publish_unknown.claim_token AND s.status = 'publishing'
  RETURNING true INTO done;
  IF done IS NULL THEN
    PERFORM post_publish_claim_refused(mark_post_publish_unknown.post_id, mark_post_publish_unknown.claim_token, 'mark_post_publish_unknown');
  END IF;
  UPDATE post_publish_attempts a
  SET outcome = 'unknown', finished_at = clock_timestamp(), error = msg,
      platform_response = coalesce(mark_post_publish_unknown.response, a.platform_response)
  WHERE a.claim_token = mark_post_publish_unknown.claim_token;
  PERFORM set_config('social.publish_function', coalesce(prev_flag, ''), true);
END
$function$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION public.mark_post_publish_unknown(uuid,uuid,text,jsonb) FROM PUBLIC, anon, authenticated, service_role;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION public.mark_post_publish_unknown(uuid,uuid,text,jsonb) TO service_role;
--> statement-breakpoint
-- sql/functions/reconcile_post_publish.sql
-- Settles a post whose outcome is unknown, from what the app found on the platform (by the post's
-- own id, or by matching its caption in the account's recent media): `on_platform` makes it `published`
-- (with the platform's id; `published_at` defaults to when the unknown attempt started); not there
-- puts it back to `scheduled`, due at `retry_at` (default now; max lateness still applies, so a post
-- unknown for hours becomes missed rather than going out hours late). Its attempt is closed as
-- published or not_published. Only for a post that is `unknown` (55000 otherwise).
CREATE OR REPLACE FUNCTION public.reconcile_post_publish(post_id uuid, on_platform boolean, platform_post_id text DEFAULT NULL::text, platform_url text DEFAULT NULL::text, published_at timestamp with time zone DEFAULT NULL::timestamp with time zone, retry_at timestamp with time zone DEFAULT NULL::timestamp with time zone)
 RETURNS text
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  prev_flag text := current_setting('social.publish_function', true);
  p record;
  t timestamptz := clock_timestamp();
BEGIN
  IF reconcile_post_publish.on_platform IS NULL THEN
    RAISE EXCEPTION 'on_platform: true (the platform has the post) or false (it does not), not NULL' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF reconcile_post_publish.on_platform AND (reconcile_post_publish.platform_post_id IS NULL OR btrim(reconcile_post_publish.platform_post_id) = ''
                                       OR length(reconcile_post_publish.platform_post_id) > 100) THEN
    RAISE EXCEPTION 'platform_post_id: a post found on the platform needs its id there (1 to 100 characters)'
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  SELECT s.status, s.claim_token, a.started_at INTO p
  FROM social_posts s LEFT JOIN post_publish_attempts a ON a.claim_token = s.claim_token
  WHERE s.id = reconcile_post_publish.post_id
  FOR UPDATE OF s;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'post_id: no post %', reconcile_post_publish.post_id USING ERRCODE = 'no_data_found';
  END IF;
  IF p.status <> 'unknown' THEN
    RAISE EXCEPTION 'post_id: post % is %, not unknown: only a post whose outcome is unknown is reconciled', reconcile_post_publish.post_id, p.status
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  PERFORM set_config('social.publish_function', 'on', true);
  IF reconcile_post_publish.on_platform THEN
    UPDATE social_posts s
    SET status = 'published', platform_post_id = reconcile_post_publish.platform_post_id,
        platform_url = coalesce(reconcile_post_publish.platform_url, s.platform_url),
        published_at = coalesce(reconcile_post_publish.published_at, p.started_at, t), last_error = NULL
    WHERE s.id = reconcile_post_publish.post_id;
  ELSE
    UPDATE social_posts s
    SET status = 'scheduled', next_attempt_at = coalesce(reconcile_post_publish.retry_at, t),
        last_error = 'reconciled: not found on the platform, scheduled again'
    WHERE s.id = reconcile_post_publish.post_id;
  END IF;
  UPDATE post_publish_attempts a
  SET outcome = CASE WHEN reconcile_post_publish.on_platform THEN 'published' ELSE 'not_published' END,
      finished_at = coalesce(a.finished_at, t),
      error = concat_ws('; ', a.error, CASE WHEN reconcile_post_publish.on_platform THEN 'reconciled: found on the platform'
                                            ELSE 'reconciled: not on the platform' END)
  WHERE a.claim_token = p.claim_token;
  PERFORM set_config('social.publish_function', coalesce(prev_flag, ''), true);
  RETURN CASE WHEN reconcile_post_publish.on_platform THEN 'published' ELSE 'scheduled' END;
END
$function$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION public.reconcile_post_publish(uuid,boolean,text,text,timestamp with time zone,timestamp with time zone) FROM PUBLIC, anon, authenticated, service_role;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION public.reconcile_post_publish(uuid,boolean,text,text,timestamp with time zone,timestamp with time zone) TO service_role;
--> statement-breakpoint
-- sql/functions/social_posts_publish_state.sql
-- The publishing state machine, in the database so no client (the Data API, a worker, a script) can
-- move a post around it: draft -> pending_approval -> scheduled -> publishing -> published;
-- publishing -> failed | scheduled (retry) | unknown; unknown -> published | scheduled (reconciled);
-- failed and missed -> scheduled | draft (a person); scheduled -> missed (too late), failed (no account).
-- A signed-in user (`authenticated`) makes only the person's moves and never writes the claim columns;
-- where the workspace requires approval, only its admins move a post to scheduled. The other roles
-- (the service role, the owner) also make the machine's moves, which the publishing functions make;
-- they may also record a post published by hand (draft -> published, or inserted as published).
-- The moves into and out of publishing and unknown are the publishing functions' alone (they set
-- social.publish_function while they write): an UPDATE that takes a post from under its worker is how a post goes
-- out twice. `SET LOCAL social.publish_state_override = 'on'` lets the owner or the service role
-- repair a row outside the graph; both settings are ignored for the API's user roles.
-- Also keeps next_attempt_at (when a claim may take the post) equal to scheduled_at whenever the post
-- is (re)scheduled by a person, and empty outside `scheduled`; a claim in flight (claim_token,
-- claimed_by, lease_expires_at) exists only while publishing or unknown.
CREATE OR REPLACE FUNCTION public.social_posts_publish_state()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  person boolean := current_user IN ('authenticated', 'anon');
  override boolean := current_user NOT IN ('authenticated', 'anon')
                      AND coalesce(current_setting('social.publish_state_override', true), '') = 'on';
  by_function boolean := coalesce(current_setting('social.publish_function', true), '') = 'on';
  allowed text[];
  ws uuid;
  needs_approval boolean;
  rescheduled boolean;
BEGIN
  -- A status outside the vocabulary is the CHECK's to refuse (social_posts_status_valid names it).
  IF NEW.status NOT IN ('draft', 'pending_approval', 'scheduled', 'publishing', 'published', 'failed', 'unknown', 'missed') THEN
    RETURN NEW;
  END IF;
  IF TG_OP = 'INSERT' THEN
    allowed := CASE WHEN person THEN ARRAY['draft', 'pending_approval', 'scheduled']
                    ELSE ARRAY['draft', 'pending_approval', 'scheduled', 'published', 'failed', 'missed'] END;
    IF NOT override AND NOT NEW.status = ANY (allowed) THEN
      RAISE EXCEPTION 'status: a post is not created as % (%)', NEW.status,
        CASE WHEN NEW.status IN ('publishing', 'unknown') THEN 'only claim_due_posts makes a post publishing'
             ELSE 'create it as draft, pending_approval or scheduled' END
        USING ERRCODE = 'check_violation', CONSTRAINT = 'social_posts_status_transition', TABLE = 'social_posts', COLUMN = 'status';
    END IF;
    IF person AND (NEW.claim_token IS NOT NULL OR NEW.claimed_by IS NOT NULL OR NEW.lease_expires_at IS NOT NULL
                   OR NEW.publish_attempts <> 0 OR NEW.publish_wait_reason IS NOT NULL) THEN
      RAISE EXCEPTION 'claim_token, claimed_by, lease_expires_at, publish_attempts and publish_wait_reason are written by the publishing functions only'
        USING ERRCODE = 'insufficient_privilege';
    END IF;
  ELSE
    IF person AND OLD.status = 'publishing' THEN
      RAISE EXCEPTION 'status: the post is being published (claimed by %); wait for the outcome', OLD.claimed_by
        USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF person AND ((NEW.claim_token, NEW.claimed_by, NEW.lease_expires_at, NEW.publish_attempts, NEW.publish_wait_reason)
                   IS DISTINCT FROM (OLD.claim_token, OLD.claimed_by, OLD.lease_expires_at, OLD.publish_attempts, OLD.publish_wait_reason)) THEN
      RAISE EXCEPTION 'claim_token, claimed_by, lease_expires_at, publish_attempts and publish_wait_reason are written by the publishing functions only'
        USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.status IS DISTINCT FROM OLD.status AND NOT override THEN
      allowed := CASE OLD.status
        WHEN 'draft' THEN ARRAY['pending_approval', 'scheduled'] || CASE WHEN person THEN '{}'::text[] ELSE ARRAY['published'] END
        WHEN 'pending_approval' THEN ARRAY['draft', 'scheduled']
        WHEN 'scheduled' THEN ARRAY['draft', 'pending_approval'] || CASE WHEN person THEN '{}'::text[] ELSE ARRAY['publishing', 'missed', 'failed'] END
        WHEN 'publishing' THEN CASE WHEN person THEN '{}'::text[] ELSE ARRAY['published', 'failed', 'scheduled', 'unknown'] END
        WHEN 'unknown' THEN CASE WHEN person THEN '{}'::text[] ELSE ARRAY['published', 'scheduled'] END
        WHEN 'failed' THEN ARRAY['scheduled', 'draft']
        WHEN 'missed' THEN ARRAY['scheduled', 'draft']
        ELSE '{}'::text[]
      END;
      IF NOT person AND NOT by_function AND NEW.status = ANY (allowed)
         AND (OLD.status IN ('publishing', 'unknown') OR NEW.status IN ('publishing', 'unknown')) THEN
        RAISE EXCEPTION 'status: % -> % is made by the publishing functions only (claim_due_posts, complete_post_publish, fail_post_publish, mark_post_publish_unknown, reconcile_post_publish, expire_post_publish_leases)',
          OLD.status, NEW.status
          USING ERRCODE = 'check_violation', CONSTRAINT = 'social_posts_status_transition', TABLE = 'social_posts', COLUMN = 'status';
      END IF;
      IF NOT NEW.status = ANY (allowed) THEN
        RAISE EXCEPTION 'status: % -> % is not a move of the publishing state machine%', OLD.status, NEW.status,
          CASE WHEN cardinality(allowed) = 0 THEN format(' (a %s post %s)', OLD.status,
                    CASE WHEN person AND OLD.status IN ('publishing', 'unknown') THEN 'is settled by the publishing functions'
                         ELSE 'stays as it is' END)
               ELSE format(' (from %s: %s%s)', OLD.status, array_to_string(allowed, ', '),
                    CASE WHEN person AND OLD.status IN ('draft', 'scheduled') THEN '; the rest is done by the publishing functions' ELSE '' END) END
          USING ERRCODE = 'check_violation', CONSTRAINT = 'social_posts_status_transition', TABLE = 'social_posts', COLUMN = 'status';
      END IF;
    END IF;
  END IF;

  -- Approval: where the workspace requires it, a person schedules only as one of its admins.
  IF person AND NEW.status = 'scheduled' AND (TG_OP = 'INSERT' OR OLD.status <> 'scheduled') THEN
    ws := coalesce(NEW.workspace_id,
                   (SELECT a.workspace_id FROM social_accounts a WHERE a.id = NEW.account_id),
                   (SELECT ct.workspace_id FROM content_templates ct WHERE ct.id = NEW.template_id));
    SELECT w.publish_requires_approval INTO needs_approval FROM workspaces w WHERE w.id = ws;
    IF needs_approval AND NOT ws = ANY (social_private.member_workspaces('admin')) THEN
      RAISE EXCEPTION 'status: posts of this workspace are scheduled by an admin; submit it for approval (status pending_approval)'
        USING ERRCODE = 'insufficient_privilege';
    END IF;
  END IF;

  IF NEW.status = 'scheduled' THEN
    rescheduled := TG_OP = 'INSERT' OR OLD.status <> 'scheduled' OR NEW.scheduled_at IS DISTINCT FROM OLD.scheduled_at;
    IF NEW.next_attempt_at IS NULL
       OR (rescheduled AND (person OR TG_OP = 'INSERT' OR NEW.next_attempt_at IS NOT DISTINCT FROM OLD.next_attempt_at)) THEN
      NEW.next_attempt_at := NEW.scheduled_at;
      IF rescheduled THEN NEW.publish_wait_reason := NULL; END IF;
    ELSIF person AND NEW.next_attempt_at IS DISTINCT FROM OLD.next_attempt_at THEN
      RAISE EXCEPTION 'next_attempt_at is written by the publishing functions; change scheduled_at instead'
        USING ERRCODE = 'insufficient_privilege';
    END IF;
  ELSE
    NEW.next_attempt_at := NULL;
    NEW.publish_wait_reason := NULL;
  END IF;
  IF NEW.status NOT IN ('publishing', 'unknown') THEN
    NEW.claim_token := NULL;
    NEW.claimed_by := NULL;
    NEW.lease_expires_at := NULL;
  END IF;
  RETURN NEW;
END
$function$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION public.social_posts_publish_state() FROM PUBLIC, anon, authenticated, service_role;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION public.social_posts_publish_state() TO service_role;
