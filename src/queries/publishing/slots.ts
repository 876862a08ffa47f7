import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { queryRows, type Db } from '../../db.js';
import { InvalidInputError, num, numOrNull, parseInput, toDate } from '../_input.js';
import { intervalMs } from './_sql.js';
import { instantToLocalTime, resolveLocalTime } from './timezone.js';

// nextPostingSlot: the next free posting slot of an account, preferring the local hours at which the
// account's own posts did best. Slots are local times of day in the account's zone
// (account_publishing_settings), so "07:00" stays 07:00 across DST changes.

export const nextSlotOptionsSchema = z.strictObject({
  /** The clock (tests); default now. Only slots after it are proposed. */
  asOf: z.date().optional(),
  /** How far ahead to look, in days (default 14). */
  horizonDays: z.number().int().min(1, 'must be at least 1').max(90, 'must be at most 90').default(14),
  /**
   * A slot is taken when another post of the account is scheduled (or published) closer to it than
   * this, or than the account's minimum spacing when longer. Default 30 minutes.
   */
  minGapMs: z.number().int().min(0, 'must not be negative').default(30 * 60_000),
  /** Posting history that ranks the hours, in days before `asOf` (default 90). */
  historyDays: z.number().int().min(1).max(3650).default(90),
});
export type NextSlotOptions = z.input<typeof nextSlotOptionsSchema>;

export interface PostingSlot {
  at: Date;
  /** The slot on the account's wall clock, `YYYY-MM-DDTHH:mm:ss`. */
  local: string;
  timeZone: string;
  /** Mean engagement rate of the account's posts published in that local hour; null without data. */
  hourEngagementRate: number | null;
  /** Posts behind `hourEngagementRate`. */
  hourPosts: number;
  /** `best_hour`: the best-scoring free slot of the next day of slots; `earliest`: no history to rank by. */
  basis: 'best_hour' | 'earliest';
}

/** Hours with fewer posts than this do not rank: one lucky post is not a pattern. */
const MIN_POSTS_PER_HOUR = 3;

/**
 * The next free posting slot of the account: among its free slots within a day of the first free one,
 * the one whose local hour has the best mean engagement rate in the account's own history (hours
 * with at least 3 posts), else the earliest. Without configured slots, the account's three best
 * hours (on the hour) are its slots. A slot the zone skips (spring forward) is left out; a repeated
 * one (fall back) is its earlier instant. Null when there is no slot in the horizon (or none at all).
 */
