import { relations, sql } from 'drizzle-orm';
import { bigint, check, date, index, integer, numeric, pgTable, timestamp, uuid, varchar } from 'drizzle-orm/pg-core';
import { createSelectSchema } from 'drizzle-zod';
import { ownerRead, ownsPost, serviceRoleAll } from './_rls.js';
import { socialPosts } from './posts.js';

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
    ownerRead('post_latest_analytics', ownsPost(t.postId)),
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
    conversions: integer('conversions').notNull(),
    // Wider than conversion_value's numeric(10,2): it is a sum of them.
    revenue: numeric('revenue', { precision: 14, scale: 2, mode: 'number' }).notNull(),
    /** Copy of the post's platform (kept current by a trigger on social_posts): per-platform sums need no join. */
    platformId: integer('platform_id'),
  },
  (t) => [
    check('post_conversion_totals_conversions_positive', sql`${t.conversions} > 0`),
    check('post_conversion_totals_revenue_nonnegative', sql`${t.revenue} >= 0`),
    ownerRead('post_conversion_totals', ownsPost(t.postId)),
    serviceRoleAll('post_conversion_totals'),
  ],
);

export const postLatestAnalyticsRelations = relations(postLatestAnalytics, ({ one }) => ({
  post: one(socialPosts, { fields: [postLatestAnalytics.postId], references: [socialPosts.id] }),
}));

export const postConversionTotalsRelations = relations(postConversionTotals, ({ one }) => ({
  post: one(socialPosts, { fields: [postConversionTotals.postId], references: [socialPosts.id] }),
}));

export const selectPostLatestAnalyticsSchema = createSelectSchema(postLatestAnalytics);
export const selectPostConversionTotalsSchema = createSelectSchema(postConversionTotals);

export type PostLatestAnalytics = typeof postLatestAnalytics.$inferSelect;
export type PostConversionTotals = typeof postConversionTotals.$inferSelect;
