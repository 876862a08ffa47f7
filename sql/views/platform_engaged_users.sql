-- Distinct platform users with any engagement event (live and archived) per workspace and platform, a
-- count of its own (a user engaging with three posts is one user; one engaging with two brands counts
-- in each). Refreshed by refresh_engaged_users(). Closed to the API roles (materialized views have no
-- RLS): read by the server with a workspace (getConversionFunnel).
CREATE MATERIALIZED VIEW public.platform_engaged_users AS
 SELECT p.workspace_id,
    p.platform_id,
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
     JOIN social_posts p ON p.id = e.post_id
  GROUP BY p.workspace_id, p.platform_id
WITH NO DATA;
CREATE UNIQUE INDEX platform_engaged_users_workspace_platform_key ON public.platform_engaged_users USING btree (workspace_id, platform_id);
REVOKE ALL ON public.platform_engaged_users FROM PUBLIC, anon, authenticated;
GRANT ALL ON public.platform_engaged_users TO service_role;
