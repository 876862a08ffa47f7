import { sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { queryRows, type Db } from '../db.js';
import { CONTENT_CATEGORIES, platformNameSchema, type ContentCategory } from '../schema/index.js';
import { InvalidInputError, num, numOrNull, parseInput, requirePlatform, requirePost, toDate } from './_input.js';
import { pgErrorOf } from '../pg-error.js';

export { InvalidInputError, type InputIssue } from './_input.js';

// Dashboard reads (docs/dashboard.md). Per-post figures come from post_latest_analytics, each post's
// newest cumulative post_analytics row kept exact by triggers: a post is counted once, never once
// per analytics day. Every read that aggregates across posts is of one workspace (`workspaceId`,
// required): an agency running several brands gets each brand's figures, never a sum of them.

const days = (max = 3650) => z.number().int('must be a whole number of days').min(1, 'must be at least 1').max(max, `must be at most ${max}`);
/** A calendar date: 'YYYY-MM-DD', or a Date (its UTC date). */
const calendarDate = z
  .union([z.iso.date('must be a date YYYY-MM-DD'), z.date()])
  .transform((d) => (typeof d === 'string' ? d : d.toISOString().slice(0, 10)));

/** The workspace whose figures are read (required wherever posts are aggregated). */
export const workspaceIdSchema = z.uuid('must be a UUID (the workspace whose figures are read)');

/**
 * An empty result may mean an unknown workspace: then it is an error naming workspaceId. Through
 * row-level security a workspace the caller is not a member of is unknown to them, and says so the
 * same way (nothing about whether it exists elsewhere).
 */
async function requireWorkspace(db: Db, fn: string, workspaceId: string): Promise<void> {
  const found = await queryRows(db, sql`SELECT 1 AS one FROM workspaces WHERE id = ${workspaceId}::uuid`);
  if (found.length === 0) {
    throw new InvalidInputError(fn, [{ field: 'workspaceId', reason: `no workspace ${workspaceId} (or not one the caller is a member of)` }]);
  }
}

function dateRangeOrdered(p: { from?: string; to?: string }, ctx: z.RefinementCtx) {
  if (p.from && p.to && p.from > p.to) ctx.addIssue({ code: 'custom', path: ['to'], message: 'is before from' });
}

// ---------------------------------------------------------------------------------------------
// Top content

export const topContentParamsSchema = z
  .object({
    workspaceId: workspaceIdSchema,
    category: z.enum(CONTENT_CATEGORIES).nullish(),
    days: days().default(30),
    limit: z.number().int('must be a whole number').min(1, 'must be at least 1').max(1000, 'must be at most 1000').default(50),
  })
  .strict();
export type TopContentParams = z.input<typeof topContentParamsSchema>;

export interface TopContentRow {
  postId: string;
  caption: string | null;
  /** Latest engagement rate; NULL when the post's latest analytics row has none. */
  engagementRate: number | null;
  /** likes + comments + shares of the latest cumulative row (the design's definition). */
  totalEngagement: number;
  /**
   * Exact conversions of the post; NULL when the caller may not read conversions (through row-level
   * security, a member below analyst): unknown to them, not 0.
   */
  conversionCount: number | null;
  /** Revenue of those conversions; NULL exactly when conversionCount is. */
  revenue: number | null;
  platformId: number;
  contentCategory: ContentCategory | null;
  publishedAt: Date;
  /** The UTC day the figures are cumulative to. */
  analysisDate: string;
  likesCount: number;
  commentsCount: number;
  sharesCount: number;
  savesCount: number;
  viewsCount: number;
}

/**
 * The best published posts of workspace `workspaceId` of the last `days` days (default 30), optionally
 * of one category, ranked by latest engagement rate (ties by post id): each post once, with its latest
 * cumulative figures and its exact conversion count. Wraps SQL `get_top_content()`, the RPC behind
 * `get_top_content_by_category`. An unknown workspace (or, through RLS, one the caller is not a member
 * of) is an InvalidInputError naming workspaceId.
 */
export async function getTopContentByCategory(db: Db, params: TopContentParams): Promise<TopContentRow[]> {
  const fn = 'getTopContentByCategory';
  const p = parseInput(fn, topContentParamsSchema, params);
  const rows = await queryRows(
    db,
    sql`SELECT t.post_id, t.caption, t.engagement_rate, t.total_engagement, t.conversion_count, t.revenue,
               t.platform_id, t.content_category, t.published_at, t.analysis_date::text AS analysis_date,
               t.likes_count, t.comments_count, t.shares_count, t.saves_count, t.views_count
        FROM get_top_content(${p.category ?? null}::varchar, ${p.days}::int, ${p.limit}::int, ${p.workspaceId}::uuid) t`,
  );
  // The function answers an unknown (or foreign) workspace with no rows, as RLS would.
  if (rows.length === 0) await requireWorkspace(db, fn, p.workspaceId);
  return rows.map((r) => ({
    postId: String(r.post_id),
    caption: (r.caption as string | null) ?? null,
    engagementRate: numOrNull(r.engagement_rate),
    totalEngagement: num(r.total_engagement),
    conversionCount: numOrNull(r.conversion_count),
    revenue: numOrNull(r.revenue),
    platformId: num(r.platform_id),
    contentCategory: (r.content_category as ContentCategory | null) ?? null,
    publishedAt: toDate(r.published_at),
    analysisDate: String(r.analysis_date),
    likesCount: num(r.likes_count),
    commentsCount: num(r.comments_count),
    sharesCount: num(r.shares_count),
    savesCount: num(r.saves_count),
    viewsCount: num(r.views_count),
  }));
}

// ---------------------------------------------------------------------------------------------
// Daily platform metrics (materialized view)

export const dailyPlatformMetricsFiltersSchema = z
  .object({
    workspaceId: workspaceIdSchema,
    platform: platformNameSchema.optional(),
    from: calendarDate.optional(),
    to: calendarDate.optional(),
  })
  .strict()
  .superRefine(dateRangeOrdered);
export type DailyPlatformMetricsFilters = z.input<typeof dailyPlatformMetricsFiltersSchema>;

export interface DailyPlatformMetricsRow {
  platformId: number;
  platform: string;
  /** UTC date of published_at. */
  publishDate: string;
  /** Published posts of that day, each counted once. */
  postsCount: number;
  /** Of those, posts that have analytics (the averages and sums cover these). */
  postsWithAnalytics: number;
  /** Mean latest engagement rate, 6 decimals; NULL when no post of the day has one. */
  avgEngagementRate: number | null;
  /** Sum of likes + comments + shares of each post's latest cumulative row. */
  totalEngagement: number;
  likesCount: number;
  commentsCount: number;
  sharesCount: number;
  savesCount: number;
  viewsCount: number;
  profileVisits: number;
  websiteClicks: number;
}

/**
 * Rows of the `daily_platform_metrics` materialized view (as fresh as its last refresh) of workspace
 * `workspaceId`, by date then platform. Filters: `platform` (name), `from` / `to` (inclusive publish
 * dates). Reads as the server (service role): the view has no row-level security and is closed to API
 * clients. An unknown workspace is an InvalidInputError naming workspaceId.
 */
export async function getDailyPlatformMetrics(db: Db, filters: DailyPlatformMetricsFilters): Promise<DailyPlatformMetricsRow[]> {
  const fn = 'getDailyPlatformMetrics';
  const f = parseInput(fn, dailyPlatformMetricsFiltersSchema, filters);
  if (f.platform) await requirePlatform(db, fn, f.platform);
  const where: SQL[] = [sql`m.workspace_id = ${f.workspaceId}::uuid`];
  if (f.platform) where.push(sql`pl.name = ${f.platform}`);
  if (f.from) where.push(sql`m.publish_date >= ${f.from}::date`);
  if (f.to) where.push(sql`m.publish_date <= ${f.to}::date`);
  const rows = await queryRows(
    db,
    sql`SELECT m.platform_id, pl.name AS platform, m.publish_date::text AS publish_date, m.posts_count,
               m.posts_with_analytics, m.avg_engagement_rate, m.total_engagement, m.likes_count, m.comments_count,
               m.shares_count, m.saves_count, m.views_count, m.profile_visits, m.website_clicks
        FROM daily_platform_metrics m
        JOIN social_platforms pl ON pl.id = m.platform_id
        WHERE ${sql.join(where, sql` AND `)}
        ORDER BY m.publish_date, m.platform_id`,
  );
  if (rows.length === 0) await requireWorkspace(db, fn, f.workspaceId);
  return rows.map((r) => ({
    platformId: num(r.platform_id),
    platform: String(r.platform),
    publishDate: String(r.publish_date),
    postsCount: num(r.posts_count),
    postsWithAnalytics: num(r.posts_with_analytics),
    avgEngagementRate: numOrNull(r.avg_engagement_rate),
    totalEngagement: num(r.total_engagement),
    likesCount: num(r.likes_count),
    commentsCount: num(r.comments_count),
    sharesCount: num(r.shares_count),
    savesCount: num(r.saves_count),
    viewsCount: num(r.views_count),
    profileVisits: num(r.profile_visits),
    websiteClicks: num(r.website_clicks),
  }));
}

/** REFRESH MATERIALIZED VIEW CONCURRENTLY daily_platform_metrics (readers are not blocked), via SQL `refresh_daily_platform_metrics()`. */
export async function refreshDailyPlatformMetrics(db: Db): Promise<void> {
  await db.execute(sql`SELECT refresh_daily_platform_metrics()`);
}

// ---------------------------------------------------------------------------------------------
// Engagement over time of one post

export const postEngagementOverTimeParamsSchema = z
  .object({
    postId: z.uuid('must be a UUID'),
    from: calendarDate.optional(),
    to: calendarDate.optional(),
  })
  .strict()
  .superRefine(dateRangeOrdered);
export type PostEngagementOverTimeParams = z.input<typeof postEngagementOverTimeParamsSchema>;

export interface EngagementFigures {
  likes: number;
  comments: number;
  shares: number;
  saves: number;
  views: number;
  profileVisits: number;
  websiteClicks: number;
  /** likes + comments + shares */
  totalEngagement: number;
}

export interface PostEngagementDay {
  /** UTC day. */
  date: string;
  /** False for a day without a post_analytics row (a gap): no figures, no delta. */
  measured: boolean;
  /** Cumulative to the end of the day, as stored; NULL on a gap. */
  cumulative: EngagementFigures | null;
  /**
   * Change since the previous measured day (for the first measured day, its own value). After a gap
   * it covers the whole gap. Can be negative when a platform removes interactions (unlikes, deleted comments).
   */
  delta: EngagementFigures | null;
  engagementRate: number | null;
}

/**
 * One row per UTC day from the post's first to its last analytics day (optionally clipped to
 * `from`..`to`), with cumulative figures and daily deltas. Empty when the post has no analytics yet;
 * an unknown post is an error.
 */
export async function getPostEngagementOverTime(
  db: Db,
  params: PostEngagementOverTimeParams,
): Promise<PostEngagementDay[]> {
  const p = parseInput('getPostEngagementOverTime', postEngagementOverTimeParamsSchema, params);
  const metrics = ['likes_count', 'comments_count', 'shares_count', 'saves_count', 'views_count', 'profile_visits', 'website_clicks'];
  const lagged = metrics.map((m) => sql.raw(`${m}, ${m} - coalesce(lag(${m}) OVER w, 0) AS d_${m}`));
  const rows = await queryRows(
    db,
    sql`WITH r AS (
          SELECT analysis_date, engagement_rate, ${sql.join(lagged, sql`, `)}
          FROM post_analytics
          WHERE post_id = ${p.postId}
          WINDOW w AS (ORDER BY analysis_date)
        )
        SELECT d.day::date::text AS day, r.*
        FROM (SELECT min(analysis_date) AS lo, max(analysis_date) AS hi FROM r) b
        CROSS JOIN LATERAL generate_series(
          greatest(b.lo, coalesce(${p.from ?? null}::date, b.lo)),
          least(b.hi, coalesce(${p.to ?? null}::date, b.hi)),
          interval '1 day') AS d(day)
        LEFT JOIN r ON r.analysis_date = d.day::date
        ORDER BY d.day`,
  );
  if (rows.length === 0) await requirePost(db, 'getPostEngagementOverTime', p.postId);
  const figures = (r: Record<string, unknown>, prefix: string): EngagementFigures => {
    const likes = num(r[`${prefix}likes_count`]);
    const comments = num(r[`${prefix}comments_count`]);
    const shares = num(r[`${prefix}shares_count`]);
    return {
      likes,
      comments,
      shares,
      saves: num(r[`${prefix}saves_count`]),
      views: num(r[`${prefix}views_count`]),
      profileVisits: num(r[`${prefix}profile_visits`]),
      websiteClicks: num(r[`${prefix}website_clicks`]),
      totalEngagement: likes + comments + shares,
    };
  };
  return rows.map((r) => {
    const measured = r.analysis_date !== null && r.analysis_date !== undefined;
    return {
      date: String(r.day),
      measured,
      cumulative: measured ? figures(r, '') : null,
      delta: measured ? figures(r, 'd_') : null,
      engagementRate: measured ? numOrNull(r.engagement_rate) : null,
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Best posting hours

export const bestPostingHoursParamsSchema = z
  .object({
    workspaceId: workspaceIdSchema,
    platform: platformNameSchema.optional(),
    /** IANA time zone the hours are in (default UTC). */
    timeZone: z.string().min(1, 'must not be empty').max(64).default('UTC'),
    /** Posts published in the last `days` days (default 90). */
    days: days().default(90),
    /** Hide hours with fewer rated posts than this (default 1). */
    minPosts: z.number().int('must be a whole number').min(1, 'must be at least 1').default(1),
    /** The end of the publication window (default now), e.g. to look at a past season. */
    asOf: z.date({ error: 'must be a Date' }).optional(),
  })
  .strict();
export type BestPostingHoursParams = z.input<typeof bestPostingHoursParamsSchema>;

export interface PostingHourRow {
  platformId: number;
  platform: string;
  /** 0..23, local hour of published_at in the requested time zone. */
  hour: number;
  /** Published posts of that hour with a latest engagement rate. */
  postsCount: number;
  /** Their mean latest engagement rate, 6 decimals. */
  avgEngagementRate: number;
}

/**
 * Per platform and local hour of publication: how many rated posts of workspace `workspaceId` and their
 * mean latest engagement rate, best hour first within each platform (ties by hour). Hours without
 * posts are absent. Posts published in the last `days` days, up to now (or up to `asOf`).
 * Reads as the server (service role): posting_slot_stats has no policy for API clients, so a member's
 * connection is refused (permission denied). An unknown workspace is an InvalidInputError naming
 * workspaceId.
 */
export async function getBestPostingHours(db: Db, params: BestPostingHoursParams): Promise<PostingHourRow[]> {
  const fn = 'getBestPostingHours';
  const p = parseInput(fn, bestPostingHoursParamsSchema, params);
  if (p.platform) await requirePlatform(db, fn, p.platform);
  try {
    // The zone's UTC offset is looked up once a day over the window (every quarter hour on a day it
    // changes, as offsets only change on quarter hours), not once per post: time-zone rules are the
    // expensive part. `ranges` holds the instants the offset changes at and the offset from each on.
    // Whole UTC weeks inside the window with one offset throughout are read from posting_slot_stats
    // (posts per platform and UTC quarter hour of the day: one cell maps to one local hour); the rest
    // of the window (its partial first and last weeks, and a week in which the offset changes) is read
    // post by post, each post taking the offset of the last change before it.
    const asOf = p.asOf ? sql`${p.asOf.toISOString()}::timestamptz` : sql`now()`;
    const platformFilter = (column: SQL) =>
      p.platform ? sql`AND ${column} = (SELECT id FROM social_platforms WHERE name = ${p.platform})` : sql``;
    const rows = await queryRows(
      db,
      sql`WITH w AS (SELECT ${asOf} AS hi, ${asOf} - make_interval(days => ${p.days}::int) AS lo),
          day_offsets AS (
            SELECT d.at, extract(epoch FROM (d.at AT TIME ZONE ${p.timeZone}::text) - (d.at AT TIME ZONE 'UTC'))::int AS off
            FROM (SELECT date_trunc('day', w.lo, 'UTC') + make_interval(hours => 24 * k) AS at
                  FROM w, generate_series(0, ${p.days + 1}::int) k) d
          ),
          points AS (
            SELECT at, off FROM day_offsets
            UNION ALL
            SELECT q.at, extract(epoch FROM (q.at AT TIME ZONE ${p.timeZone}::text) - (q.at AT TIME ZONE 'UTC'))::int
            FROM (SELECT c.at + make_interval(mins => 15 * k) AS at
                  FROM (SELECT at, off <> lead(off) OVER (ORDER BY at) AS changes FROM day_offsets) c,
                       generate_series(1, 95) k
                  WHERE c.changes) q
          ),
          ranges AS (
            SELECT array_agg(at ORDER BY at) AS starts, array_agg(off ORDER BY at) AS offs
            FROM (SELECT at, off, lag(off) OVER (ORDER BY at) AS prev FROM points) m
            WHERE prev IS DISTINCT FROM off
          ),
          weeks AS (
            SELECT wk AS a, wk + interval '168 hours' AS b, r.offs[width_bucket(wk, r.starts)] AS off
            FROM w, ranges r,
                 generate_series(date_trunc('week', w.lo, 'UTC'), w.hi, interval '168 hours') wk
            WHERE wk >= w.lo AND wk + interval '168 hours' <= w.hi
              AND width_bucket(wk, r.starts) = width_bucket(wk + interval '167:59:59.999999', r.starts)
          ),
          rest AS (
            SELECT coalesce(lag(b) OVER (ORDER BY a), (SELECT lo FROM w)) AS a, a AS b FROM weeks
            UNION ALL
            SELECT coalesce((SELECT max(b) FROM weeks), w.lo), w.hi + interval '1 microsecond' FROM w
          ),
          parts AS (
            SELECT c.platform_id, (((c.slot * 900 + wk.off) % 86400 + 86400) % 86400 / 3600)::int AS hour,
                   c.posts_count::bigint AS posts, c.rate_sum AS rate_sum
            FROM weeks wk JOIN posting_slot_stats c ON c.workspace_id = ${p.workspaceId}::uuid AND c.week_start = wk.a
            WHERE true ${platformFilter(sql`c.platform_id`)}
            UNION ALL
            SELECT l.platform_id,
                   ((floor(date_part('epoch', l.published_at))::bigint + r.offs[width_bucket(l.published_at, r.starts)])
                     % 86400 / 3600)::int,
                   1, l.engagement_rate
            FROM ranges r, rest g
            JOIN post_latest_analytics l
              ON l.workspace_id = ${p.workspaceId}::uuid AND l.published_at >= g.a AND l.published_at < g.b
            WHERE g.a < g.b AND l.engagement_rate IS NOT NULL ${platformFilter(sql`l.platform_id`)}
          ),
          hours AS (
            -- sum / count is what avg() computes for numeric: exact for numeric(10,6) rates.
            SELECT platform_id, hour, sum(posts)::int AS posts_count, round(sum(rate_sum) / sum(posts), 6) AS avg_engagement_rate
            FROM parts
            GROUP BY 1, 2
            HAVING sum(posts) >= ${p.minPosts}::int
          )
          SELECT h.platform_id, pl.name AS platform, h.hour, h.posts_count, h.avg_engagement_rate
          FROM hours h JOIN social_platforms pl ON pl.id = h.platform_id
          ORDER BY h.platform_id, h.avg_engagement_rate DESC, h.hour`,
    );
    if (rows.length === 0) await requireWorkspace(db, fn, p.workspaceId);
    return rows.map((r) => ({
      platformId: num(r.platform_id),
      platform: String(r.platform),
      hour: num(r.hour),
      postsCount: num(r.posts_count),
      avgEngagementRate: num(r.avg_engagement_rate),
    }));
  } catch (err) {
    const pg = pgErrorOf(err);
    if (pg.code === '22023' && /time zone/i.test(pg.message ?? '')) {
      throw new InvalidInputError(fn, [{ field: 'timeZone', reason: `"${p.timeZone}" is not a time zone PostgreSQL knows` }]);
    }
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Template performance

/**
 * Recomputes usage_count, avg_engagement_rate and success_rate of every template of every workspace
 * from the posts that use it, each template measured against its own workspace's posts (SQL
 * `refresh_template_performance()`, the job pg_cron runs; definitions in docs/dashboard.md). Returns
 * how many templates changed.
 */
export async function refreshTemplatePerformance(db: Db): Promise<number> {
  const [row] = await queryRows(db, sql`SELECT refresh_template_performance() AS changed`);
  return num(row?.changed ?? 0);
}
