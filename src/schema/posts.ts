import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  index,
  integer,
  interval,
  jsonb,
  pgTable,
  text,
  timestamp,
  unique,
  uuid,
  varchar,
} from 'drizzle-orm/pg-core';
import { authUsers } from 'drizzle-orm/supabase';
import { createInsertSchema, createSelectSchema, createUpdateSchema } from 'drizzle-zod';
import { z } from 'zod';
import { fromTrigger, oneOf, timestamps } from './_common.js';
import { authoredBySelf, serviceRoleAll, workspaceRead, workspaceWrite } from './_rls.js';
import { socialPlatforms } from './platforms.js';
import { socialAccounts } from './accounts.js';
import { contentTemplates } from './templates.js';
import { workspaces } from './workspaces.js';

/**
 * The publishing state machine (docs/publishing.md), enforced by the trigger social_posts_publish_state:
 * draft -> pending_approval -> scheduled -> publishing -> published; publishing -> failed | scheduled
 * (retry) | unknown; unknown -> published | scheduled (reconciled); scheduled -> missed (too late).
 */
export const POST_STATUSES = ['draft', 'pending_approval', 'scheduled', 'publishing', 'published', 'failed', 'unknown', 'missed'] as const;
export const MEDIA_TYPES = ['image', 'video', 'carousel', 'story', 'reel'] as const;
export const CONTENT_CATEGORIES = [
  'workout',
  'nutrition',
  'motivation',
  'transformation',
  'education',
  'lifestyle',
  'community',
  'promotion',
] as const;
export const TARGET_AUDIENCES = ['beginners', 'intermediate', 'advanced', 'general'] as const;
export const CONTENT_GOALS = ['engagement', 'traffic', 'conversions', 'awareness', 'community'] as const;

export type PostStatus = (typeof POST_STATUSES)[number];
export type MediaType = (typeof MEDIA_TYPES)[number];
export type ContentCategory = (typeof CONTENT_CATEGORIES)[number];

