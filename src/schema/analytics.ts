import { relations, sql } from 'drizzle-orm';
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
  uuid,
} from 'drizzle-orm/pg-core';
import { createInsertSchema, createSelectSchema } from 'drizzle-zod';
import { timestamps } from './_common.js';
import { ownerRead, ownsPost, serviceRoleAll } from './_rls.js';
import { socialPosts } from './posts.js';

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
    check('post_analytics_engagement_rate_nonnegative', sql`${t.engagementRate} >= 0`),
    check('post_analytics_click_through_rate_range', sql`${t.clickThroughRate} BETWEEN 0 AND 1`),
    check('post_analytics_virality_score_range', sql`${t.viralityScore} BETWEEN 0 AND 100`),
    check('post_analytics_quality_score_range', sql`${t.qualityScore} BETWEEN 0 AND 100`),
    check('post_analytics_relevance_score_range', sql`${t.relevanceScore} BETWEEN 0 AND 100`),
    check('post_analytics_platform_metrics_object', sql`jsonb_typeof(${t.platformMetrics}) = 'object'`),
    ownerRead('post_analytics', ownsPost(t.postId)),
    serviceRoleAll('post_analytics'),
  ],
);

export const postAnalyticsRelations = relations(postAnalytics, ({ one }) => ({
  post: one(socialPosts, { fields: [postAnalytics.postId], references: [socialPosts.id] }),
}));

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
  viralityScore: score,
  qualityScore: score,
  relevanceScore: score,
});

export type PostAnalytics = typeof postAnalytics.$inferSelect;
export type NewPostAnalytics = typeof postAnalytics.$inferInsert;
