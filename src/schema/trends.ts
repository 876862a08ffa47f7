import { sql, type SQL } from 'drizzle-orm';
import {
  bigint,
  type AnyPgColumn,
  check,
  date,
  index,
  integer,
  numeric,
  pgPolicy,
  pgTable,
  smallint,
  text,
  timestamp,
  unique,
  uniqueIndex,
  uuid,
  varchar,
} from 'drizzle-orm/pg-core';
import { createInsertSchema, createSelectSchema } from 'drizzle-zod';
import { authenticatedRole } from 'drizzle-orm/supabase';
import { z } from 'zod';
import { oneOf, timestamps } from './_common.js';
import { inWorkspaceOrMarket, serviceRoleAll, staffRead } from './_rls.js';
import { socialPlatforms } from './platforms.js';
import { socialPosts } from './posts.js';
import { workspaces } from './workspaces.js';

export const TOPIC_TYPES = ['hashtag', 'keyword', 'mention'] as const;
export const TREND_STATUSES = ['emerging', 'trending', 'declining', 'expired'] as const;
export type TopicType = (typeof TOPIC_TYPES)[number];
export type TrendStatus = (typeof TREND_STATUSES)[number];

/**
 * A trend status's place in dashboard order (trending, emerging, declining, expired). One expression
 * for the query and its index, so the planner can match them.
 */
export const trendStatusRank = (status: AnyPgColumn | SQL) =>
  sql`array_position(ARRAY['trending', 'emerging', 'declining', 'expired']::varchar[], ${status})`;

export const trendingTopics = pgTable(
  'trending_topics',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /**
     * Detection runs per workspace, over the workspace's own posts and comments and the market's
     * external mentions; NULL: a market trend, from external feeds alone.
     */
    workspaceId: uuid('workspace_id').references(() => workspaces.id, { onDelete: 'cascade' }),
    topicName: varchar('topic_name', { length: 100 }).notNull(),
    topicType: varchar('topic_type', { length: 20 }).notNull().default('hashtag'),
    platformId: integer('platform_id')
      .notNull()
      .references(() => socialPlatforms.id),

    mentionCount: integer('mention_count').notNull().default(0),
    engagementScore: bigint('engagement_score', { mode: 'number' }).notNull().default(0),
    // Percent; the design's DECIMAL(5,2) overflowed at 1000 %, which viral topics pass.
    growthRate: numeric('growth_rate', { precision: 12, scale: 2, mode: 'number' }),
    /** Mentions in the window before the last detection's window (the base of growth_rate). */
    previousMentionCount: integer('previous_mention_count').notNull().default(0),
    /** Highest window mention count seen while this row was active; trend_peak_date is when. */
    peakMentionCount: integer('peak_mention_count').notNull().default(0),
    engagementGrowthRate: numeric('engagement_growth_rate', { precision: 12, scale: 2, mode: 'number' }),

    trendStartDate: date('trend_start_date'),
    trendPeakDate: date('trend_peak_date'),
    trendStatus: varchar('trend_status', { length: 20 }).notNull().default('emerging'),
    /** Status before the last detection run: a rerun for the same as_of starts from it (same rows twice). */
    previousStatus: varchar('previous_status', { length: 20 }),

    fitnessRelevanceScore: smallint('fitness_relevance_score'),
    contentOpportunities: text('content_opportunities').array().notNull().default(sql`'{}'::text[]`),

    firstDetectedAt: timestamp('first_detected_at', { withTimezone: true }).notNull().defaultNow(),
    lastUpdatedAt: timestamp('last_updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // The design's UNIQUE(..., DATE(first_detected_at)) is a syntax error, and DATE() of a timestamptz
    // follows the session's time zone; this keys on the UTC day.
    // NULL (the market) is one scope like any workspace, hence the coalesce.
    uniqueIndex('trending_topics_scope_topic_platform_day_key').on(
      sql`coalesce(${t.workspaceId}, '00000000-0000-0000-0000-000000000000'::uuid)`,
      t.topicName,
      t.platformId,
      sql`((${t.firstDetectedAt} AT TIME ZONE 'UTC')::date)`,
    ),
    index('idx_trending_topics_platform_status').on(t.platformId, t.trendStatus),
    index('idx_trending_active')
      .on(t.growthRate.desc())
      .where(sql`${t.trendStatus} = 'trending'`),
    // getTrendingTopics' order: the first `limit` rows come straight off this index, no sort of all topics.
    index('idx_trending_topics_dashboard_order').on(
      t.workspaceId,
      trendStatusRank(t.trendStatus),
      t.growthRate.desc().nullsLast(),
      // DESC alone means NULLS FIRST, as in the query's ORDER BY (the column is NOT NULL anyway).
      t.mentionCount.desc().nullsFirst(),
      t.topicName,
      t.platformId,
    ),
    check('trending_topics_topic_type_valid', oneOf(t.topicType, TOPIC_TYPES)),
    check('trending_topics_trend_status_valid', oneOf(t.trendStatus, TREND_STATUSES)),
    check('trending_topics_previous_status_valid', oneOf(t.previousStatus, TREND_STATUSES)),
    check('trending_topics_previous_mention_count_nonnegative', sql`${t.previousMentionCount} >= 0`),
    check('trending_topics_peak_mention_count_nonnegative', sql`${t.peakMentionCount} >= 0`),
    // Detection updates a topic's one active (not expired) row, found through this index.
    index('idx_trending_topics_active_topic')
      .on(t.workspaceId, t.topicName, t.platformId)
      .where(sql`${t.trendStatus} <> 'expired'`),
    check('trending_topics_mention_count_nonnegative', sql`${t.mentionCount} >= 0`),
    check('trending_topics_engagement_score_nonnegative', sql`${t.engagementScore} >= 0`),
    check('trending_topics_fitness_relevance_range', sql`${t.fitnessRelevanceScore} BETWEEN 0 AND 100`),
    check('trending_topics_topic_name_not_blank', sql`btrim(${t.topicName}) <> ''`),
    pgPolicy('trending_topics_member_select', { for: 'select', to: authenticatedRole, using: inWorkspaceOrMarket(t.workspaceId) }),
    serviceRoleAll('trending_topics'),
  ],
);

