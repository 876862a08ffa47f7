-- Distinct platform users with any engagement event (live and archived) per post, with the post's
-- workspace: exact distinct counts over millions of events cannot be read in milliseconds, so they are
-- materialized and refreshed by refresh_engaged_users(). Closed to the API roles (materialized views
-- have no RLS): read by the server with a workspace (getConversionFunnel).
CREATE MATERIALIZED VIEW public.post_engaged_users AS
 SELECT p.workspace_id,
    u.post_id,
    u.engaged_users
   FROM ( SELECT e.post_id,
            count(DISTINCT e.platform_user_id)::integer AS engaged_users
           FROM ( SELECT engagement_events.post_id,
                    engagement_events.platform_user_id
                   FROM engagement_events
                  WHERE engagement_events.platform_user_id IS NOT NULL
                UNION ALL
                 SELECT engagement_events_archive.post_id,
                    engagement_events_archive.platform_user_id
                   FROM engagement_events_archive
                  WHERE engagement_events_archive.platform_user_id IS NOT NULL) e
          GROUP BY e.post_id) u
     JOIN social_posts p ON p.id = u.post_id
WITH NO DATA;
CREATE UNIQUE INDEX post_engaged_users_post_key ON public.post_engaged_users USING btree (post_id);
REVOKE ALL ON public.post_engaged_users FROM PUBLIC, anon, authenticated;
GRANT ALL ON public.post_engaged_users TO service_role;
