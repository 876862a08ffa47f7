import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { queryRows, type Db } from '../../db.js';
import { InvalidInputError, parseInput, toDate } from '../_input.js';
import { msInterval, rethrowStateError } from './_sql.js';
import { instantToLocalTime, isTimeZone, localTimeToInstant } from './timezone.js';

// Scheduling: a local time and an IANA zone in, an instant stored (with the zone, for display). The
// state machine's rules (approval, which statuses may be scheduled) are the database's
// (social_posts_publish_state), so the Data API and this function obey the same ones.

const timeZone = z.string().refine(isTimeZone, { message: 'is not an IANA time zone (e.g. Europe/Berlin)' });

export const scheduleOptionsSchema = z
  .strictObject({
    /**
     * A local date and time (`2026-12-01T07:00`, read in `timeZone`), or a Date (an instant; `timeZone`
     * is then only stored for display).
     */
    at: z.union([z.string(), z.date()]),
    timeZone: timeZone.optional(),
    /** For a local time that happens twice (fall back): the earlier instant (default) or the later one. */
    fold: z.enum(['earlier', 'later']).default('earlier'),
    /** Submit for an admin's approval (`pending_approval`) instead of scheduling. */
    forApproval: z.boolean().default(false),
    /** How late the post may still go out (else `missed`); default the workspace's publish_max_lateness. */
    maxLatenessMs: z.number().int().min(60_000, 'must be at least a minute').max(7 * 86_400_000, 'must be at most 7 days').optional(),
    /** The clock (tests); a time before it is refused. Default now. */
    asOf: z.date().optional(),
  })
  .superRefine((o, ctx) => {
    if (typeof o.at === 'string' && !o.timeZone) {
      ctx.addIssue({ code: 'custom', path: ['timeZone'], message: 'is required with a local time (or pass `at` as a Date)' });
    }
  });
export type ScheduleOptions = z.input<typeof scheduleOptionsSchema>;

export interface ScheduledPost {
  postId: string;
  status: 'scheduled' | 'pending_approval';
  scheduledAt: Date;
  /** The zone it was scheduled in (null when given as an instant without one). */
  timeZone: string | null;
  /** `scheduledAt` on the wall clock of `timeZone` (UTC when none). */
  local: string;
}

/**
 * Schedules a post (draft, pending approval, failed, missed, or already scheduled: rescheduled) at
 * a local time in an IANA zone, e.g. `schedulePost(db, id, { at: '2026-12-01T07:00', timeZone:
 * 'Europe/Berlin' })`. A local time the zone skips (spring forward) is refused naming `at`; one it
 * repeats (fall back) is the earlier instant unless `fold: 'later'`. A time before `asOf` (now) is
 * refused. `forApproval` submits it instead (`pending_approval`; an admin's `approvePost` schedules
 * it). Through the Data API's roles, the database refuses what the caller may not do (a
 * PublishStateError): scheduling where the workspace requires approval, unless an admin.
 */
export async function schedulePost(db: Db, postId: string, options: ScheduleOptions): Promise<ScheduledPost> {
  const fn = 'schedulePost';
  const id = parseInput(fn, z.guid('must be a UUID'), postId);
  const o = parseInput(fn, scheduleOptionsSchema, options);
  const instant = typeof o.at === 'string' ? localTimeToInstant(o.at, o.timeZone!, { fold: o.fold, fn }) : o.at;
  const now = o.asOf ?? new Date();
  if (instant.getTime() < now.getTime()) {
    throw new InvalidInputError(fn, [{ field: 'at', reason: `${instant.toISOString()} is in the past (now ${now.toISOString()})` }]);
  }
  const status = o.forApproval ? 'pending_approval' : 'scheduled';
  try {
    const rows = await queryRows<{ status: string; scheduled_at: unknown }>(
      db,
      sql`UPDATE social_posts
          SET status = ${status}, scheduled_at = ${instant.toISOString()}::timestamptz, scheduled_time_zone = ${o.timeZone ?? null},
              max_lateness = ${o.maxLatenessMs === undefined ? sql`max_lateness` : msInterval(o.maxLatenessMs)}
          WHERE id = ${id}::uuid
          RETURNING status, scheduled_at`,
    );
    if (rows.length === 0) throw new InvalidInputError(fn, [{ field: 'postId', reason: `no post ${id}` }]);
    const scheduledAt = toDate(rows[0]!.scheduled_at);
    return {
      postId: id,
      status: rows[0]!.status as ScheduledPost['status'],
      scheduledAt,
      timeZone: o.timeZone ?? null,
      local: instantToLocalTime(scheduledAt, o.timeZone ?? 'UTC', fn),
    };
  } catch (err) {
    if (err instanceof InvalidInputError) throw err;
    rethrowStateError(err);
  }
}