export const MENTION_SOURCES = ['own_post', 'comment', 'external'] as const;
export type MentionSource = (typeof MENTION_SOURCES)[number];

/**
 * One sighting of a topic: a hashtag of our published post, a hashtag in a comment on it, or an item of
 * an external feed. Append-only facts; `topic_mention_daily` is kept in step by triggers (migration
 * `trend_daily_detection`) so detection never has to aggregate a day of raw rows.
 */
export const topicMentions = pgTable(
  'topic_mentions',
  {
    /** 64-bit hash of source, platform, the item's id and the topic (see `recordTopicMentions`): replays are no-ops. */
    mentionKey: bigint('mention_key', { mode: 'bigint' }).primaryKey(),
    mentionedAt: timestamp('mentioned_at', { withTimezone: true }).notNull(),
    platformId: integer('platform_id')
      .notNull()
      .references(() => socialPlatforms.id),
    engagementWeight: integer('engagement_weight').notNull().default(1),
    // A deleted post keeps its mentions: they happened, and the trend they fed stays explainable.
    postId: uuid('post_id').references(() => socialPosts.id, { onDelete: 'set null' }),
    /** The post's workspace (filled from it by a trigger); NULL for external mentions (the market). */
    workspaceId: uuid('workspace_id').references(() => workspaces.id, { onDelete: 'cascade' }),
    /** Normalised: lower case, no leading '#' or '@', single spaces (`normalize_topic_name`). */
    topicName: varchar('topic_name', { length: 100 }).notNull(),
    topicType: varchar('topic_type', { length: 20 }).notNull().default('hashtag'),
    source: varchar('source', { length: 10 }).notNull(),
  },
  (t) => [
    // Pruning and ad-hoc reads by time (detection reads the daily rollup, not this table).
    index('idx_topic_mentions_mentioned_at').on(t.mentionedAt),
    // ON DELETE SET NULL from social_posts, and a republished post replacing its own mentions.
    index('idx_topic_mentions_post')
      .on(t.postId)
      .where(sql`${t.postId} IS NOT NULL`),
    check('topic_mentions_topic_type_valid', oneOf(t.topicType, TOPIC_TYPES)),
    check('topic_mentions_source_valid', oneOf(t.source, MENTION_SOURCES)),
    check('topic_mentions_engagement_weight_range', sql`${t.engagementWeight} BETWEEN 0 AND 1000000000`),
    check(
      'topic_mentions_topic_name_normalized',
      sql`${t.topicName} <> '' AND ${t.topicName} = lower(${t.topicName}) AND ${t.topicName} !~ '^[#@[:space:]]' AND ${t.topicName} !~ '[[:space:]]$'`,
    ),
    pgPolicy('topic_mentions_member_select', { for: 'select', to: authenticatedRole, using: inWorkspaceOrMarket(t.workspaceId) }),
    serviceRoleAll('topic_mentions'),
  ],
);

