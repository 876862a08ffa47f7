import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../db.js';
import { getPublishingQueue } from '../queries/publishing/queue.js';
import type { DoctorCheck } from './doctor.js';

/** A due post waiting longer than this means no worker is claiming. */
export const PUBLISHING_LAG_LIMIT_MS = 15 * 60_000;

/**
 * `social-db doctor`, check "publishing queue" (docs/publishing.md): fails on posts publishing past
 * their lease (stuck) and on a due post waiting over 15 minutes (no worker running); warns on posts
 * whose outcome is unknown (to reconcile). Failed and missed posts are reported, not judged.
 */
export async function checkPublishingQueue(db: Db): Promise<DoctorCheck> {
  const name = 'publishing queue';
  const [fn] = await queryRows<{ ok: boolean }>(db, sql`SELECT to_regprocedure('public.get_publishing_queue(uuid, timestamptz)') IS NOT NULL AS ok`);
  if (!fn?.ok) return { name, status: 'ok', summary: 'no publishing queue in this version' };
  const { totals: q, platforms } = await getPublishingQueue(db, null);
  const per = platforms
    .filter((p) => p.scheduled + p.publishing + p.unknown + p.failed + p.missed > 0)
    .map((p) => `${p.platform}: ${p.due} due, ${p.unknown} unknown, ${p.failed} failed, ${p.missed} missed`)
    .join('; ');
  const summary =
    `${q.due} due of ${q.scheduled} scheduled (oldest waiting ${Math.round(q.oldestDueLagMs / 1000)} s), ` +
    `${q.waitingOnLimit} waiting on a limit, ${q.publishing} publishing, ${q.unknown} unknown, ${q.failed} failed, ${q.missed} missed` +
    (per ? ` (${per})` : '');
  if (q.expiredLeases > 0) {
    return {
      name,
      status: 'fail',
      summary: `${q.expiredLeases} post(s) publishing past their lease; ${summary}`,
      fix: 'run `social-db maintain` (or any claim) to mark them unknown, then reconcile them (reconcilePublish)',
    };
  }
  if (q.oldestDueLagMs > PUBLISHING_LAG_LIMIT_MS) {
    return {
      name,
      status: 'fail',
      summary: `the oldest due post has waited ${Math.round(q.oldestDueLagMs / 60_000)} min; ${summary}`,
      fix: 'no worker is claiming: start runPublishWorker (or the app\'s worker calling claim_due_posts)',
    };
  }
  if (q.unknown > 0) {
    return { name, status: 'warn', summary, fix: 'look the unknown posts up on their platform and settle them with reconcilePublish' };
  }
  return { name, status: 'ok', summary };
}
