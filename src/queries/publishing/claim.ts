import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { queryRows, type Db } from '../../db.js';
import { num, parseInput, toDate } from '../_input.js';
import { intervalMs, msInterval } from './_sql.js';

// Claiming due posts: typed wrapper of SQL claim_due_posts (docs/publishing.md). Workers call this
// in a loop (runPublishWorker does); the SQL function decides who gets what, so workers written in
// other languages (Supabase RPC with the service key) get the same guarantees.

const leaseMs = z
  .number()
  .int('must be a whole number of milliseconds')
  .min(1000, 'must be at least 1000 ms')
  .max(86_400_000, 'must be at most a day (86400000 ms)');

export const claimOptionsSchema = z
  .strictObject({
    /** Who claims: written on the post and its attempt (host name, process id...). */
    worker: z.string().trim().min(1, 'must not be blank').max(100, 'at most 100 characters'),
    maxPosts: z.number().int('must be a whole number').min(1, 'must be at least 1').max(1000, 'must be at most 1000').default(10),
    /** How long the claim holds without a heartbeat, in milliseconds (default 5 minutes). */
    leaseMs: leaseMs.optional(),
    /** The same as `leaseMs` (the SQL function's name for it). */
    lease: leaseMs.optional(),
    /** Replaces the clock (tests); default the database's clock. */
    asOf: z.date().optional(),
  })
  .superRefine((o, ctx) => {
    if (o.lease !== undefined && o.leaseMs !== undefined && o.lease !== o.leaseMs) {
      ctx.addIssue({ code: 'custom', path: ['lease'], message: 'give leaseMs or lease, not two different values' });
    }
  });
export type ClaimOptions = z.input<typeof claimOptionsSchema>;

/** A post handed to one worker: what publishing needs, and the claim to report the outcome under. */
export interface ClaimedPost {
  postId: string;
  claimToken: string;
  /** 1 on the first claim, 2 on the first retry, ... */
  attempt: number;
  leaseExpiresAt: Date;
  workspaceId: string;
  /** Null for a post without an account (no account limit applies; the app routes it). */
  accountId: string | null;
  /** The account's id on the platform. */
  platformAccountId: string | null;
  platform: string;
  scheduledAt: Date;
  /** When it was due: its scheduled time, or the time its retry was due. */
  dueAt: Date;
  /** How late after its scheduled time it was claimed, in milliseconds. */
  latenessMs: number;
  mediaType: string;
  title: string | null;
  caption: string | null;
  hashtags: string[];
  mentions: string[];
  mediaUrls: string[];
  thumbnailUrl: string | null;
  platformMetadata: Record<string, unknown> | null;
}

const textArray = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

/**
 * Claims up to `maxPosts` due posts for `worker` (SQL claim_due_posts): each becomes `publishing`
 * under a fresh claim token with a lease of `leaseMs`. Posts too late become `missed`, posts over an
 * account's limit wait (publish_wait_reason), and neither is returned. Call it outside any
 * transaction of your own, or in a READ COMMITTED one that commits promptly.
 */
export async function claimDuePosts(db: Db, options: ClaimOptions): Promise<ClaimedPost[]>;
/** The SQL function's order: `claimDuePosts(db, worker, maxPosts, leaseMs)`. */
export async function claimDuePosts(db: Db, worker: string, maxPosts?: number, leaseMs?: number): Promise<ClaimedPost[]>;
export async function claimDuePosts(db: Db, options: ClaimOptions | string, maxPosts?: number, lease?: number): Promise<ClaimedPost[]> {
  const input: ClaimOptions =
    typeof options === 'string'
      ? { worker: options, ...(maxPosts === undefined ? {} : { maxPosts }), ...(lease === undefined ? {} : { leaseMs: lease }) }
      : options;
  const parsed = parseInput('claimDuePosts', claimOptionsSchema, input);
  const o = { ...parsed, leaseMs: parsed.leaseMs ?? parsed.lease ?? 300_000 };
  const asOf = o.asOf ? sql`${o.asOf.toISOString()}::timestamptz` : sql`NULL::timestamptz`;
  const rows = await queryRows(
    db,
    sql`SELECT post_id::text, claim_token::text, attempt, lease_expires_at, workspace_id::text, account_id::text,
               platform_account_id, platform, scheduled_at, due_at, lateness::text AS lateness, media_type, title, caption,
               hashtags, mentions, media_urls, thumbnail_url, platform_metadata
        FROM claim_due_posts(${o.worker}::text, ${o.maxPosts}::int, ${msInterval(o.leaseMs)}, ${asOf})`,
  );
  return rows.map((r) => ({
    postId: String(r.post_id),
    claimToken: String(r.claim_token),
    attempt: num(r.attempt),
    leaseExpiresAt: toDate(r.lease_expires_at),
    workspaceId: String(r.workspace_id),
    accountId: r.account_id === null ? null : String(r.account_id),
    platformAccountId: r.platform_account_id === null ? null : String(r.platform_account_id),
    platform: String(r.platform),
    scheduledAt: toDate(r.scheduled_at),
    dueAt: toDate(r.due_at),
    latenessMs: intervalMs(r.lateness),
    mediaType: String(r.media_type),
    title: (r.title as string | null) ?? null,
    caption: (r.caption as string | null) ?? null,
    hashtags: textArray(r.hashtags),
    mentions: textArray(r.mentions),
    mediaUrls: textArray(r.media_urls),
    thumbnailUrl: (r.thumbnail_url as string | null) ?? null,
    platformMetadata: (r.platform_metadata as Record<string, unknown> | null) ?? null,
  }));
}

export const expireOptionsSchema = z.strictObject({
  asOf: z.date().optional(),
  /** At most this many posts per call (default: all). */
  maxRows: z.number().int().min(1, 'must be at least 1').optional(),
});

/**
 * Posts left `publishing` past their lease become `unknown` (SQL expire_post_publish_leases);
 * returns how many. Maintenance and every claim do this too.
 */
export async function expirePublishLeases(db: Db, options: z.input<typeof expireOptionsSchema> = {}): Promise<number> {
  const o = parseInput('expirePublishLeases', expireOptionsSchema, options);
  const rows = await queryRows<{ n: unknown }>(
    db,
    sql`SELECT expire_post_publish_leases(${o.asOf ? o.asOf.toISOString() : null}::timestamptz, ${o.maxRows ?? null}::int) AS n`,
  );
  return num(rows[0]!.n);
}

export const asOfOptionsSchema = z.strictObject({ asOf: z.date().optional() });

/**
 * Due scheduled posts later than their max lateness become `missed` (SQL mark_missed_posts); returns
 * how many. Maintenance and every claim do this too.
 */
export async function markMissedPosts(db: Db, options: z.input<typeof asOfOptionsSchema> = {}): Promise<number> {
  const o = parseInput('markMissedPosts', asOfOptionsSchema, options);
  const rows = await queryRows<{ n: unknown }>(db, sql`SELECT mark_missed_posts(${o.asOf ? o.asOf.toISOString() : null}::timestamptz) AS n`);
  return num(rows[0]!.n);
}