/**
 * An admin approves a post submitted for approval: `pending_approval` becomes `scheduled` at the time
 * it was submitted for. The database refuses it for a signed-in user who is not an admin of the
 * post's workspace where approval is required.
 */
export async function approvePost(db: Db, postId: string): Promise<{ postId: string; scheduledAt: Date }> {
  const fn = 'approvePost';
  const id = parseInput(fn, z.guid('must be a UUID'), postId);
  try {
    const rows = await queryRows<{ status: string; scheduled_at: unknown }>(
      db,
      sql`UPDATE social_posts SET status = 'scheduled'
          WHERE id = ${id}::uuid AND status = 'pending_approval'
          RETURNING status, scheduled_at`,
    );
    if (rows.length === 0) {
      const [post] = await queryRows<{ status: string }>(db, sql`SELECT status FROM social_posts WHERE id = ${id}::uuid`);
      throw new InvalidInputError(fn, [
        { field: 'postId', reason: post ? `post ${id} is ${post.status}, not pending_approval` : `no post ${id}` },
      ]);
    }
    return { postId: id, scheduledAt: toDate(rows[0]!.scheduled_at) };
  } catch (err) {
    if (err instanceof InvalidInputError) throw err;
    rethrowStateError(err);
  }
}

const localTimeOfDay = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a local time of day HH:mm');

export const accountPublishingSettingsSchema = z.strictObject({
  /** IANA zone the posting slots are read in (default UTC). */
  timeZone: timeZone.default('UTC'),
  /** Local times of day (`07:00`, `18:30`) at which the account posts; at most 96. */
  postingSlots: z.array(localTimeOfDay).max(96, 'at most 96 slots').default([]),
  /** Overrides of the platform's rate limits (social_platforms.rate_limits); null: the platform's. */
  postsPerWindow: z.number().int().min(1, 'must be at least 1').nullable().default(null),
  rateWindowMs: z.number().int().min(1000, 'must be at least 1000 ms').nullable().default(null),
  minSpacingMs: z.number().int().min(0, 'must not be negative').nullable().default(null),
});
export type AccountPublishingSettingsInput = z.input<typeof accountPublishingSettingsSchema>;

/** Writes an account's publishing settings (time zone, posting slots, limit overrides), replacing what was there. */
export async function setAccountPublishingSettings(db: Db, accountId: string, settings: AccountPublishingSettingsInput): Promise<void> {
  const fn = 'setAccountPublishingSettings';
  const id = parseInput(fn, z.guid('must be a UUID'), accountId);
  const s = parseInput(fn, accountPublishingSettingsSchema, settings);
  const slots = [...new Set(s.postingSlots)].sort();
  const [account] = await queryRows(db, sql`SELECT 1 AS one FROM social_accounts WHERE id = ${id}::uuid`);
  if (!account) throw new InvalidInputError(fn, [{ field: 'accountId', reason: `no account ${id}` }]);
  await db.execute(sql`
    INSERT INTO account_publishing_settings (account_id, workspace_id, time_zone, posting_slots, posts_per_window, rate_window, min_spacing)
    SELECT a.id, a.workspace_id, ${s.timeZone}, ${`{${slots.join(',')}}`}::time[], ${s.postsPerWindow}::int,
           ${s.rateWindowMs === null ? sql`NULL::interval` : msInterval(s.rateWindowMs)},
           ${s.minSpacingMs === null ? sql`NULL::interval` : msInterval(s.minSpacingMs)}
    FROM social_accounts a WHERE a.id = ${id}::uuid
    ON CONFLICT (account_id) DO UPDATE
    SET time_zone = EXCLUDED.time_zone, posting_slots = EXCLUDED.posting_slots, posts_per_window = EXCLUDED.posts_per_window,
        rate_window = EXCLUDED.rate_window, min_spacing = EXCLUDED.min_spacing`);
}
