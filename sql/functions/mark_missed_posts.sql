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

REVOKE ALL ON FUNCTION public.mark_missed_posts(timestamp with time zone) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.mark_missed_posts(timestamp with time zone) TO service_role;
