-- Carries sql/functions/account_publishing_settings_workspace.sql, sql/functions/claim_due_posts.sql, sql/functions/complete_post_publish.sql, sql/functions/dashboard_copies_after_post_update.sql, sql/functions/expire_post_publish_leases.sql, sql/functions/extend_post_lease.sql, sql/functions/fail_post_publish.sql, sql/functions/get_publishing_queue.sql, sql/functions/mark_missed_posts.sql, sql/functions/mark_post_publish_unknown.sql, sql/functions/post_publish_claim_refused.sql, sql/functions/publish_retry_delay.sql, sql/functions/reconcile_post_publish.sql, sql/functions/run_social_maintenance.sql, sql/functions/social_posts_publish_state.sql.
-- Written by npm run sql:migration from the files' content; edit the files, not this, and add a comment here on why.
-- Why: the publishing state machine (issue 16): claims, outcomes, leases, reconciliation, lateness and
-- the queue's health, plus two changes to existing functions: maintenance turns expired leases into
-- unknown and late posts into missed, and the dashboard copies ignore status moves that do not
-- change whether a post is published (every claim made them recompute). The triggers and the
-- platforms' default limits come after the functions.
-- sql/functions/account_publishing_settings_workspace.sql
-- account_publishing_settings rows belong to their account's workspace: the workspace is taken from
-- the account (visible to the caller, so a member cannot attach settings to another workspace's
-- account), never from the writer.
CREATE OR REPLACE FUNCTION public.account_publishing_settings_workspace()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
  SELECT a.workspace_id INTO NEW.workspace_id FROM social_accounts a WHERE a.id = NEW.account_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'account_id: no account %', NEW.account_id
      USING ERRCODE = 'foreign_key_violation', TABLE = 'account_publishing_settings', COLUMN = 'account_id';
  END IF;
  RETURN NEW;
