-- Every committed INSERT into engagement_events appends its per-(post, UTC day) counts to
-- engagement_rollup_queue, in the inserting transaction: the queue rows commit or roll back with the
-- events. A statement trigger aggregates the whole batch once (a 1M-row COPY adds one GROUP BY, not
-- 1M trigger calls); transition tables hold only rows actually inserted, so ON CONFLICT DO NOTHING
-- duplicates are never counted. DELETEs through the parent enqueue negative counts (deleted events stop
-- counting). Partition maintenance moves rows without firing these (DEFAULT partition to a table then
-- attached; DETACH to the archive), so moved events are neither lost nor counted twice.
CREATE OR REPLACE FUNCTION public.engagement_events_enqueue_rollup()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO engagement_rollup_queue (post_id, day, likes, comments, shares, saves, views, profile_visits, website_clicks)
    SELECT n.post_id, (n.event_timestamp AT TIME ZONE 'UTC')::date,
           count(*) FILTER (WHERE n.event_type = 'like'),
           count(*) FILTER (WHERE n.event_type = 'comment'),
           count(*) FILTER (WHERE n.event_type = 'share'),
           count(*) FILTER (WHERE n.event_type = 'save'),
           count(*) FILTER (WHERE n.event_type = 'view'),
           count(*) FILTER (WHERE n.event_type = 'profile_visit'),
           count(*) FILTER (WHERE n.event_type = 'website_click')
    FROM new_rows n
    GROUP BY 1, 2;
  ELSE
    INSERT INTO engagement_rollup_queue (post_id, day, likes, comments, shares, saves, views, profile_visits, website_clicks)
    SELECT o.post_id, (o.event_timestamp AT TIME ZONE 'UTC')::date,
           -count(*) FILTER (WHERE o.event_type = 'like'),
           -count(*) FILTER (WHERE o.event_type = 'comment'),
           -count(*) FILTER (WHERE o.event_type = 'share'),
           -count(*) FILTER (WHERE o.event_type = 'save'),
           -count(*) FILTER (WHERE o.event_type = 'view'),
           -count(*) FILTER (WHERE o.event_type = 'profile_visit'),
           -count(*) FILTER (WHERE o.event_type = 'website_click')
    FROM old_rows o
    GROUP BY 1, 2;
  END IF;
  RETURN NULL;
END
$function$;

REVOKE ALL ON FUNCTION public.engagement_events_enqueue_rollup() FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.engagement_events_enqueue_rollup() TO service_role;