export async function nextPostingSlot(db: Db, accountId: string, options: NextSlotOptions = {}): Promise<PostingSlot | null> {
  const fn = 'nextPostingSlot';
  const id = parseInput(fn, z.guid('must be a UUID'), accountId);
  const o = parseInput(fn, nextSlotOptionsSchema, options);
  const asOf = o.asOf ?? new Date();
  const [account] = await queryRows<{ time_zone: string; slots: string[] | string; spacing: unknown; rate_limits: unknown }>(
    db,
    sql`SELECT coalesce(s.time_zone, 'UTC') AS time_zone, coalesce(s.posting_slots, '{}')::text[] AS slots,
               s.min_spacing::text AS spacing, pl.rate_limits
        FROM social_accounts a
        JOIN social_platforms pl ON pl.id = a.platform_id
        LEFT JOIN account_publishing_settings s ON s.account_id = a.id
        WHERE a.id = ${id}::uuid`,
  );
  if (!account) throw new InvalidInputError(fn, [{ field: 'accountId', reason: `no account ${id}` }]);
  const zone = account.time_zone;
  const spacingMs = account.spacing === null ? platformSpacingMs(account.rate_limits) : intervalMs(account.spacing);
  const gapMs = Math.max(o.minGapMs, spacingMs);

  const hours = await queryRows<{ hour: unknown; rate: unknown; posts: unknown }>(
    db,
    sql`SELECT extract(hour FROM p.published_at AT TIME ZONE ${zone}::text)::int AS hour, avg(l.engagement_rate) AS rate, count(*)::int AS posts
        FROM social_posts p JOIN post_latest_analytics l ON l.post_id = p.id
        WHERE p.account_id = ${id}::uuid AND p.status = 'published' AND l.engagement_rate IS NOT NULL
          AND p.published_at >= ${asOf.toISOString()}::timestamptz - make_interval(days => ${o.historyDays}::int)
          AND p.published_at < ${asOf.toISOString()}::timestamptz
        GROUP BY 1`,
  );
  const byHour = new Map(hours.map((h) => [num(h.hour), { rate: numOrNull(h.rate), posts: num(h.posts) }]));
  const ranked = [...byHour.entries()].filter(([, v]) => v.posts >= MIN_POSTS_PER_HOUR && v.rate !== null);

  let slots = (Array.isArray(account.slots) ? account.slots : parsePgArray(account.slots)).map((s) => s.slice(0, 5));
  if (slots.length === 0) {
    slots = ranked
      .sort((a, b) => b[1].rate! - a[1].rate! || a[0] - b[0])
      .slice(0, 3)
      .map(([h]) => `${String(h).padStart(2, '0')}:00`);
  }
  if (slots.length === 0) return null;

  const horizonEnd = asOf.getTime() + o.horizonDays * 86_400_000;
  const booked = (
    await queryRows<{ at: unknown }>(
      db,
      sql`SELECT coalesce(scheduled_at, published_at) AS at FROM social_posts
          WHERE account_id = ${id}::uuid AND status IN ('pending_approval', 'scheduled', 'publishing', 'unknown', 'published')
            AND coalesce(scheduled_at, published_at) BETWEEN ${new Date(asOf.getTime() - gapMs).toISOString()}::timestamptz
                                                         AND ${new Date(horizonEnd + gapMs).toISOString()}::timestamptz`,
    )
  ).map((r) => toDate(r.at).getTime());

  const free: Date[] = [];
  const firstDay = instantToLocalTime(asOf, zone, fn).slice(0, 10);
  for (let d = 0; d <= o.horizonDays + 1; d++) {
    const day = new Date(Date.parse(`${firstDay}T00:00:00Z`) + d * 86_400_000).toISOString().slice(0, 10);
    for (const slot of [...slots].sort()) {
      const r = resolveLocalTime(`${day}T${slot}`, zone, fn);
      if (r.kind === 'gap') continue;
      const t = r.instants[0]!.getTime();
      if (t <= asOf.getTime() || t > horizonEnd) continue;
      if (booked.some((b) => Math.abs(b - t) < gapMs)) continue;
      free.push(r.instants[0]!);
    }
  }
  if (free.length === 0) return null;
  free.sort((a, b) => a.getTime() - b.getTime());

  const scoreOf = (at: Date) => {
    const h = byHour.get(Number(instantToLocalTime(at, zone, fn).slice(11, 13)));
    return h && h.posts >= MIN_POSTS_PER_HOUR ? h.rate : null;
  };
  const day = free.filter((f) => f.getTime() < free[0]!.getTime() + 86_400_000);
  let best = day[0]!;
  for (const f of day) {
    const s = scoreOf(f);
    const b = scoreOf(best);
    if (s !== null && (b === null || s > b)) best = f;
  }
  const h = byHour.get(Number(instantToLocalTime(best, zone, fn).slice(11, 13)));
  return {
    at: best,
    local: instantToLocalTime(best, zone, fn),
    timeZone: zone,
    hourEngagementRate: h?.rate ?? null,
    hourPosts: h?.posts ?? 0,
    basis: scoreOf(best) !== null ? 'best_hour' : 'earliest',
  };
}

/** `{07:00:00,18:30:00}` as text (PGlite may hand a time[] over as text). */
function parsePgArray(v: string): string[] {
  const inner = v.replace(/^\{|\}$/g, '');
  return inner === '' ? [] : inner.split(',').map((s) => s.replace(/"/g, ''));
}

/** The platform's default spacing from its rate_limits, under the names platform_publish_limits (SQL) reads. */
function platformSpacingMs(rateLimits: unknown): number {
  const r = rateLimits && typeof rateLimits === 'object' ? (rateLimits as Record<string, unknown>) : {};
  const n = (v: unknown) => (v === undefined || v === null || Number.isNaN(Number(v)) ? undefined : Number(v));
  const seconds = n(r.min_spacing_seconds) ?? n(r.min_interval_seconds) ?? (n(r.min_spacing_minutes) ?? 0) * 60;
  return seconds * 1000;
}
