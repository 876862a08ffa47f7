import { sql } from 'drizzle-orm';
import {
  bigint,
  char,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uuid,
  varchar,
} from 'drizzle-orm/pg-core';
import { createInsertSchema, createSelectSchema } from 'drizzle-zod';
import { z } from 'zod';
import { fromTrigger, oneOf } from './_common.js';
import { serviceRoleAll, workspaceRead } from './_rls.js';

export const EVENT_TYPES = ['like', 'comment', 'share', 'save', 'view', 'profile_visit', 'website_click'] as const;
export const AGE_RANGES = ['13-17', '18-24', '25-34', '35-44', '45-54', '55-64', '65+'] as const;
export const GENDERS = ['female', 'male', 'other', 'unknown'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Largest `event_value` accepted (seconds of play time, counts): a day of watch time. Above it is a bad payload. */
export const MAX_EVENT_VALUE = 86_400;

/**
 * RANGE-partitioned by month on event_timestamp (migration 0002 rebuilds the table as partitioned;
 * Drizzle has no partition API). Columns are ordered fixed-width first so rows pack without padding,
 * and there is no surrogate id or created_at: at webhook volume every byte of a row counts.
 */
const engagementColumns = {
  postId: uuid('post_id').notNull(),
  eventTimestamp: timestamp('event_timestamp', { withTimezone: true }).notNull(),
  /** 64-bit hash of the platform's event id (or of the event's content): see `eventKey()`. */
  eventKey: bigint('event_key', { mode: 'bigint' }).notNull(),
  eventValue: integer('event_value').notNull().default(1),
  userFollowerCount: integer('user_follower_count'),
  eventType: varchar('event_type', { length: 20 }).notNull(),
  platformUserId: varchar('platform_user_id', { length: 100 }),
  platformUsername: varchar('platform_username', { length: 100 }),
  countryCode: char('country_code', { length: 2 }),
  ageRange: varchar('age_range', { length: 10 }),
  gender: varchar('gender', { length: 10 }),
  eventMetadata: jsonb('event_metadata').$type<Record<string, unknown>>(),
  /**
   * The post's workspace, copied onto every event so RLS reads one post's events without listing the
   * workspace's posts. Ingestion writes it; a trigger fills it from the post when an insert leaves it out.
   */
  workspaceId: uuid('workspace_id').notNull().$defaultFn(fromTrigger),
};

export const engagementEvents = pgTable('engagement_events', engagementColumns, (t) => [
  // The idempotency key; PostgreSQL requires the partition key in it. Time first because events
  // arrive roughly in time order: appends keep the btree ~90% full (a post_id-first key fills ~65%,
  // +25 bytes an event), and the same index serves time-window scans (rollups, trends, archiving).
  primaryKey({ name: 'engagement_events_pkey', columns: [t.eventTimestamp, t.eventKey] }),
  // Per-post reads. post_id alone, so B-tree deduplication stores each post once per page with a
  // list of row pointers: about 8 bytes an event instead of 40.
  index('idx_engagement_events_post').on(t.postId),
  check('engagement_events_event_type_valid', oneOf(t.eventType, EVENT_TYPES)),
  check('engagement_events_event_value_range', sql`${t.eventValue} BETWEEN 0 AND ${sql.raw(String(MAX_EVENT_VALUE))}`),
  check('engagement_events_user_follower_count_nonnegative', sql`${t.userFollowerCount} >= 0`),
  check('engagement_events_country_code_format', sql`${t.countryCode} ~ '^[A-Z]{2}$'`),
  check('engagement_events_age_range_valid', oneOf(t.ageRange, AGE_RANGES)),
  check('engagement_events_gender_valid', oneOf(t.gender, GENDERS)),
  workspaceRead('engagement_events', t.workspaceId),
  serviceRoleAll('engagement_events'),
]);

/**
 * Whole months retired by `archive_old_engagement_events` are read through this table: each archived
 * month is the detached partition itself, moved to the `archive` schema and made an inheritance child
 * of this one (migration 0013; no row is copied), so a query here reads every archived month while the
 * live table stays small. The table's own rows are whatever was inserted into it directly.
 */
export const engagementEventsArchive = pgTable('engagement_events_archive', engagementColumns, (t) => [
  primaryKey({ name: 'engagement_events_archive_pkey', columns: [t.eventTimestamp, t.eventKey] }),
  index('idx_engagement_events_archive_post').on(t.postId),
  workspaceRead('engagement_events_archive', t.workspaceId),
  serviceRoleAll('engagement_events_archive'),
]);

export const selectEngagementEventSchema = createSelectSchema(engagementEvents);
export const insertEngagementEventSchema = createInsertSchema(engagementEvents, {
  eventType: z.enum(EVENT_TYPES),
  eventValue: (s) => s.int().min(0).max(MAX_EVENT_VALUE),
  userFollowerCount: (s) => s.int().nonnegative(),
  countryCode: (s) => s.regex(/^[A-Z]{2}$/, 'ISO 3166-1 alpha-2, upper case'),
  ageRange: z.enum(AGE_RANGES).nullish(),
  gender: z.enum(GENDERS).nullish(),
});

export type EngagementEvent = typeof engagementEvents.$inferSelect;
export type NewEngagementEvent = typeof engagementEvents.$inferInsert;

export const DEAD_LETTER_KINDS = ['event', 'webhook'] as const;
export type DeadLetterKind = (typeof DEAD_LETTER_KINDS)[number];

/**
 * What ingestion could not store, kept instead of dropped: the raw input of the rejected row (`kind`
 * 'event': an `EngagementEventInput`; 'webhook': a one-item webhook body the parser refused) with the
 * field and reason. `replayDeadLetters()` retries pending rows through the same path and stamps
 * `replayed_at` on the ones that are then stored. Service role only: payloads hold other people's
 * comments and user ids, and no end user owns them until they resolve to a post.
 */
export const engagementDeadLetters = pgTable(
  'engagement_dead_letters',
  {
    id: bigint('id', { mode: 'number' })
      .primaryKey()
      .generatedAlwaysAsIdentity({ name: 'engagement_dead_letters_id_seq' }),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
    /** Who sent it: 'api' by default, 'webhook:<platform>' for webhook bodies, or the caller's own label. */
    source: varchar('source', { length: 100 }).notNull(),
    platform: varchar('platform', { length: 50 }),
    kind: varchar('kind', { length: 20 }).notNull().default('event'),
    /** Position of the row in the batch (or of the item in the webhook body) it arrived in. */
    batchIndex: integer('batch_index').notNull(),
    field: varchar('field', { length: 200 }).notNull(),
    reason: text('reason').notNull(),
    payload: jsonb('payload').notNull(),
    replayAttempts: integer('replay_attempts').notNull().default(0),
    lastReplayAt: timestamp('last_replay_at', { withTimezone: true }),
    replayedAt: timestamp('replayed_at', { withTimezone: true }),
  },
  (t) => [
    // The replay queue: only rows still waiting, oldest first; replayed rows drop out of the index.
    index('idx_engagement_dead_letters_pending')
      .on(t.receivedAt, t.id)
      .where(sql`${t.replayedAt} IS NULL`),
    check('engagement_dead_letters_kind_valid', oneOf(t.kind, DEAD_LETTER_KINDS)),
    check('engagement_dead_letters_batch_index_nonnegative', sql`${t.batchIndex} >= 0`),
    check('engagement_dead_letters_replay_attempts_nonnegative', sql`${t.replayAttempts} >= 0`),
    serviceRoleAll('engagement_dead_letters'),
  ],
);

export const selectEngagementDeadLetterSchema = createSelectSchema(engagementDeadLetters);
export const insertEngagementDeadLetterSchema = createInsertSchema(engagementDeadLetters, {
  kind: z.enum(DEAD_LETTER_KINDS),
  batchIndex: (s) => s.int().nonnegative(),
  replayAttempts: (s) => s.int().nonnegative(),
});

export type EngagementDeadLetter = typeof engagementDeadLetters.$inferSelect;
export type NewEngagementDeadLetter = typeof engagementDeadLetters.$inferInsert;
