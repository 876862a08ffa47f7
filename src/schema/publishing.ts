import { sql } from 'drizzle-orm';
import {
  bigint,
  check,
  index,
  integer,
  interval,
  jsonb,
  pgTable,
  text,
  time,
  timestamp,
  unique,
  uuid,
  varchar,
} from 'drizzle-orm/pg-core';
import { createSelectSchema } from 'drizzle-zod';
import { fromTrigger, oneOf, timestamps } from './_common.js';
import { serviceRoleAll, workspaceRead, workspaceWrite } from './_rls.js';
import { socialAccounts } from './accounts.js';
import { socialPlatforms } from './platforms.js';
import { socialPosts } from './posts.js';
import { workspaces } from './workspaces.js';

// Publishing (issue 16, docs/publishing.md): the per-account settings a claim reads and the record
// of every attempt. The state machine itself lives on social_posts (status, claim columns) and in
// the functions of sql/functions/ (claim_due_posts, complete_post_publish, fail_post_publish, ...).

/**
 * What became of an attempt; NULL while it runs. `rate_limited`: the platform refused it for its own
 * limit (a 429 with retry_after); it still counts against the account's limits (it used the quota).
 * `not_published`: it was unknown, and reconciliation found nothing on the platform.
 */
export const PUBLISH_OUTCOMES = ['published', 'retry', 'rate_limited', 'failed', 'unknown', 'not_published'] as const;
export type PublishOutcome = (typeof PUBLISH_OUTCOMES)[number];

/**
 * An account's publishing settings: its time zone and posting slots (local times of day that
 * nextPostingSlot proposes), and overrides of its platform's rate limits (social_platforms.rate_limits)
 * with what the platform reports for this account. A missing row means the platform's defaults, UTC
 * and no slots.
 */
export const accountPublishingSettings = pgTable(
  'account_publishing_settings',
  {
    accountId: uuid('account_id')
      .primaryKey()
      .references(() => socialAccounts.id, { onDelete: 'cascade' }),
    /** Always the account's workspace (trigger account_publishing_settings_workspace). */
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' })
      .$defaultFn(fromTrigger),
    /** IANA zone the posting slots are read in. */
    timeZone: varchar('time_zone', { length: 64 }).notNull().default('UTC'),
    /** Local times of day at which this account likes to post. */
    postingSlots: time('posting_slots').array().notNull().default(sql`'{}'::time[]`),
    /** At most this many posts in any rolling `rate_window`; NULL: the platform's default. */
    postsPerWindow: integer('posts_per_window'),
    rateWindow: interval('rate_window'),
    /** At least this long between two posts of the account; NULL: the platform's default. */
    minSpacing: interval('min_spacing'),
    ...timestamps,
  },
  (t) => [
    // The zone must be one PostgreSQL knows (timezone() raises otherwise), as claims and slots read it.
    check('account_publishing_settings_time_zone_valid', sql`timezone(${t.timeZone}, '2000-01-01 00:00:00+00'::timestamptz) IS NOT NULL`),
    check('account_publishing_settings_posts_per_window_positive', sql`${t.postsPerWindow} >= 1`),
    check('account_publishing_settings_rate_window_positive', sql`${t.rateWindow} > interval '0'`),
    check('account_publishing_settings_min_spacing_nonnegative', sql`${t.minSpacing} >= interval '0'`),
    check('account_publishing_settings_slots_valid', sql`array_position(${t.postingSlots}, NULL) IS NULL AND cardinality(${t.postingSlots}) <= 96`),
    index('idx_account_publishing_settings_workspace').on(t.workspaceId),
    workspaceRead('account_publishing_settings', t.workspaceId),
    ...workspaceWrite('account_publishing_settings', t.workspaceId, 'admin'),
    serviceRoleAll('account_publishing_settings'),
  ],
);

/**
 * One row per claim of a post (claim_due_posts writes it; complete, fail, lease expiry and
 * reconciliation close it). Rate limits are counted here: per account, attempts started in the
 * rolling window, whatever their outcome.
 */
export const postPublishAttempts = pgTable(
  'post_publish_attempts',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    postId: uuid('post_id')
      .notNull()
      .references(() => socialPosts.id, { onDelete: 'cascade' }),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    accountId: uuid('account_id').references(() => socialAccounts.id, { onDelete: 'set null' }),
    platformId: integer('platform_id')
      .notNull()
      .references(() => socialPlatforms.id),
    /** 1 for the first claim of the post, then 2, 3, ... (social_posts.publish_attempts at the claim). */
    attempt: integer('attempt').notNull(),
    worker: varchar('worker', { length: 100 }).notNull(),
    claimToken: uuid('claim_token').notNull(),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
    /** When the post was due at the claim (its scheduled time, or the retry's). */
    dueAt: timestamp('due_at', { withTimezone: true }).notNull(),
    /** How late after its scheduled time the post was claimed. */
    lateness: interval('lateness').notNull(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    outcome: varchar('outcome', { length: 20 }),
    error: text('error'),
    platformResponse: jsonb('platform_response'),
  },
  (t) => [
    unique('post_publish_attempts_claim_token_key').on(t.claimToken),
    unique('post_publish_attempts_post_attempt_key').on(t.postId, t.attempt),
    // The rate-limit count: an account's attempts of the last window, newest last.
    index('idx_post_publish_attempts_account_started').on(t.accountId, t.startedAt),
    index('idx_post_publish_attempts_workspace_started').on(t.workspaceId, t.startedAt.desc()),
    check('post_publish_attempts_outcome_valid', oneOf(t.outcome, PUBLISH_OUTCOMES)),
    check('post_publish_attempts_attempt_positive', sql`${t.attempt} >= 1`),
    check('post_publish_attempts_finished_with_outcome', sql`(${t.outcome} IS NULL) = (${t.finishedAt} IS NULL)`),
    workspaceRead('post_publish_attempts', t.workspaceId),
    serviceRoleAll('post_publish_attempts'),
  ],
);

export const selectAccountPublishingSettingsSchema = createSelectSchema(accountPublishingSettings);
export const selectPostPublishAttemptSchema = createSelectSchema(postPublishAttempts);

export type AccountPublishingSettings = typeof accountPublishingSettings.$inferSelect;
export type PostPublishAttempt = typeof postPublishAttempts.$inferSelect;
