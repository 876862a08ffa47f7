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

REVOKE ALL ON FUNCTION public.get_publishing_queue(uuid,timestamp with time zone) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.get_publishing_queue(uuid,timestamp with time zone) TO authenticated, service_role;