END
$function$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION public.account_publishing_settings_workspace() FROM PUBLIC, anon, authenticated, service_role;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION public.account_publishing_settings_workspace() TO service_role;
--> statement-breakpoint
-- sql/functions/claim_due_posts.sql
-- Hands due posts to one worker each (issue 16). Due posts are read in due order through the partial
-- index on next_attempt_at and locked FOR UPDATE SKIP LOCKED, so concurrent workers never wait for
-- each other and never get the same post. Of those:
-- - a post later than its max lateness (the post's, else its workspace's) becomes `missed` instead
--   of going out hours late; one without an active account becomes `failed`;
-- - per account, posts over its rate limit (posts per rolling window, minimum spacing; the account's
--   settings, else social_platforms.rate_limits) stay scheduled with next_attempt_at moved to when
--   the limit allows and publish_wait_reason saying why, so later claims do not read them again;
-- - the rest become `publishing` with a fresh claim token and a lease, and get a row in
--   post_publish_attempts (worker, start, how late).
-- Limits are counted over post_publish_attempts under a per-account transaction advisory lock taken
-- in account order, with the start time read after the lock: whoever holds it has seen every attempt
-- committed before it, so two workers can never both take the last free place. Hence READ COMMITTED
-- only (each statement sees what the previous lock holder committed). Attempts refused by the
-- platform's own limit (outcome rate_limited) do not count. Expired leases found on the way (at most
-- 100 a call) become `unknown` first, so publishing never stays stuck even without maintenance.
-- `as_of` replaces the clock (tests).
CREATE OR REPLACE FUNCTION public.claim_due_posts(worker text, max_posts integer DEFAULT 10, lease interval DEFAULT '00:05:00'::interval, as_of timestamp with time zone DEFAULT NULL::timestamp with time zone)
 RETURNS TABLE(post_id uuid, claim_token uuid, attempt integer, lease_expires_at timestamp with time zone, workspace_id uuid, account_id uuid, platform_account_id text, platform text, scheduled_at timestamp with time zone, due_at timestamp with time zone, lateness interval, media_type text, title text, caption text, hashtags text[], mentions text[], media_urls text[], thumbnail_url text, platform_metadata jsonb)
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
AS $function$
#variable_conflict use_column
DECLARE
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

  PERFORM expire_post_publish_leases(t0, 100);

  SELECT array_agg(c.id) INTO ids FROM (
    SELECT p.id FROM social_posts p
    WHERE p.status = 'scheduled' AND p.next_attempt_at <= t0
    ORDER BY p.next_attempt_at, p.id
    LIMIT claim_due_posts.max_posts
    FOR UPDATE OF p SKIP LOCKED) c;
  IF ids IS NULL THEN
    RETURN;
  END IF;

  -- Accounts with a limit, locked in account order (no deadlock between workers), then the clock.
  PERFORM pg_advisory_xact_lock(hashtext('social_posts publish account'), hashtext(l.account_id::text))
  FROM (SELECT DISTINCT p.account_id
        FROM social_posts p
        JOIN social_platforms pl ON pl.id = p.platform_id
        LEFT JOIN account_publishing_settings s ON s.account_id = p.account_id
        WHERE p.id = ANY (ids) AND p.account_id IS NOT NULL
          AND (coalesce(s.posts_per_window, (pl.rate_limits ->> 'posts_per_window')::integer) IS NOT NULL
               OR coalesce(s.min_spacing, make_interval(secs => coalesce((pl.rate_limits ->> 'min_spacing_seconds')::double precision, 0))) > interval '0')
        ORDER BY 1) l;
  t := CASE WHEN claim_due_posts.as_of IS NULL THEN clock_timestamp() ELSE t0 END;

  -- One statement settles every candidate: missed, failed (no active account), claimed, or waiting
  -- on its account's limit until the instant the limit allows.
  RETURN QUERY
  WITH c AS (
    SELECT p.id, p.account_id, p.scheduled_at, p.next_attempt_at,
           CASE WHEN t0 - p.scheduled_at > coalesce(p.max_lateness, w.publish_max_lateness) THEN 'missed'
                WHEN p.account_id IS NULL OR a.id IS NULL OR NOT a.is_active THEN 'failed' END AS settle,
           coalesce(p.max_lateness, w.publish_max_lateness) AS max_lateness, a.handle,
           coalesce(s.posts_per_window, (pl.rate_limits ->> 'posts_per_window')::integer) AS cap,
           coalesce(s.rate_window, make_interval(secs => coalesce((pl.rate_limits ->> 'window_seconds')::double precision, 86400))) AS win,
           coalesce(s.min_spacing, make_interval(secs => coalesce((pl.rate_limits ->> 'min_spacing_seconds')::double precision, 0))) AS spacing
    FROM social_posts p
    JOIN workspaces w ON w.id = p.workspace_id
    JOIN social_platforms pl ON pl.id = p.platform_id
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
                WHERE x.account_id = r.account_id AND x.started_at > t - r.win AND x.outcome IS DISTINCT FROM 'rate_limited') END AS n,
             CASE WHEN r.spacing > interval '0' THEN
               (SELECT max(x.started_at) FROM post_publish_attempts x
                WHERE x.account_id = r.account_id AND x.started_at > t - r.spacing AND x.outcome IS DISTINCT FROM 'rate_limited') END AS last_start
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
                         WHERE x.account_id = acct.account_id AND x.started_at > t - acct.win AND x.outcome IS DISTINCT FROM 'rate_limited'
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
    LEFT JOIN limits l ON l.account_id = r.account_id AND r.settle IS NULL
  ), u AS (
    UPDATE social_posts p
    SET status = CASE WHEN pl.settle IS NOT NULL THEN pl.settle WHEN pl.claim THEN 'publishing' ELSE 'scheduled' END,
        last_error = CASE
          WHEN pl.settle = 'missed' THEN
            format('missed: due at %s, still not published at %s (%s late, max lateness %s)', pl.scheduled_at, t0,
                   date_trunc('second', t0 - pl.scheduled_at), pl.max_lateness)
          WHEN pl.settle = 'failed' AND pl.account_id IS NULL THEN 'no account to publish from: set account_id, then schedule the post again'
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
  at timestamptz := coalesce(complete_post_publish.published_at, clock_timestamp());
  done boolean;
BEGIN
  IF complete_post_publish.platform_post_id IS NULL OR btrim(complete_post_publish.platform_post_id) = ''
     OR length(complete_post_publish.platform_post_id) > 100 THEN
    RAISE EXCEPTION 'platform_post_id: % is not a platform post id (1 to 100 characters): webhooks and insights find the post by it',
      coalesce(quote_literal(complete_post_publish.platform_post_id), 'NULL') USING ERRCODE = 'invalid_parameter_value';
  END IF;
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
  RETURN at;
END
$function$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION public.complete_post_publish(uuid,uuid,text,text,timestamp with time zone,jsonb) FROM PUBLIC, anon, authenticated, service_role;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION public.complete_post_publish(uuid,uuid,text,text,timestamp with time zone,jsonb) TO service_role;
--> statement-breakpoint
-- sql/functions/dashboard_copies_after_post_update.sql
-- Trigger function (AFTER UPDATE on social_posts, per statement): a post whose platform, publication
-- time, category, or whether it is published changed has its copies in post_latest_analytics and
-- post_conversion_totals recomputed, so dashboard reads never join social_posts. Only published or
-- not matters of the status (the copies hold published_at while published): the publishing moves
-- (scheduled, publishing, retry, unknown) recompute nothing, which kept claims 3 times slower.
CREATE OR REPLACE FUNCTION public.dashboard_copies_after_post_update()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  changed uuid[];
BEGIN
  changed := ARRAY(
    SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE (n.platform_id, n.status = 'published', n.published_at, n.content_category)
          IS DISTINCT FROM (o.platform_id, o.status = 'published', o.published_at, o.content_category));
  IF cardinality(changed) > 0 THEN
    PERFORM post_latest_analytics_recompute(changed);
    PERFORM post_conversion_totals_recompute(changed);
  END IF;
  RETURN NULL;
END
$function$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION public.dashboard_copies_after_post_update() FROM PUBLIC, anon, authenticated, service_role;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION public.dashboard_copies_after_post_update() TO service_role;
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
  t timestamptz := coalesce(expire_post_publish_leases.as_of, clock_timestamp());
  expired integer;
BEGIN
  IF expire_post_publish_leases.max_rows < 1 THEN
    RAISE EXCEPTION 'max_rows: % is not a positive number (NULL: no bound)', expire_post_publish_leases.max_rows
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
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
  RETURN expired;
END
$function$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION public.expire_post_publish_leases(timestamp with time zone,integer) FROM PUBLIC, anon, authenticated, service_role;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION public.expire_post_publish_leases(timestamp with time zone,integer) TO service_role;
--> statement-breakpoint
-- sql/functions/extend_post_lease.sql
-- Heartbeat: a worker still publishing a post pushes its lease to `lease` from now, so a slow
-- upload is not declared unknown while it runs. Refused (55000) once the claim is no longer the
-- post's current one or the post is no longer publishing: the worker then knows its result may only
-- be reported by complete_post_publish (accepted while the post is unknown under this claim).
CREATE OR REPLACE FUNCTION public.extend_post_lease(post_id uuid, claim_token uuid, lease interval DEFAULT '00:05:00'::interval)
 RETURNS timestamp with time zone
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  until timestamptz;
BEGIN
  IF extend_post_lease.lease IS NULL OR extend_post_lease.lease < interval '1 second' OR extend_post_lease.lease > interval '1 day' THEN
    RAISE EXCEPTION 'lease: % is not between 1 second and 1 day', coalesce(extend_post_lease.lease::text, 'NULL')
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  UPDATE social_posts s
  SET lease_expires_at = greatest(s.lease_expires_at, clock_timestamp() + extend_post_lease.lease)
  WHERE s.id = extend_post_lease.post_id AND s.claim_token = extend_post_lease.claim_token AND s.status = 'publishing'
  RETURNING s.lease_expires_at INTO until;
  IF until IS NULL THEN
    PERFORM post_publish_claim_refused(extend_post_lease.post_id, extend_post_lease.claim_token, 'extend_post_lease');
  END IF;
  RETURN until;
END
$function$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION public.extend_post_lease(uuid,uuid,interval) FROM PUBLIC, anon, authenticated, service_role;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION public.extend_post_lease(uuid,uuid,interval) TO service_role;
--> statement-breakpoint
-- sql/functions/fail_post_publish.sql
-- A worker's failure. Retryable, and attempts left (publish_attempts counts claims, `max_attempts`
-- default 5): back to `scheduled`, due after the platform's `retry_after` (a 429) when given, else
-- after publish_retry_delay's exponential backoff with jitter (`backoff_base` doubling up to
-- `backoff_cap`). Otherwise `failed` with the error. The attempt is closed with outcome
-- rate_limited (a retry_after was given: the platform refused it, so it does not count against the
-- account's limits), retry or failed. Refused under any claim but the post's current one, and once
-- the post is `unknown`: a lease that ran out is settled by reconciliation, not by a late failure.
CREATE OR REPLACE FUNCTION public.fail_post_publish(post_id uuid, claim_token uuid, error text, retryable boolean DEFAULT true, retry_after interval DEFAULT NULL::interval, response jsonb DEFAULT NULL::jsonb, max_attempts integer DEFAULT 5, backoff_base interval DEFAULT '00:00:30'::interval, backoff_cap interval DEFAULT '01:00:00'::interval)
 RETURNS TABLE(status text, next_attempt_at timestamp with time zone)
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
AS $function$
#variable_conflict use_column
DECLARE
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
  RETURN QUERY SELECT CASE WHEN retry THEN 'scheduled' ELSE 'failed' END, due;
END
$function$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION public.fail_post_publish(uuid,uuid,text,boolean,interval,jsonb,integer,interval,interval) FROM PUBLIC, anon, authenticated, service_role;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION public.fail_post_publish(uuid,uuid,text,boolean,interval,jsonb,integer,interval,interval) TO service_role;
--> statement-breakpoint
-- sql/functions/get_publishing_queue.sql
-- The publishing queue at a glance, per platform (getPublishingQueue, `social-db doctor`, and the
-- app's dashboard through the Data API: SECURITY INVOKER, so a signed-in member sees their
-- workspaces only). `workspace` NULL: every workspace the caller can read. Due: scheduled with
-- next_attempt_at passed; lag: how long the oldest due post has waited; waiting on a limit: held back
-- by an account's rate limit (publish_wait_reason says why); expired leases: publishing past the
-- lease (maintenance or the next claim turns them unknown); failed and missed: until someone
-- reschedules them.
CREATE OR REPLACE FUNCTION public.get_publishing_queue(workspace uuid DEFAULT NULL::uuid, as_of timestamp with time zone DEFAULT NULL::timestamp with time zone)
 RETURNS TABLE(platform text, pending_approval integer, scheduled integer, due integer, oldest_due_at timestamp with time zone, oldest_due_lag interval, waiting_on_limit integer, publishing integer, expired_leases integer, unknown integer, failed integer, missed integer)
 LANGUAGE sql
 STABLE
 SET search_path TO 'public', 'pg_temp'
AS $function$
  WITH c AS (SELECT coalesce(get_publishing_queue.as_of, now()) AS t)
  SELECT pl.name::text,
         count(*) FILTER (WHERE p.status = 'pending_approval')::int,
         count(*) FILTER (WHERE p.status = 'scheduled')::int,
         count(*) FILTER (WHERE p.status = 'scheduled' AND p.next_attempt_at <= c.t)::int,
         min(p.next_attempt_at) FILTER (WHERE p.status = 'scheduled' AND p.next_attempt_at <= c.t),
         c.t - min(p.next_attempt_at) FILTER (WHERE p.status = 'scheduled' AND p.next_attempt_at <= c.t),
         count(*) FILTER (WHERE p.status = 'scheduled' AND p.publish_wait_reason IS NOT NULL)::int,
         count(*) FILTER (WHERE p.status = 'publishing')::int,
         count(*) FILTER (WHERE p.status = 'publishing' AND p.lease_expires_at < c.t)::int,
         count(*) FILTER (WHERE p.status = 'unknown')::int,
         count(*) FILTER (WHERE p.status = 'failed')::int,
         count(*) FILTER (WHERE p.status = 'missed')::int
  FROM c
  CROSS JOIN social_platforms pl
  LEFT JOIN social_posts p
    ON p.platform_id = pl.id
   AND p.status IN ('pending_approval', 'scheduled', 'publishing', 'unknown', 'failed', 'missed')
   AND (get_publishing_queue.workspace IS NULL OR p.workspace_id = get_publishing_queue.workspace)
  GROUP BY pl.name, c.t
  ORDER BY pl.name
$function$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION public.get_publishing_queue(uuid,timestamp with time zone) FROM PUBLIC, anon, authenticated, service_role;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION public.get_publishing_queue(uuid,timestamp with time zone) TO authenticated, service_role;
--> statement-breakpoint
-- sql/functions/mark_missed_posts.sql
-- Maintenance's half of lateness (claim_due_posts does the same to what it reads): scheduled posts
-- due but later than their max lateness (the post's max_lateness, else the workspace's
-- publish_max_lateness) become `missed` with the reason, so a queue nobody worked for hours does not
-- fire its backlog hours late once a worker comes back. Rows a worker holds are skipped.
CREATE OR REPLACE FUNCTION public.mark_missed_posts(as_of timestamp with time zone DEFAULT NULL::timestamp with time zone)
 RETURNS integer
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  t timestamptz := coalesce(mark_missed_posts.as_of, clock_timestamp());
  missed integer;
BEGIN
  WITH x AS (
    SELECT p.id, coalesce(p.max_lateness, w.publish_max_lateness) AS max_lateness
    FROM social_posts p JOIN workspaces w ON w.id = p.workspace_id
    WHERE p.status = 'scheduled' AND p.next_attempt_at <= t
      AND t - p.scheduled_at > coalesce(p.max_lateness, w.publish_max_lateness)
    FOR UPDATE OF p SKIP LOCKED
  ), u AS (
    UPDATE social_posts p
    SET status = 'missed',
        last_error = format('missed: due at %s, still not published at %s (%s late, max lateness %s)', p.scheduled_at, t,
                            date_trunc('second', t - p.scheduled_at), x.max_lateness)
    FROM x
    WHERE p.id = x.id
    RETURNING 1
  )
  SELECT count(*)::int INTO missed FROM u;
  RETURN missed;
END
$function$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION public.mark_missed_posts(timestamp with time zone) FROM PUBLIC, anon, authenticated, service_role;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION public.mark_missed_posts(timestamp with time zone) TO service_role;
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
  msg text := left(btrim(mark_post_publish_unknown.error), 2000);
  done boolean;
BEGIN
  IF msg IS NULL OR msg = '' THEN
    RAISE EXCEPTION 'error: say why the outcome is unknown (a non-blank text)' USING ERRCODE = 'invalid_parameter_value';
  END IF;
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
END
$function$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION public.mark_post_publish_unknown(uuid,uuid,text,jsonb) FROM PUBLIC, anon, authenticated, service_role;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION public.mark_post_publish_unknown(uuid,uuid,text,jsonb) TO service_role;
--> statement-breakpoint
-- sql/functions/post_publish_claim_refused.sql
-- The error of complete/fail/extend/mark-unknown when a claim token is not the post's current claim:
-- says what the post is now, so a worker whose lease ran out learns why its result was refused
-- (someone else's claim, or the post went to unknown, or it was settled). SQLSTATE 55000.
CREATE OR REPLACE FUNCTION public.post_publish_claim_refused(post_id uuid, claim_token uuid, action text)
 RETURNS void
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  p record;
BEGIN
  SELECT s.status, s.claim_token, s.claimed_by, s.lease_expires_at INTO p FROM social_posts s WHERE s.id = post_publish_claim_refused.post_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'post_id: no post %', post_publish_claim_refused.post_id USING ERRCODE = 'no_data_found';
  END IF;
  RAISE EXCEPTION 'claim_token: % refused for post %: %', action, post_publish_claim_refused.post_id,
    CASE
      WHEN post_publish_claim_refused.claim_token IS NULL THEN 'no claim token given'
      WHEN p.claim_token IS NOT DISTINCT FROM post_publish_claim_refused.claim_token
        THEN format('the post is %s now (the claim is still this one, but %s is not possible from %s)', p.status, action, p.status)
      WHEN p.claim_token IS NULL THEN format('the post is %s and nobody holds a claim on it (this claim is stale)', p.status)
      ELSE format('the post is %s under another claim (worker %s, lease until %s); this claim is stale', p.status, p.claimed_by, p.lease_expires_at)
    END
    USING ERRCODE = 'object_not_in_prerequisite_state';
END
$function$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION public.post_publish_claim_refused(uuid,uuid,text) FROM PUBLIC, anon, authenticated, service_role;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION public.post_publish_claim_refused(uuid,uuid,text) TO service_role;
--> statement-breakpoint
-- sql/functions/publish_retry_delay.sql
-- Backoff before retry `attempt` (1 = the first retry): exponential from `base`, capped at `cap`,
-- with "equal jitter" (half fixed, half random by `jitter` in [0, 1)), so workers that failed
-- together do not come back together, and no retry comes back sooner than half its step.
CREATE OR REPLACE FUNCTION public.publish_retry_delay(attempt integer, base interval, cap interval, jitter double precision)
 RETURNS interval
 LANGUAGE sql
 IMMUTABLE
 SET search_path TO 'public', 'pg_temp'
AS $function$
  SELECT step / 2 + step / 2 * least(greatest(jitter, 0), 1)
  FROM (SELECT least(cap, base * power(2, least(greatest(attempt, 1) - 1, 30))) AS step) s
$function$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION public.publish_retry_delay(integer,interval,interval,double precision) FROM PUBLIC, anon, authenticated, service_role;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION public.publish_retry_delay(integer,interval,interval,double precision) TO service_role;
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
  RETURN CASE WHEN reconcile_post_publish.on_platform THEN 'published' ELSE 'scheduled' END;
END
$function$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION public.reconcile_post_publish(uuid,boolean,text,text,timestamp with time zone,timestamp with time zone) FROM PUBLIC, anon, authenticated, service_role;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION public.reconcile_post_publish(uuid,boolean,text,text,timestamp with time zone,timestamp with time zone) TO service_role;
--> statement-breakpoint
-- sql/functions/run_social_maintenance.sql
-- Everything, in dependency order: publishing's expired leases (unknown) and late posts (missed),
-- partitions before rollups (events need a month to land in),
-- rollups before trends and the dashboard views that read them, trend mentions pruned after the
-- detection that reads them (it keeps 14 days, detection reads 2), archiving last, since its ACCESS
-- EXCLUSIVE lock on engagement_events lasts until this transaction ends. Each step is isolated.
-- `archive`: NULL archives only when a whole month has passed the retention (checked from the
-- catalog, so free when nothing is due); true always runs the step; false skips it.
CREATE OR REPLACE FUNCTION public.run_social_maintenance(archive boolean DEFAULT NULL::boolean, retention interval DEFAULT '2 years'::interval)
 RETURNS jsonb
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  t0 timestamptz := clock_timestamp();
  steps jsonb := '[]'::jsonb;
  due boolean;
BEGIN
  IF retention IS NULL OR retention <= interval '0' THEN
    RAISE EXCEPTION 'retention: % is not a positive interval (e.g. ''2 years'')', coalesce(retention::text, 'NULL')
      USING ERRCODE = 'invalid_parameter_value';
  END IF;

  -- Publishing first: cheap, and a stuck post is what users notice soonest.
  steps := steps || social_maintenance_step('expire_post_publish_leases', 'expire_post_publish_leases()');
  steps := steps || social_maintenance_step('mark_missed_posts', 'mark_missed_posts()');
  steps := steps || social_maintenance_step('ensure_engagement_partitions', 'ensure_engagement_partitions(3)');
  steps := steps || social_maintenance_step('refresh_post_analytics', 'refresh_post_analytics()');
  steps := steps || social_maintenance_step('detect_trending_topics', 'detect_trending_topics()');
  steps := steps || social_maintenance_step('prune_topic_mentions', 'prune_topic_mentions()');
  steps := steps || social_maintenance_step('refresh_template_performance', 'refresh_template_performance()');
  steps := steps || social_maintenance_step('refresh_daily_platform_metrics', 'refresh_daily_platform_metrics()');
  steps := steps || social_maintenance_step('refresh_engaged_users', 'refresh_engaged_users()');

  IF archive IS NULL THEN
    SELECT EXISTS (SELECT 1 FROM engagement_partition_ranges('engagement_events') r
                   WHERE NOT r.is_default AND r.range_end <= now() - retention) INTO due;
  END IF;
  IF archive OR due THEN
    steps := steps || social_maintenance_step('archive_old_engagement_events',
      format('archive_old_engagement_events(%L::interval)', retention));
  ELSE
    steps := steps || jsonb_build_object('step', 'archive_old_engagement_events', 'ok', true, 'ms', 0, 'skipped', true,
      'reason', CASE WHEN archive = false THEN 'not requested'
                     ELSE format('no month ends before %s (retention %s)', now() - retention, retention) END);
  END IF;

  RETURN jsonb_build_object(
    'ok', NOT jsonb_path_exists(steps, '$[*] ? (@.ok == false)'),
    'started_at', t0,
    'ms', round(extract(epoch FROM clock_timestamp() - t0)::numeric * 1000, 1),
    'steps', steps);
END
$function$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION public.run_social_maintenance(boolean,interval) FROM PUBLIC, anon, authenticated, service_role;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION public.run_social_maintenance(boolean,interval) TO service_role;
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
-- `SET LOCAL social.publish_state_override = 'on'` lets the owner or the service role repair a row
-- outside the graph; it is ignored for the API's user roles.
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
  from_status text := CASE WHEN TG_OP = 'UPDATE' THEN OLD.status END;
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
--> statement-breakpoint
-- BEFORE every INSERT or UPDATE (not only OF status: rescheduling, the claim columns and
-- next_attempt_at are its business too).
CREATE TRIGGER social_posts_publish_state BEFORE INSERT OR UPDATE ON social_posts
  FOR EACH ROW EXECUTE FUNCTION social_posts_publish_state();
--> statement-breakpoint
CREATE TRIGGER account_publishing_settings_workspace BEFORE INSERT OR UPDATE OF account_id, workspace_id ON account_publishing_settings
  FOR EACH ROW EXECUTE FUNCTION account_publishing_settings_workspace();
--> statement-breakpoint
CREATE TRIGGER account_publishing_settings_set_updated_at BEFORE UPDATE ON account_publishing_settings
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();
--> statement-breakpoint
-- Default limits per platform, per account (an account's own settings override them with what the
-- platform reports for it). Instagram: the content publishing limit, 50 posts per rolling 24 hours
-- in Meta's current reference (25 in older ones). TikTok: the Content Posting API refuses with
-- spam_risk_too_many_posts past an unpublished daily cap; 15 a day is a cautious guess. YouTube:
-- uploads cost 1,600 of a project's default 10,000 quota units a day, so 6 uploads a day (a project
-- budget, shared by its accounts; lower it per account where one project serves several). Only
-- where nobody set limits yet.
UPDATE social_platforms SET rate_limits = jsonb_build_object('posts_per_window', 50, 'window_seconds', 86400, 'min_spacing_seconds', 0)
WHERE name = 'instagram' AND rate_limits IS NULL;
--> statement-breakpoint
UPDATE social_platforms SET rate_limits = jsonb_build_object('posts_per_window', 15, 'window_seconds', 86400, 'min_spacing_seconds', 0)
WHERE name = 'tiktok' AND rate_limits IS NULL;
--> statement-breakpoint
UPDATE social_platforms SET rate_limits = jsonb_build_object('posts_per_window', 6, 'window_seconds', 86400, 'min_spacing_seconds', 0)
WHERE name = 'youtube' AND rate_limits IS NULL;
