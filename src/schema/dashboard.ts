import { sql } from 'drizzle-orm';
import { bigint, check, date, index, integer, numeric, pgTable, primaryKey, smallint, timestamp, uuid, varchar } from 'drizzle-orm/pg-core';
import { createSelectSchema } from 'drizzle-zod';
import { serviceRoleAll, workspaceRead } from './_rls.js';
import { socialPosts } from './posts.js';
import { workspaces } from './workspaces.js';

/**
 * Each post's latest cumulative `post_analytics` row (greatest analysis_date), kept exact by statement
 * triggers on post_analytics (migration `dashboard_functions`). Dashboards read one row per post here
 * instead of picking the newest of ~30 daily rows per post at query time, which is what made the
 * design's queries both wrong (every daily row joined) and slow.
 * Written only by those triggers; never insert into it by hand.
 */
export const postLatestAnalytics = pgTable(
  'post_latest_analytics',
  {
    postId: uuid('post_id')
      .primaryKey()
      .references(() => socialPosts.id, { onDelete: 'cascade' }),
    /** The post's workspace (a trigger fills it from the post when not given). */
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    analysisDate: date('analysis_date').notNull(),
    likesCount: integer('likes_count').notNull(),
    commentsCount: integer('comments_count').notNull(),
    sharesCount: integer('shares_count').notNull(),
    savesCount: integer('saves_count').notNull(),
    viewsCount: bigint('views_count', { mode: 'number' }).notNull(),
    engagementRate: numeric('engagement_rate', { precision: 10, scale: 6, mode: 'number' }),
    profileVisits: integer('profile_visits').notNull(),
    websiteClicks: integer('website_clicks').notNull(),
    // Copies of the post's columns (a trigger on social_posts keeps them current), so per-platform and
    // per-hour aggregates scan this narrow table alone instead of joining the wide social_posts rows.
    platformId: integer('platform_id'),
    /** The post's published_at while its status is 'published'; NULL otherwise. */
    publishedAt: timestamp('published_at', { withTimezone: true }),
    contentCategory: varchar('content_category', { length: 50 }),
  },
  (t) => [
    // Top content: walk posts from the best rate down and stop after `limit` matches.
    index('idx_post_latest_analytics_rate').on(t.engagementRate.desc().nullsLast(), t.postId),
    // The same walk within one category.
    index('idx_post_latest_analytics_category_rate').on(t.contentCategory, t.engagementRate.desc().nullsLast(), t.postId),
    // The same two walks within one workspace (a member's dashboard, or one brand's figures).
    index('idx_post_latest_analytics_workspace_rate').on(t.workspaceId, t.engagementRate.desc().nullsLast(), t.postId),
    index('idx_post_latest_analytics_workspace_category_rate').on(
      t.workspaceId,
      t.contentCategory,
      t.engagementRate.desc().nullsLast(),
      t.postId,
    ),
    workspaceRead('post_latest_analytics', t.workspaceId),
    serviceRoleAll('post_latest_analytics'),
  ],
);

/**
 * Conversions and revenue per post, kept exact by statement triggers on social_conversions, so
 * funnels and top content never aggregate the whole conversions table. Written only by those triggers.
 */
export const postConversionTotals = pgTable(
  'post_conversion_totals',
  {
    postId: uuid('post_id')
      .primaryKey()
      .references(() => socialPosts.id, { onDelete: 'cascade' }),
    /** The post's workspace (a trigger fills it from the post when not given). */
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    conversions: integer('conversions').notNull(),
    // Wider than conversion_value's numeric(10,2): it is a sum of them.
    revenue: numeric('revenue', { precision: 14, scale: 2, mode: 'number' }).notNull(),
    /** Copy of the post's platform (kept current by a trigger on social_posts): per-platform sums need no join. */
    platformId: integer('platform_id'),
  },
  (t) => [
    check('post_conversion_totals_conversions_positive', sql`${t.conversions} > 0`),
    check('post_conversion_totals_revenue_nonnegative', sql`${t.revenue} >= 0`),
    // One workspace's totals (the funnel by platform, an analyst's reads through RLS, where the
    // policy's workspace_id = ANY (<InitPlan>) is an index condition): without it every read scans
    // every brand's totals.
    index('idx_post_conversion_totals_workspace').on(t.workspaceId, t.platformId),
    // Conversions and revenue are an analyst's.
    workspaceRead('post_conversion_totals', t.workspaceId, 'analyst'),
    serviceRoleAll('post_conversion_totals'),
  ],
);

/**
 * Rated, published posts counted per platform, UTC week and UTC quarter hour of the day, with the sum
 * of their latest engagement rates: best posting hours read about 3,000 of these cells instead of one
 * row per post. Quarter hours, because every time zone's offset is a whole number of them, so a cell
 * maps to one local hour in any zone; weeks, because a zone's offset is constant over most weeks (a week
 * with a change, and the partial weeks at the window's ends, are read post by post). Kept exact by
 * statement triggers on post_latest_analytics (migration `posting_slot_stats`); per workspace, read by
 * the service role only (getBestPostingHours).
 */
export const postingSlotStats = pgTable(
  'posting_slot_stats',
  {
    /** Monday 00:00 UTC of the week the posts were published in. */
    weekStart: timestamp('week_start', { withTimezone: true }).notNull(),
    /** Each workspace's posts are counted apart: best hours are a brand's own. */
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    platformId: integer('platform_id').notNull(),
    /** Quarter hour of the UTC day the posts were published in, 0..95. */
    slot: smallint('slot').notNull(),
    // No CHECK (posts_count >= 0): the triggers upsert signed deltas, and PostgreSQL checks the
    // candidate row of an INSERT ... ON CONFLICT before it finds the conflict.
    postsCount: integer('posts_count').notNull(),
    /** Sum of the posts' latest engagement rates (numeric(10,6) each): exact. */
    rateSum: numeric('rate_sum', { precision: 20, scale: 6, mode: 'number' }).notNull(),
  },
  (t) => [
    // A workspace's cells of a platform over a range of weeks.
    primaryKey({ name: 'posting_slot_stats_pkey', columns: [t.workspaceId, t.platformId, t.weekStart, t.slot] }),
    check('posting_slot_stats_slot_range', sql`${t.slot} BETWEEN 0 AND 95`),
    serviceRoleAll('posting_slot_stats'),
  ],
);

export const selectPostLatestAnalyticsSchema = createSelectSchema(postLatestAnalytics);
export const selectPostConversionTotalsSchema = createSelectSchema(postConversionTotals);

export type PostLatestAnalytics = typeof postLatestAnalytics.$inferSelect;
export type PostConversionTotals = typeof postConversionTotals.$inferSelect;
export type PostingSlotStats = typeof postingSlotStats.$inferSelect;
