import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { queryRows, type Db } from '../../db.js';
import { num, parseInput, toDateOrNull } from '../_input.js';
import { intervalMs } from './_sql.js';

// getPublishingQueue: what the publishing queue looks like per platform (SQL get_publishing_queue,
// which the app may also call through the Data API; RLS limits it to the caller's workspaces).

export interface PublishingQueuePlatform {
  platform: string;
  pendingApproval: number;
  scheduled: number;
  /** Scheduled and due now: the queue's depth. */
  due: number;
  oldestDueAt: Date | null;
  /** How long the oldest due post has waited, in milliseconds (0 when none is due). */
  oldestDueLagMs: number;
  /** Held back by an account's rate limit (publish_wait_reason says why). */
  waitingOnLimit: number;
  publishing: number;
  /** Publishing past the lease: the next claim or maintenance makes them unknown. */
  expiredLeases: number;
  unknown: number;
  failed: number;
  missed: number;
}

export interface PublishingQueue {
  platforms: PublishingQueuePlatform[];
  totals: Omit<PublishingQueuePlatform, 'platform' | 'oldestDueAt'> & { oldestDueAt: Date | null };
}

const queueParamsSchema = z.strictObject({
  /** The clock (tests); default now. */
  asOf: z.date().optional(),
});

/**
 * The publishing queue of a workspace (`null`: every workspace the connection may read), per
 * platform and in total: depth, the oldest due post's lag, posts waiting on a limit, expired leases,
 * unknown, failed and missed posts.
 */
export async function getPublishingQueue(db: Db, workspaceId: string | null, params: z.input<typeof queueParamsSchema> = {}): Promise<PublishingQueue> {
  const fn = 'getPublishingQueue';
  const ws = parseInput(fn, z.guid('must be a UUID').nullable(), workspaceId);
  const p = parseInput(fn, queueParamsSchema, params);
  const rows = await queryRows(
    db,
    sql`SELECT platform, pending_approval, scheduled, due, oldest_due_at, oldest_due_lag::text AS oldest_due_lag, waiting_on_limit,
               publishing, expired_leases, unknown, failed, missed
        FROM get_publishing_queue(${ws}::uuid, ${p.asOf ? p.asOf.toISOString() : null}::timestamptz)`,
  );
  const platforms = rows.map((r) => ({
    platform: String(r.platform),
    pendingApproval: num(r.pending_approval),
    scheduled: num(r.scheduled),
    due: num(r.due),
    oldestDueAt: toDateOrNull(r.oldest_due_at),
    oldestDueLagMs: intervalMs(r.oldest_due_lag),
    waitingOnLimit: num(r.waiting_on_limit),
    publishing: num(r.publishing),
    expiredLeases: num(r.expired_leases),
    unknown: num(r.unknown),
    failed: num(r.failed),
    missed: num(r.missed),
  }));
  const sum = (k: keyof Omit<PublishingQueuePlatform, 'platform' | 'oldestDueAt'>) =>
    k === 'oldestDueLagMs' ? Math.max(0, ...platforms.map((x) => x[k])) : platforms.reduce((s, x) => s + x[k], 0);
  const oldest = platforms.map((x) => x.oldestDueAt).filter((d): d is Date => d !== null).sort((a, b) => a.getTime() - b.getTime())[0];
  return {
    platforms,
    totals: {
      pendingApproval: sum('pendingApproval'),
      scheduled: sum('scheduled'),
      due: sum('due'),
      oldestDueAt: oldest ?? null,
      oldestDueLagMs: sum('oldestDueLagMs'),
      waitingOnLimit: sum('waitingOnLimit'),
      publishing: sum('publishing'),
      expiredLeases: sum('expiredLeases'),
      unknown: sum('unknown'),
      failed: sum('failed'),
      missed: sum('missed'),
    },
  };
}
