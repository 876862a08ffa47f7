import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../../src/db.js';

// Rows the publishing tests make and read (written by the test database's owner, which the state
// machine lets insert scheduled posts directly).

/**
 * `n` scheduled posts of an account (its workspace, author and platform), due at `due(i)`, captioned
 * `post i`; returned in the order of i.
 */
export async function schedulePosts(
  db: Db,
  p: { accountId: string; n: number; due: (i: number) => Date; maxLateness?: string },
): Promise<string[]> {
  const dues = Array.from({ length: p.n }, (_, i) => p.due(i).toISOString());
  const rows = await queryRows<{ id: string; i: number }>(
    db,
    sql`INSERT INTO social_posts (workspace_id, user_id, platform_id, account_id, media_type, status, scheduled_at, caption, max_lateness)
        SELECT a.workspace_id, a.user_id, a.platform_id, a.id, CASE WHEN pl.name = 'instagram' THEN 'image' ELSE 'video' END,
               'scheduled', d.due, 'post ' || (d.i - 1), ${p.maxLateness ?? null}::interval
        FROM social_accounts a JOIN social_platforms pl ON pl.id = a.platform_id,
             unnest(${`{${dues.join(',')}}`}::timestamptz[]) WITH ORDINALITY AS d(due, i)
        WHERE a.id = ${p.accountId}::uuid
        ORDER BY d.i
        RETURNING id::text, (regexp_replace(caption, '^post ', ''))::int AS i`,
  );
  return rows.sort((a, b) => a.i - b.i).map((r) => r.id);
}

export interface PostRow {
  status: string;
  claim_token: string | null;
  claimed_by: string | null;
  lease_expires_at: Date | null;
  next_attempt_at: Date;
  scheduled_at: Date | null;
  published_at: Date;
  platform_post_id: string | null;
  publish_attempts: number;
  publish_wait_reason: string | null;
  last_error: string | null;
  scheduled_time_zone: string | null;
}

export async function postRow(db: Db, postId: string): Promise<PostRow> {
  const [row] = await queryRows<PostRow & Record<string, unknown>>(
    db,
    sql`SELECT status, claim_token::text, claimed_by, lease_expires_at, next_attempt_at, scheduled_at, published_at, platform_post_id,
               publish_attempts, publish_wait_reason, last_error, scheduled_time_zone
        FROM social_posts WHERE id = ${postId}::uuid`,
  );
  if (!row) throw new Error(`no post ${postId}`);
  const d = (v: unknown) => (v === null ? null : new Date(v as string));
  return {
    ...row,
    lease_expires_at: d(row.lease_expires_at),
    next_attempt_at: d(row.next_attempt_at)!,
    scheduled_at: d(row.scheduled_at),
    published_at: d(row.published_at)!,
  };
}

export interface AttemptRow {
  attempt: number;
  worker: string;
  claim_token: string;
  started_at: Date;
  finished_at: Date | null;
  outcome: string | null;
  error: string | null;
  platform_response: unknown;
}

export async function attemptsOf(db: Db, postId: string): Promise<AttemptRow[]> {
  return queryRows<AttemptRow & Record<string, unknown>>(
    db,
    sql`SELECT attempt, worker, claim_token::text, started_at, finished_at, outcome, error, platform_response
        FROM post_publish_attempts WHERE post_id = ${postId}::uuid ORDER BY attempt`,
  );
}