/**
 * Mentions per UTC day, platform and topic, with running totals by hour: `cum_mentions[h]` (1-based)
 * counts the mentions from midnight to the end of hour h-1, so any whole-hour range of the day is the
 * difference of two elements. Maintained by statement-level triggers on topic_mentions (insert, update,
 * delete, truncate). Detection reads one row per topic per day its windows touch (3 for 24 hours)
 * instead of one per mention, which is what keeps a million-mention window under a second.
 */
export const topicMentionDaily = pgTable(
  'topic_mention_daily',
  {
    day: date('day').notNull(),
    /** The workspace whose posts and comments it comes from; NULL: market data from external feeds. */
    workspaceId: uuid('workspace_id').references(() => workspaces.id, { onDelete: 'cascade' }),
    platformId: integer('platform_id')
      .notNull()
      .references(() => socialPlatforms.id),
    hashtagCount: integer('hashtag_count').notNull().default(0),
    keywordCount: integer('keyword_count').notNull().default(0),
    atMentionCount: integer('at_mention_count').notNull().default(0),
    topicName: varchar('topic_name', { length: 100 }).notNull(),
    /** 24 running mention counts (see above); element 24 is the day's total. */
    cumMentions: integer('cum_mentions').array().notNull(),
    /** 24 running sums of engagement_weight, like cum_mentions. */
    cumEngagement: bigint('cum_engagement', { mode: 'number' }).array().notNull(),
  },
  (t) => [
    // day first: detection reads a range of days. NULLS NOT DISTINCT: the market is one scope.
    unique('topic_mention_daily_key').on(t.day, t.platformId, t.topicName, t.workspaceId).nullsNotDistinct(),
    check('topic_mention_daily_hours', sql`cardinality(${t.cumMentions}) = 24 AND cardinality(${t.cumEngagement}) = 24`),
    check(
      'topic_mention_daily_counts_nonnegative',
      sql`${t.hashtagCount} >= 0 AND ${t.keywordCount} >= 0 AND ${t.atMentionCount} >= 0 AND ${t.cumMentions}[1] >= 0 AND ${t.cumEngagement}[1] >= 0`,
    ),
    check(
      'topic_mention_daily_total_matches',
      sql`${t.cumMentions}[24] = ${t.hashtagCount} + ${t.keywordCount} + ${t.atMentionCount}`,
    ),
    pgPolicy('topic_mention_daily_member_select', { for: 'select', to: authenticatedRole, using: inWorkspaceOrMarket(t.workspaceId) }),
    serviceRoleAll('topic_mention_daily'),
  ],
);

/**
 * Comments with a '#' in their text, waiting for their hashtags to be extracted into topic_mentions.
 * The ingest trigger only copies them here (a plain append, no index): the regex work, the mention keys
 * and the daily summary happen when detection drains the queue (record_comment_hashtags()), which
 * keeps ingestion at webhook speed.
 */
export const topicCommentQueue = pgTable(
  'topic_comment_queue',
  {
    eventTimestamp: timestamp('event_timestamp', { withTimezone: true }).notNull(),
    eventKey: bigint('event_key', { mode: 'bigint' }).notNull(),
    postId: uuid('post_id').notNull(),
    commentText: text('comment_text').notNull(),
  },
  () => [serviceRoleAll('topic_comment_queue')],
);

export const LEXICON_MATCH_MODES = ['exact', 'contains'] as const;
export type LexiconMatchMode = (typeof LEXICON_MATCH_MODES)[number];

/**
 * The fitness vocabulary that scores a topic's relevance (0-100). Data, not code: seeded by migration,
 * edited with plain INSERT/UPDATE/DELETE, read by every detection run.
 */
export const fitnessLexicon = pgTable(
  'fitness_lexicon',
  {
    /** Lower case, no '#', '@', spaces, '_' or '-' (topics are compared with those removed). */
    term: varchar('term', { length: 100 }).primaryKey(),
    weight: smallint('weight').notNull(),
    /** `exact`: the whole topic; `contains`: anywhere in it (compound hashtags such as legdaymotivation). */
    matchMode: varchar('match_mode', { length: 10 }).notNull().default('contains'),
    /** Content category it points to; templates of this category become the topic's content opportunities. */
    category: varchar('category', { length: 50 }),
    ...timestamps,
  },
  (t) => [
    check('fitness_lexicon_weight_range', sql`${t.weight} BETWEEN 1 AND 100`),
    check('fitness_lexicon_match_mode_valid', oneOf(t.matchMode, LEXICON_MATCH_MODES)),
    check('fitness_lexicon_term_format', sql`${t.term} = lower(${t.term}) AND ${t.term} ~ '^[^#@[:space:]_-]+$'`),
    // Short substrings match inside unrelated words ('abs' in 'crabs'): they must be exact.
    check('fitness_lexicon_contains_min_length', sql`${t.matchMode} = 'exact' OR char_length(${t.term}) >= 4`),
    // The brand's vocabulary: staff of any workspace read it, customers do not.
    staffRead('fitness_lexicon'),
    serviceRoleAll('fitness_lexicon'),
  ],
);

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

