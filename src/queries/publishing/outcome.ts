import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { queryRows, type Db } from '../../db.js';
import { parseInput, toDate, toDateOrNull } from '../_input.js';
import { msInterval, rethrowClaimError, rethrowStateError } from './_sql.js';

// Reporting what became of a claimed post: typed wrappers of complete_post_publish,
// fail_post_publish, extend_post_lease, mark_post_publish_unknown and reconcile_post_publish. Every
// one is refused with a StaleClaimError when the claim token is not the post's current claim.

const uuid = z.guid('must be a UUID');
const platformPostId = z.string().trim().min(1, 'must not be blank').max(100, 'at most 100 characters');
const response = z.record(z.string(), z.unknown()).optional();

export const completeParamsSchema = z.strictObject({
  postId: uuid,
  claimToken: uuid,
  platformPostId,
  url: z.url('must be a URL').optional(),
  /** When the platform published it; default now. */
  publishedAt: z.date().optional(),
  /** What the platform answered, kept on the attempt. */
  response,
});
export type CompleteParams = z.input<typeof completeParamsSchema>;

/** The post is `published` (SQL complete_post_publish); returns its published_at. */
export async function completePostPublish(db: Db, params: CompleteParams): Promise<Date> {
  const p = parseInput('completePostPublish', completeParamsSchema, params);
  try {
    const rows = await queryRows<{ at: unknown }>(
      db,
      sql`SELECT complete_post_publish(${p.postId}::uuid, ${p.claimToken}::uuid, ${p.platformPostId}::text, ${p.url ?? null}::text,
                                       ${p.publishedAt ? p.publishedAt.toISOString() : null}::timestamptz,
                                       ${p.response ? JSON.stringify(p.response) : null}::jsonb) AS at`,
    );
    return toDate(rows[0]!.at);
  } catch (err) {
    rethrowClaimError(err);
  }
}

/** Retry policy of failed attempts: exponential backoff with jitter, a cap, and a maximum number of attempts. */
export const retryPolicySchema = z.strictObject({
  /** Attempts in all, the first included (default 5); then `failed`. */
  maxAttempts: z.number().int('must be a whole number').min(1, 'must be at least 1').max(100, 'must be at most 100').default(5),
  /** The first retry waits between half of this and this (default 30 s); each further one twice as long. */
  baseMs: z.number().int().min(1, 'must be at least 1 ms').default(30_000),
  /** No retry waits longer (default 1 hour). */
  capMs: z.number().int().min(1, 'must be at least 1 ms').default(3_600_000),
});
export type RetryPolicy = z.input<typeof retryPolicySchema>;

export const failParamsSchema = z
  .strictObject({
    postId: uuid,
    claimToken: uuid,
    error: z.string().trim().min(1, 'say what went wrong'),
    /** false: the platform refused the post for good (bad media, policy); true: worth another try. */
    retryable: z.boolean(),
    /** The platform's Retry-After (a 429): the retry waits exactly this long (the attempt's outcome is `rate_limited`). */
    retryAfterMs: z.number().int().min(0, 'must not be negative').max(7 * 86_400_000, 'must be at most 7 days').optional(),
    response,
    retry: retryPolicySchema.default({ maxAttempts: 5, baseMs: 30_000, capMs: 3_600_000 }),
  })
  .superRefine((p, ctx) => {
    if (p.retry.capMs < p.retry.baseMs) ctx.addIssue({ code: 'custom', path: ['retry', 'capMs'], message: 'is shorter than baseMs' });
  });
export type FailParams = z.input<typeof failParamsSchema>;

export interface FailResult {
  /** `scheduled` (a retry is due at nextAttemptAt) or `failed`. */
  status: 'scheduled' | 'failed';
  nextAttemptAt: Date | null;
}

/** The attempt failed (SQL fail_post_publish): retried after a backoff or the platform's retry-after, or `failed`. */
export async function failPostPublish(db: Db, params: FailParams): Promise<FailResult> {
  const p = parseInput('failPostPublish', failParamsSchema, params);
  try {
    const rows = await queryRows<{ status: string; next_attempt_at: unknown }>(
      db,
      sql`SELECT status, next_attempt_at
          FROM fail_post_publish(${p.postId}::uuid, ${p.claimToken}::uuid, ${p.error}::text, ${p.retryable}::boolean,
                                 ${p.retryAfterMs === undefined ? sql`NULL::interval` : msInterval(p.retryAfterMs)},
                                 ${p.response ? JSON.stringify(p.response) : null}::jsonb, ${p.retry.maxAttempts}::int,
                                 ${msInterval(p.retry.baseMs)}, ${msInterval(p.retry.capMs)})`,
    );
    const r = rows[0]!;
    return { status: r.status as FailResult['status'], nextAttemptAt: toDateOrNull(r.next_attempt_at) };
  } catch (err) {
    rethrowClaimError(err);
  }
}

