import { relations, sql } from 'drizzle-orm';
import {
  bigint,
  check,
  date,
  index,
  integer,
  numeric,
  pgTable,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
  varchar,
} from 'drizzle-orm/pg-core';
import { createInsertSchema, createSelectSchema } from 'drizzle-zod';
import { z } from 'zod';
import { oneOf } from './_common.js';
import { authenticatedRead, serviceRoleAll } from './_rls.js';
import { socialPlatforms } from './platforms.js';

export const TOPIC_TYPES = ['hashtag', 'keyword', 'mention'] as const;
export const TREND_STATUSES = ['emerging', 'trending', 'declining', 'expired'] as const;
export type TopicType = (typeof TOPIC_TYPES)[number];
export type TrendStatus = (typeof TREND_STATUSES)[number];

export const trendingTopics = pgTable(
  'trending_topics',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    topicName: varchar('topic_name', { length: 100 }).notNull(),
    topicType: varchar('topic_type', { length: 20 }).notNull().default('hashtag'),
    platformId: integer('platform_id')
      .notNull()
      .references(() => socialPlatforms.id),

    mentionCount: integer('mention_count').notNull().default(0),
    engagementScore: bigint('engagement_score', { mode: 'number' }).notNull().default(0),
    // Percent; the design's DECIMAL(5,2) overflowed at 1000 %, which viral topics pass.
    growthRate: numeric('growth_rate', { precision: 12, scale: 2, mode: 'number' }),

    trendStartDate: date('trend_start_date'),
    trendPeakDate: date('trend_peak_date'),
    trendStatus: varchar('trend_status', { length: 20 }).notNull().default('emerging'),

    fitnessRelevanceScore: smallint('fitness_relevance_score'),
    contentOpportunities: text('content_opportunities').array().notNull().default(sql`'{}'::text[]`),

    firstDetectedAt: timestamp('first_detected_at', { withTimezone: true }).notNull().defaultNow(),
    lastUpdatedAt: timestamp('last_updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // The design's UNIQUE(..., DATE(first_detected_at)) is a syntax error, and DATE() of a timestamptz
    // follows the session's time zone; this keys on the UTC day.
    uniqueIndex('trending_topics_topic_platform_day_key').on(
      t.topicName,
      t.platformId,
      sql`((${t.firstDetectedAt} AT TIME ZONE 'UTC')::date)`,
    ),
    index('idx_trending_topics_platform_status').on(t.platformId, t.trendStatus),
    index('idx_trending_active')
      .on(t.growthRate.desc())
      .where(sql`${t.trendStatus} = 'trending'`),
    check('trending_topics_topic_type_valid', oneOf(t.topicType, TOPIC_TYPES)),
    check('trending_topics_trend_status_valid', oneOf(t.trendStatus, TREND_STATUSES)),
    check('trending_topics_mention_count_nonnegative', sql`${t.mentionCount} >= 0`),
    check('trending_topics_engagement_score_nonnegative', sql`${t.engagementScore} >= 0`),
    check('trending_topics_fitness_relevance_range', sql`${t.fitnessRelevanceScore} BETWEEN 0 AND 100`),
    check('trending_topics_topic_name_not_blank', sql`btrim(${t.topicName}) <> ''`),
    authenticatedRead('trending_topics'),
    serviceRoleAll('trending_topics'),
  ],
);

export const trendingTopicsRelations = relations(trendingTopics, ({ one }) => ({
  platform: one(socialPlatforms, { fields: [trendingTopics.platformId], references: [socialPlatforms.id] }),
}));

export const selectTrendingTopicSchema = createSelectSchema(trendingTopics);
export const insertTrendingTopicSchema = createInsertSchema(trendingTopics, {
  topicName: (s) => s.trim().min(1, 'must not be blank').max(100),
  topicType: z.enum(TOPIC_TYPES),
  trendStatus: z.enum(TREND_STATUSES),
  mentionCount: (s) => s.int().nonnegative(),
  engagementScore: (s) => s.int().nonnegative(),
  fitnessRelevanceScore: (s) => s.int().min(0).max(100),
});

export type TrendingTopic = typeof trendingTopics.$inferSelect;