/**
 * A topic's one spelling: trimmed, without leading '#' or '@', inner whitespace collapsed, lower case.
 * The twin of SQL `normalize_topic_name`; null when nothing is left.
 */
export function normalizeTopicName(raw: string): string | null {
  const name = raw
    .replace(/^[\s#@]+|\s+$/gu, '')
    .replace(/\s+/gu, ' ')
    .toLowerCase();
  return name === '' ? null : name;
}

/** Mentions older than this are refused: nothing detects over them, and they are usually a unit mix-up. */
export const MAX_MENTION_AGE_DAYS = 366;
/** Mentions this far ahead of the clock are refused (a feed's clock may be slightly ahead, not hours). */
export const MAX_MENTION_FUTURE_MS = 60 * 60 * 1000;

/** One mention for `recordTopicMentions` (external feeds, backfills). */
export const topicMentionInputSchema = z
  .strictObject({
    topic: z
      .string()
      .transform((s, ctx) => {
        const name = normalizeTopicName(s);
        if (name === null) {
          ctx.addIssue({ code: 'custom', message: 'empty once #, @ and spaces are removed' });
          return z.NEVER;
        }
        return name;
      })
      .pipe(z.string().max(100, 'longer than 100 characters')),
    topicType: z.enum(TOPIC_TYPES).default('hashtag'),
    platformId: z.number().int('must be an integer').positive('must be a platform id'),
    mentionedAt: z.coerce
      .date({ error: 'must be a date or ISO timestamp' })
      .refine((d) => d.getTime() <= Date.now() + MAX_MENTION_FUTURE_MS, 'more than an hour in the future')
      .refine((d) => d.getTime() >= Date.now() - MAX_MENTION_AGE_DAYS * 86_400_000, `older than ${MAX_MENTION_AGE_DAYS} days`),
    source: z.enum(MENTION_SOURCES).default('external'),
    /** The feed's id of the item the mention came from (post id for own_post): the idempotency key. */
    sourceRef: z.string().trim().min(1, 'must not be blank').max(500, 'longer than 500 characters'),
    postId: z.uuid('must be a uuid').nullish(),
    engagementWeight: z.number().int('must be an integer').min(0, 'must not be negative').max(1_000_000_000).default(1),
  })
  .superRefine((m, ctx) => {
    if (m.source !== 'external' && !m.postId) {
      ctx.addIssue({ code: 'custom', path: ['postId'], message: `a ${m.source} mention needs the post it belongs to` });
    }
  });
export type TopicMentionInput = z.input<typeof topicMentionInputSchema>;

export const insertTopicMentionSchema = createInsertSchema(topicMentions, {
  topicName: (s) => s.refine((v) => normalizeTopicName(v) === v, 'must be normalised (normalizeTopicName)'),
  topicType: z.enum(TOPIC_TYPES),
  source: z.enum(MENTION_SOURCES),
  engagementWeight: (s) => s.int().min(0).max(1_000_000_000),
});
export const selectTopicMentionSchema = createSelectSchema(topicMentions);

export const insertFitnessLexiconSchema = createInsertSchema(fitnessLexicon, {
  term: (s) => s.regex(/^[^#@\s_A-Z-]+$/u, 'lower case, without #, @, spaces, _ or -').max(100),
  weight: (s) => s.int().min(1).max(100),
  matchMode: z.enum(LEXICON_MATCH_MODES),
}).refine((l) => (l.matchMode ?? 'contains') === 'exact' || l.term.length >= 4, {
  path: ['term'],
  message: "a 'contains' term needs at least 4 characters",
});
export const selectFitnessLexiconSchema = createSelectSchema(fitnessLexicon);

export type TopicMention = typeof topicMentions.$inferSelect;
export type FitnessLexiconTerm = typeof fitnessLexicon.$inferSelect;
