-- A platform's default publishing limits, from its social_platforms.rate_limits document, read
-- leniently because apps and admins write it by hand: posts_per_window with window_seconds (default a
-- day), or a daily count under the names in use for it (posts_per_24h, posts_per_day,
-- max_posts_per_24h, max_posts_per_day, daily_limit); min_spacing_seconds (or min_interval_seconds,
-- min_spacing_minutes). posts_per_window NULL: no count limit; min_spacing 0: none.
CREATE OR REPLACE FUNCTION public.platform_publish_limits(rate_limits jsonb, OUT posts_per_window integer, OUT rate_window interval, OUT min_spacing interval)
 RETURNS record
 LANGUAGE sql
 IMMUTABLE
 SET search_path TO 'public', 'pg_temp'
AS $function$
  SELECT coalesce(r ->> 'posts_per_window', r ->> 'posts_per_24h', r ->> 'posts_per_day', r ->> 'max_posts_per_24h',
                  r ->> 'max_posts_per_day', r ->> 'daily_limit')::integer,
         make_interval(secs => CASE WHEN r ? 'posts_per_window' THEN coalesce((r ->> 'window_seconds')::double precision, 86400)
                                    ELSE 86400 END),
         make_interval(secs => coalesce((r ->> 'min_spacing_seconds')::double precision, (r ->> 'min_interval_seconds')::double precision,
                                        (r ->> 'min_spacing_minutes')::double precision * 60, 0))
  FROM (SELECT CASE WHEN jsonb_typeof(platform_publish_limits.rate_limits) = 'object' THEN platform_publish_limits.rate_limits
                    ELSE '{}'::jsonb END AS r) x
$function$;

REVOKE ALL ON FUNCTION public.platform_publish_limits(jsonb) FROM PUBLIC, anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION public.platform_publish_limits(jsonb) TO service_role;