export const socialPosts = pgTable(
  'social_posts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /**
     * The brand it belongs to. Its account and template are of the same workspace (trigger
     * social_posts_workspace, which also fills it from the account or template when not given).
     */
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' })
      .$defaultFn(fromTrigger),
    /**
     * Author; NULL once their user is deleted: the brand's rows outlive the staff who made them
     * (deleting a user used to delete everything they had written).
     */
    userId: uuid('user_id').references(() => authUsers.id, { onDelete: 'set null' }),
    platformId: integer('platform_id')
      .notNull()
      .references(() => socialPlatforms.id),
    accountId: uuid('account_id').references(() => socialAccounts.id, { onDelete: 'set null' }),
    templateId: uuid('template_id').references(() => contentTemplates.id, { onDelete: 'set null' }),

    title: varchar('title', { length: 255 }),
    caption: text('caption'),
    /** Without '#': a trigger strips it, and a CHECK refuses what is left. */
    hashtags: text('hashtags').array().notNull().default(sql`'{}'::text[]`),
    mentions: text('mentions').array().notNull().default(sql`'{}'::text[]`),

    mediaType: varchar('media_type', { length: 20 }).notNull(),
    mediaUrls: text('media_urls').array().notNull().default(sql`'{}'::text[]`),
    thumbnailUrl: text('thumbnail_url'),

    platformPostId: varchar('platform_post_id', { length: 100 }),
    platformUrl: text('platform_url'),
    platformMetadata: jsonb('platform_metadata').$type<Record<string, unknown>>(),

    status: varchar('status', { length: 20 }).notNull().default('draft'),
    scheduledAt: timestamp('scheduled_at', { withTimezone: true }),
    publishedAt: timestamp('published_at', { withTimezone: true }),
    publishAttempts: integer('publish_attempts').notNull().default(0),
    lastError: text('last_error'),
    /** The IANA zone the post was scheduled in (schedulePost), for showing its local time again. */
    scheduledTimeZone: varchar('scheduled_time_zone', { length: 64 }),
    /** How late it may still go out, else `missed`; NULL: the workspace's publish_max_lateness. */
    maxLateness: interval('max_lateness'),
    /**
     * When a claim may take it (scheduled only): scheduled_at, a retry's time, or when its account's
     * limit allows. Kept by the publishing functions and the state trigger.
     */
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }),
    /** Why a due post still waits (an account's rate limit or spacing); NULL otherwise. */
    publishWaitReason: text('publish_wait_reason'),
    // The current claim (publishing, or unknown after its lease ran out): written by claim_due_posts only.
    claimToken: uuid('claim_token'),
    claimedBy: varchar('claimed_by', { length: 100 }),
    leaseExpiresAt: timestamp('lease_expires_at', { withTimezone: true }),

    contentCategory: varchar('content_category', { length: 50 }),
    targetAudience: varchar('target_audience', { length: 50 }),
    contentGoals: text('content_goals').array().notNull().default(sql`'{}'::text[]`),

    aiGenerated: boolean('ai_generated').notNull().default(false),
    aiPrompt: text('ai_prompt'),
    aiModel: varchar('ai_model', { length: 50 }),

    ...timestamps,
  },
  (t) => [
    // Webhooks name posts by the platform's id: this is how an event finds its post.
    unique('social_posts_platform_post_key').on(t.platformId, t.platformPostId),
    // A workspace's posts per platform, newest first; also what RLS's workspace filter uses.
    index('idx_posts_workspace_platform_date').on(t.workspaceId, t.platformId, t.publishedAt.desc()),
    // An author's posts; ON DELETE CASCADE from auth.users.
    index('idx_posts_user_platform_date').on(t.userId, t.platformId, t.publishedAt.desc()),
    // Dashboards read published posts of a time window, optionally of one category.
    index('idx_published_posts')
      .on(t.publishedAt.desc())
      .where(sql`${t.status} = 'published'`),
    index('idx_published_posts_category')
      .on(t.contentCategory, t.publishedAt.desc())
      .where(sql`${t.status} = 'published'`),
    // The publishing queue: a claim reads due scheduled posts only, in due order.
    index('idx_social_posts_due')
      .on(t.nextAttemptAt, t.id)
      .where(sql`${t.status} = 'scheduled'`),
    // Leases that ran out (claims and maintenance turn them unknown).
    index('idx_social_posts_leases')
      .on(t.leaseExpiresAt)
      .where(sql`${t.status} = 'publishing'`),
    // The queue's health per workspace (getPublishingQueue): only the statuses that need attention.
    index('idx_social_posts_workspace_queue')
      .on(t.workspaceId, t.status)
      .where(sql`${t.status} IN ('pending_approval', 'scheduled', 'publishing', 'unknown', 'failed', 'missed')`),
    // nextPostingSlot: an account's booked times.
    index('idx_social_posts_account_scheduled')
      .on(t.accountId, t.scheduledAt)
      .where(sql`${t.accountId} IS NOT NULL`),
    check('social_posts_status_valid', oneOf(t.status, POST_STATUSES)),
    check('social_posts_media_type_valid', oneOf(t.mediaType, MEDIA_TYPES)),
    check('social_posts_content_category_valid', oneOf(t.contentCategory, CONTENT_CATEGORIES)),
    check('social_posts_target_audience_valid', oneOf(t.targetAudience, TARGET_AUDIENCES)),
    check(
      'social_posts_content_goals_valid',
      sql`${t.contentGoals} <@ ARRAY[${sql.raw(CONTENT_GOALS.map((g) => `'${g}'`).join(', '))}]::text[]`,
    ),
    check('social_posts_published_has_published_at', sql`${t.status} <> 'published' OR ${t.publishedAt} IS NOT NULL`),
    check('social_posts_scheduled_has_scheduled_at', sql`${t.status} <> 'scheduled' OR ${t.scheduledAt} IS NOT NULL`),
    check('social_posts_publish_attempts_nonnegative', sql`${t.publishAttempts} >= 0`),
    check('social_posts_scheduled_next_attempt_set', sql`${t.status} <> 'scheduled' OR ${t.nextAttemptAt} IS NOT NULL`),
    check(
      'social_posts_claim_while_publishing',
      sql`${t.status} NOT IN ('publishing', 'unknown') OR (${t.claimToken} IS NOT NULL AND ${t.claimedBy} IS NOT NULL AND ${t.leaseExpiresAt} IS NOT NULL)`,
    ),
    check('social_posts_max_lateness_positive', sql`${t.maxLateness} > interval '0'`),
    check(
      'social_posts_hashtags_format',
      sql`array_position(${t.hashtags}, NULL) IS NULL AND array_to_string(${t.hashtags}, '|') !~ '[#[:space:]]' AND array_position(${t.hashtags}, '') IS NULL`,
    ),
    workspaceRead('social_posts', t.workspaceId),
    ...workspaceWrite('social_posts', t.workspaceId, 'editor', authoredBySelf(t.userId)),
    serviceRoleAll('social_posts'),
  ],
);

const hashtag = z
  .string()
  .transform((s) => s.trim().replace(/^#+/, ''))
  .pipe(z.string().min(1, 'empty hashtag').regex(/^[^#\s]+$/, 'a hashtag is one word without #'));

// Columns with a database default stay optional on insert.
const postRefinements = {
  status: z.enum(POST_STATUSES).optional(),
  mediaType: z.enum(MEDIA_TYPES),
  contentCategory: z.enum(CONTENT_CATEGORIES).nullish(),
  targetAudience: z.enum(TARGET_AUDIENCES).nullish(),
  contentGoals: z.array(z.enum(CONTENT_GOALS)).optional(),
  hashtags: z.array(hashtag).optional(),
  publishAttempts: (s: z.ZodNumber) => s.int().nonnegative(),
};

function statusNeedsTimestamps(
  p: { status?: string | null; publishedAt?: Date | null; scheduledAt?: Date | null },
  ctx: z.RefinementCtx,
) {
  if (p.status === 'published' && !p.publishedAt) {
    ctx.addIssue({ code: 'custom', path: ['publishedAt'], message: 'a published post needs published_at' });
  }
  if (p.status === 'scheduled' && !p.scheduledAt) {
    ctx.addIssue({ code: 'custom', path: ['scheduledAt'], message: 'a scheduled post needs scheduled_at' });
  }
}

export const selectPostSchema = createSelectSchema(socialPosts);
/** Platform limits (caption length, hashtag count) live in the database and are enforced there. */
export const insertPostSchema = createInsertSchema(socialPosts, postRefinements).superRefine(statusNeedsTimestamps);
export const updatePostSchema = createUpdateSchema(socialPosts, {
  ...postRefinements,
  mediaType: z.enum(MEDIA_TYPES).optional(),
}).superRefine(statusNeedsTimestamps);

export type SocialPost = typeof socialPosts.$inferSelect;
export type NewSocialPost = typeof socialPosts.$inferInsert;
