import { sql } from 'drizzle-orm';
import {
  bigint,
  check,
  date,
  integer,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uuid,
  varchar,
} from 'drizzle-orm/pg-core';
import { createInsertSchema, createSelectSchema } from 'drizzle-zod';
import { fromTrigger, oneOf, timestamps } from './_common.js';
import { authenticatedRead, serviceRoleAll, workspaceRead } from './_rls.js';
import { socialPosts } from './posts.js';
import { workspaces } from './workspaces.js';
import { socialPlatforms } from './platforms.js';

const count = (name: string) => integer(name).notNull().default(0);

/**
 * One row per post per UTC day; every count is cumulative to the end of that day.
 * Metrics without a column of their own are kept in `platform_metrics` under their catalog name.
 */
export const postAnalytics = pgTable(
  'post_analytics',
  {
    postId: uuid('post_id')
      .notNull()
      .references(() => socialPosts.id, { onDelete: 'cascade' }),
    /** The post's workspace (a trigger fills it from the post when not given). */
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' })
      .$defaultFn(fromTrigger),
    analysisDate: date('analysis_date').notNull(),
    hoursSincePublished: integer('hours_since_published'),

    likesCount: count('likes_count'),
    commentsCount: count('comments_count'),
    sharesCount: count('shares_count'),
    savesCount: count('saves_count'),
    viewsCount: bigint('views_count', { mode: 'number' }).notNull().default(0),

    // numeric(10,6), not the design's (5,4): a small account's viral post passes 9.9999 interactions per follower.
    engagementRate: numeric('engagement_rate', { precision: 10, scale: 6, mode: 'number' }),
    reach: bigint('reach', { mode: 'number' }),
    impressions: bigint('impressions', { mode: 'number' }),
    clickThroughRate: numeric('click_through_rate', { precision: 5, scale: 4, mode: 'number' }),
    /** Insights-owned: total play time and average play time per view, converted to seconds from each platform's unit. */
    watchTimeSeconds: bigint('watch_time_seconds', { mode: 'number' }),
    avgWatchTimeSeconds: numeric('avg_watch_time_seconds', { precision: 12, scale: 3, mode: 'number' }),
    /** When the insights values of this row were captured; later days inherit a capture until they get their own. */
    insightsCapturedAt: timestamp('insights_captured_at', { withTimezone: true }),

    profileVisits: count('profile_visits'),
    websiteClicks: count('website_clicks'),
    conversionEvents: count('conversion_events'),

    viralityScore: smallint('virality_score'),
    qualityScore: smallint('quality_score'),
    relevanceScore: smallint('relevance_score'),

    platformMetrics: jsonb('platform_metrics').$type<Record<string, number>>().notNull().default(sql`'{}'::jsonb`),
    ...timestamps,
  },
  (t) => [
    primaryKey({ name: 'post_analytics_pkey', columns: [t.postId, t.analysisDate] }),
    check(
      'post_analytics_counts_nonnegative',
      sql`${t.likesCount} >= 0 AND ${t.commentsCount} >= 0 AND ${t.sharesCount} >= 0 AND ${t.savesCount} >= 0
        AND ${t.viewsCount} >= 0 AND ${t.profileVisits} >= 0 AND ${t.websiteClicks} >= 0 AND ${t.conversionEvents} >= 0
        AND ${t.reach} >= 0 AND ${t.impressions} >= 0`,
    ),
    check(
      'post_analytics_watch_time_nonnegative',
      sql`${t.watchTimeSeconds} >= 0 AND ${t.avgWatchTimeSeconds} >= 0`,
    ),
    check('post_analytics_engagement_rate_nonnegative', sql`${t.engagementRate} >= 0`),
    check('post_analytics_click_through_rate_range', sql`${t.clickThroughRate} BETWEEN 0 AND 1`),
    check('post_analytics_virality_score_range', sql`${t.viralityScore} BETWEEN 0 AND 100`),
    check('post_analytics_quality_score_range', sql`${t.qualityScore} BETWEEN 0 AND 100`),
    check('post_analytics_relevance_score_range', sql`${t.relevanceScore} BETWEEN 0 AND 100`),
    check('post_analytics_platform_metrics_object', sql`jsonb_typeof(${t.platformMetrics}) = 'object'`),
    workspaceRead('post_analytics', t.workspaceId),
    serviceRoleAll('post_analytics'),
  ],
);

/**
 * Per-(post, UTC day) event counts appended by a statement trigger on engagement_events (one row per
 * insert statement and post-day, not per event) and consumed (deleted) by refresh_post_analytics().
 * Consuming by DELETE inside the refresh's transaction is what makes the fold exactly-once: a batch
 * still in flight is invisible until it commits and is then read by the next run; a consumed row is
 * gone for every later run. No key: rows of different batches for the same post-day are summed.
 */