export const extendParamsSchema = z.strictObject({
  postId: uuid,
  claimToken: uuid,
  leaseMs: z.number().int().min(1000, 'must be at least 1000 ms').max(86_400_000, 'must be at most a day'),
});

/** Heartbeat: the lease runs `leaseMs` from now (SQL extend_post_lease); returns the new expiry. */
export async function extendPostLease(db: Db, params: z.input<typeof extendParamsSchema>): Promise<Date> {
  const p = parseInput('extendPostLease', extendParamsSchema, params);
  try {
    const rows = await queryRows<{ until: unknown }>(
      db,
      sql`SELECT extend_post_lease(${p.postId}::uuid, ${p.claimToken}::uuid, ${msInterval(p.leaseMs)}) AS until`,
    );
    return toDate(rows[0]!.until);
  } catch (err) {
    rethrowClaimError(err);
  }
}

export const unknownParamsSchema = z.strictObject({
  postId: uuid,
  claimToken: uuid,
  error: z.string().trim().min(1, 'say why the outcome is unknown'),
  response,
});

/** The worker cannot tell whether the platform published the post: it is `unknown` now (SQL mark_post_publish_unknown). */
export async function markPostPublishUnknown(db: Db, params: z.input<typeof unknownParamsSchema>): Promise<void> {
  const p = parseInput('markPostPublishUnknown', unknownParamsSchema, params);
  try {
    await db.execute(
      sql`SELECT mark_post_publish_unknown(${p.postId}::uuid, ${p.claimToken}::uuid, ${p.error}::text,
                                           ${p.response ? JSON.stringify(p.response) : null}::jsonb)`,
    );
  } catch (err) {
    rethrowClaimError(err);
  }
}

export const reconcileParamsSchema = z.discriminatedUnion('found', [
  z.strictObject({
    postId: uuid,
    /** The platform has the post (found by its id, or by its caption among the account's recent media). */
    found: z.literal(true),
    platformPostId,
    url: z.url('must be a URL').optional(),
    /** Default: when the unknown attempt started. */
    publishedAt: z.date().optional(),
  }),
  z.strictObject({
    postId: uuid,
    /** The platform does not have it: schedule it again. */
    found: z.literal(false),
    /** When it is due again; default now. Its max lateness still counts from its scheduled time. */
    retryAt: z.date().optional(),
  }),
]);
export type ReconcileParams = z.input<typeof reconcileParamsSchema>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * Settles a post whose outcome is `unknown` from what the app found on the platform (SQL
 * reconcile_post_publish): `published`, or back to `scheduled`. Returns the new status.
 */
export async function reconcilePublish(db: Db, params: ReconcileParams): Promise<'published' | 'scheduled'>;
/** `reconcilePublish(db, postId, { found, ... })`: the same, with the post first. */
export async function reconcilePublish(db: Db, postId: string, outcome: DistributiveOmit<ReconcileParams, 'postId'>): Promise<'published' | 'scheduled'>;
export async function reconcilePublish(
  db: Db,
  params: ReconcileParams | string,
  outcome?: DistributiveOmit<ReconcileParams, 'postId'>,
): Promise<'published' | 'scheduled'> {
  const input = typeof params === 'string' ? { ...outcome, postId: params } : params;
  const p = parseInput('reconcilePublish', reconcileParamsSchema, input);
  const found = p.found === true ? p : undefined;
  const retryAt = p.found === false ? p.retryAt : undefined;
  try {
    const rows = await queryRows<{ status: string }>(
      db,
      sql`SELECT reconcile_post_publish(${p.postId}::uuid, ${p.found}::boolean, ${found?.platformPostId ?? null}::text,
                                        ${found?.url ?? null}::text, ${found?.publishedAt?.toISOString() ?? null}::timestamptz,
                                        ${retryAt?.toISOString() ?? null}::timestamptz) AS status`,
    );
    return rows[0]!.status as 'published' | 'scheduled';
  } catch (err) {
    rethrowStateError(err);
  }
}
