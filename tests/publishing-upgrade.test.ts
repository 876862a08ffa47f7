import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { close, queryRows, type PostgresDb } from '../src/db.js';
import { migrate } from '../src/migrate.js';
import { claimDuePosts, reconcilePublish } from '../src/queries/publishing/index.js';
import { databaseAt, migrationsBefore } from './support/upgrade.js';

// The upgrade to the publishing state machine (0039) on a database of the release before it that holds
// posts some earlier queue left behind: a scheduled post becomes due at its scheduled time (and a claim
// takes it), and a post left `publishing` becomes `unknown` with a claim that reconciliation settles,
// instead of breaking the migration's CHECKs or being published again.

const BEFORE = migrationsBefore('_publishing');
let db: PostgresDb | undefined;

afterAll(async () => {
  if (db) await close(db);
});

const WS = '00000000-0000-0000-0000-0000000000e1';
const USER = '00000000-0000-0000-0000-0000000000e2';
const ACCOUNT = '00000000-0000-0000-0000-0000000000e3';
const SCHEDULED = '00000000-0000-0000-0000-0000000000f1';
const STUCK = '00000000-0000-0000-0000-0000000000f2';
const DRAFT = '00000000-0000-0000-0000-0000000000f3';

describe('upgrading to the publishing state machine', () => {
  it('makes scheduled posts due at their time and posts left publishing unknown', async () => {
    expect(BEFORE).toBeGreaterThan(0);
    db = await databaseAt(`socialdb_test_upgrade_pub_${process.pid}`, BEFORE);

    // What an app's own queue left in the previous release.
    const soon = new Date(Date.now() - 60_000).toISOString();
    await db.execute(sql`INSERT INTO auth.users (id) VALUES (${USER}::uuid)`);
    await db.execute(sql`INSERT INTO workspaces (id, name, slug) VALUES (${WS}::uuid, 'Before', 'before-publishing')`);
    await db.execute(sql`INSERT INTO social_accounts (id, workspace_id, user_id, platform_id, handle, platform_account_id)
                         SELECT ${ACCOUNT}::uuid, ${WS}::uuid, ${USER}::uuid, id, 'old', 'old-1' FROM social_platforms WHERE name = 'tiktok'`);
    await db.execute(sql`
      INSERT INTO social_posts (id, workspace_id, user_id, platform_id, account_id, media_type, status, scheduled_at, publish_attempts)
      SELECT v.id::uuid, ${WS}::uuid, ${USER}::uuid, a.platform_id, a.id, 'video', v.status, ${soon}::timestamptz, v.attempts
      FROM social_accounts a, (VALUES (${SCHEDULED}, 'scheduled', 0), (${STUCK}, 'publishing', 1), (${DRAFT}, 'draft', 0)) v(id, status, attempts)
      WHERE a.id = ${ACCOUNT}::uuid`);

    await migrate(db);

    const rows = await queryRows<{ id: string; status: string; due: boolean; claimed: boolean; last_error: string | null }>(
      db,
      sql`SELECT id::text, status, next_attempt_at IS NOT DISTINCT FROM CASE WHEN status = 'scheduled' THEN scheduled_at END AS due,
                 claim_token IS NOT NULL AND lease_expires_at IS NOT NULL AS claimed, last_error
          FROM social_posts ORDER BY id`,
    );
    expect(rows).toEqual([
      { id: SCHEDULED, status: 'scheduled', due: true, claimed: false, last_error: null },
      { id: STUCK, status: 'unknown', due: true, claimed: true, last_error: expect.stringMatching(/^outcome unknown: left publishing before/) },
      { id: DRAFT, status: 'draft', due: true, claimed: false, last_error: null },
    ]);
    // The queue works on the upgraded rows: the scheduled post is claimed, the unknown one settled.
    const claimed = await claimDuePosts(db, { worker: 'after-upgrade' });
    expect(claimed.map((c) => [c.postId, c.attempt])).toEqual([[SCHEDULED, 1]]);
    expect(await reconcilePublish(db, STUCK, { found: false })).toBe('scheduled');
    const [again] = await claimDuePosts(db, { worker: 'after-upgrade' });
    expect(again).toMatchObject({ postId: STUCK, attempt: 2 });
  });
});