export const engagementRollupQueue = pgTable(
  'engagement_rollup_queue',
  {
    postId: uuid('post_id').notNull(),
    day: date('day').notNull(),
    likes: integer('likes').notNull(),
    comments: integer('comments').notNull(),
    shares: integer('shares').notNull(),
    saves: integer('saves').notNull(),
    views: integer('views').notNull(),
    profileVisits: integer('profile_visits').notNull(),
    websiteClicks: integer('website_clicks').notNull(),
  },
  () => [serviceRoleAll('engagement_rollup_queue')],
);

/**
 * Posts whose derived analytics (engagement rate, conversions, scores) must be recomputed from `from_day`
 * on, because an input other than events changed: follower history (by account) or conversions (by post).
 * Filled by row triggers, consumed by refresh_post_analytics().
 */
export const postAnalyticsStale = pgTable(
  'post_analytics_stale',
  {
    postId: uuid('post_id'),
    accountId: uuid('account_id'),
    fromDay: date('from_day').notNull(),
  },
  (t) => [
    check('post_analytics_stale_one_target', sql`num_nonnulls(${t.postId}, ${t.accountId}) = 1`),
    serviceRoleAll('post_analytics_stale'),
  ],
);

/** One row: the last refresh's report, and the row refreshes lock to run one at a time. */
export const postAnalyticsRefreshState = pgTable(
  'post_analytics_refresh_state',
  {
    id: smallint('id').primaryKey().default(1),
    lastStartedAt: timestamp('last_started_at', { withTimezone: true }),
    lastFinishedAt: timestamp('last_finished_at', { withTimezone: true }),
    lastResult: jsonb('last_result').$type<Record<string, unknown>>(),
  },
  (t) => [check('post_analytics_refresh_state_single_row', sql`${t.id} = 1`), serviceRoleAll('post_analytics_refresh_state')],
);

export const METRIC_UNITS = ['count', 'seconds', 'milliseconds', 'minutes', 'ratio', 'percent'] as const;
export const INSIGHT_COLUMNS = ['reach', 'impressions', 'watch_time_seconds', 'avg_watch_time_seconds'] as const;
export type InsightColumn = (typeof INSIGHT_COLUMNS)[number];

/**
 * Every per-post metric the platforms' insights APIs return, by native name: what it means, its unit,
 * where it lands (`target_column`, else `platform_metrics` under `canonical_name`) and whether the
 * platform has retired it. Seeded by migration; public reference data.
 */
export const postMetricCatalog = pgTable(
  'post_metric_catalog',
  {
    platform: varchar('platform', { length: 50 })
      .notNull()
      .references(() => socialPlatforms.name, { onUpdate: 'cascade' }),
    nativeName: varchar('native_name', { length: 100 }).notNull(),
    api: varchar('api', { length: 60 }).notNull(),
    canonicalName: varchar('canonical_name', { length: 60 }).notNull(),
    targetColumn: varchar('target_column', { length: 40 }),
    unit: varchar('unit', { length: 20 }).notNull(),
    /** Multiplier from the native unit to the canonical one (milliseconds to seconds: 0.001). */
    toCanonicalFactor: numeric('to_canonical_factor', { precision: 12, scale: 6, mode: 'number' }).notNull().default(1),
    description: text('description').notNull(),
    deprecatedAt: date('deprecated_at'),
    replacedBy: varchar('replaced_by', { length: 100 }),
  },
  (t) => [
    primaryKey({ name: 'post_metric_catalog_pkey', columns: [t.platform, t.nativeName] }),
    check('post_metric_catalog_unit_valid', oneOf(t.unit, METRIC_UNITS)),
    check('post_metric_catalog_target_column_valid', oneOf(t.targetColumn, INSIGHT_COLUMNS)),
    check('post_metric_catalog_factor_positive', sql`${t.toCanonicalFactor} > 0`),
    check('post_metric_catalog_canonical_name_format', sql`${t.canonicalName} ~ '^[a-z][a-z0-9_]*$'`),
    // Reference data for signed-in users; anon reads social_platforms only (docs/security.md).
    authenticatedRead('post_metric_catalog'),
    serviceRoleAll('post_metric_catalog'),
  ],
);

const score = (s: import('zod').ZodNumber) => s.int().min(0).max(100);
export const selectPostAnalyticsSchema = createSelectSchema(postAnalytics);
export const insertPostAnalyticsSchema = createInsertSchema(postAnalytics, {
  likesCount: (s) => s.int().nonnegative(),
  commentsCount: (s) => s.int().nonnegative(),
  sharesCount: (s) => s.int().nonnegative(),
  savesCount: (s) => s.int().nonnegative(),
  viewsCount: (s) => s.int().nonnegative(),
  engagementRate: (s) => s.nonnegative(),
  clickThroughRate: (s) => s.min(0).max(1),
  watchTimeSeconds: (s) => s.int().nonnegative(),
  avgWatchTimeSeconds: (s) => s.nonnegative(),
  viralityScore: score,
  qualityScore: score,
  relevanceScore: score,
});

export type PostAnalytics = typeof postAnalytics.$inferSelect;
export type NewPostAnalytics = typeof postAnalytics.$inferInsert;

export const selectMetricCatalogSchema = createSelectSchema(postMetricCatalog);
export type PostMetricCatalogEntry = typeof postMetricCatalog.$inferSelect;
