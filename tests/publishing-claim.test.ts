import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { queryRows, type Db } from '../src/db.js';
import {
  claimDuePosts,
  completePostPublish,
  expirePublishLeases,
  extendPostLease,
  failPostPublish,
  getPublishingQueue,
  markMissedPosts,
  markPostPublishUnknown,
  reconcilePublish,
  StaleClaimError,
} from '../src/queries/publishing/index.js';
import { useTestDb } from './support/db.js';
import { createAccount, createUser, workspaceOf } from './support/fixtures.js';
import { pgError } from './support/errors.js';
import { schedulePosts, postRow, attemptsOf } from './support/publishing.js';

// Claims, outcomes, retries, unknown outcomes and reconciliation, limits and lateness, each against
// the SQL functions on a real database with an injected clock (claim's as_of).

const t = useTestDb();
// The start of the current minute: claims take this clock, while heartbeats and reports use the
// database's, so the two must agree on roughly when "now" is.
const T0 = new Date(Math.floor(Date.now() / 60_000) * 60_000);
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

let user: string;
let workspace: string;
let account: string;

beforeAll(async () => {
  user = await createUser(t.db);
  workspace = await workspaceOf(t.db, user);
  account = await createAccount(t.db, user, 'tiktok');
});

/** A fresh account (own limits) with `n` posts due at `due(i)`. */
async function setup(n: number, due: (i: number) => Date, platform = 'tiktok') {
  const acc = await createAccount(t.db, user, platform);
  const posts = await schedulePosts(t.db, { accountId: acc, n, due });
  return { acc, posts };
}

/** Claims everything due for a scratch account's posts only (other tests' posts are due too). */
async function claimOnly(db: Db, posts: string[], options: { asOf: Date; leaseMs?: number; worker?: string; maxPosts?: number }) {
  const claimed = await claimDuePosts(db, { worker: options.worker ?? 'w1', maxPosts: options.maxPosts ?? 1000, leaseMs: options.leaseMs ?? 60_000, asOf: options.asOf });
  const mine = new Set(posts);
  return claimed.filter((c) => mine.has(c.postId));
}

describe('claim_due_posts', () => {
  it('hands due posts out in due order, once, with a claim token, a lease and an attempt row', async () => {
    const { posts } = await setup(5, (i) => at(-10 + i * 5)); // due -10, -5, 0, +5, +10 minutes
    const claimed = await claimOnly(t.db, posts, { asOf: T0 });
    expect(claimed.map((c) => c.postId)).toEqual(posts.slice(0, 3));
    expect(claimed.map((c) => c.latenessMs)).toEqual([600_000, 300_000, 0]);
    expect(claimed.every((c) => c.attempt === 1 && c.leaseExpiresAt.getTime() === T0.getTime() + 60_000)).toBe(true);
    expect(new Set(claimed.map((c) => c.claimToken)).size).toBe(3);
    expect(claimed[0]).toMatchObject({ platform: 'tiktok', workspaceId: workspace, mediaType: 'video', caption: expect.stringMatching(/^post /) });
    // Claimed posts are not handed out again; the not-yet-due ones wait.
    expect(await claimOnly(t.db, posts, { asOf: T0 })).toEqual([]);
    const rows = await Promise.all(posts.map((p) => postRow(t.db, p)));
    expect(rows.map((r) => r.status)).toEqual(['publishing', 'publishing', 'publishing', 'scheduled', 'scheduled']);
    const attempts = await attemptsOf(t.db, posts[0]!);
    expect(attempts).toEqual([expect.objectContaining({ attempt: 1, worker: 'w1', outcome: null, claim_token: claimed[0]!.claimToken })]);
  });

  it("also takes the SQL function's argument order and its name for the lease", async () => {
    const { posts } = await setup(2, () => at(-1));
    const [first] = await claimDuePosts(t.db, 'positional', 1000, 2000).then((c) => c.filter((x) => posts.includes(x.postId)));
    expect(first!.leaseExpiresAt.getTime() - Date.now()).toBeLessThanOrEqual(2000);
    expect(first!.leaseExpiresAt.getTime() - Date.now()).toBeGreaterThan(1000);
    await completePostPublish(t.db, { postId: first!.postId, claimToken: first!.claimToken, platformPostId: 'pos_1' });
  });

  it('refuses bad arguments naming the argument', async () => {
    await expect(claimDuePosts(t.db, { worker: ' ', maxPosts: 1 })).rejects.toThrow(/claimDuePosts: worker: must not be blank/);
    await expect(claimDuePosts(t.db, { worker: 'w', maxPosts: 0 })).rejects.toThrow(/maxPosts: must be at least 1/);
    await expect(claimDuePosts(t.db, { worker: 'w', leaseMs: 10 })).rejects.toThrow(/leaseMs: must be at least 1000 ms/);
    await expect(claimDuePosts(t.db, 'w', 0)).rejects.toThrow(/claimDuePosts: maxPosts: must be at least 1/);
    await expect(claimDuePosts(t.db, { worker: 'w', lease: 2000, leaseMs: 3000 })).rejects.toThrow(/lease: give leaseMs or lease/);
    expect((await pgError(t.db.execute(sql`SELECT * FROM claim_due_posts('w', 5, interval '0')`))).message).toMatch(/^lease: 00:00:00 is not between 1 second and 1 day/);
    const e = await pgError(
      t.db.transaction(async (tx) => {
        await tx.execute(sql`SET TRANSACTION ISOLATION LEVEL REPEATABLE READ`);
        await tx.execute(sql`SELECT * FROM claim_due_posts('w', 5)`);
      }),
    );
    expect(e.message).toMatch(/READ COMMITTED only, not repeatable read/);
  });
});

describe('outcomes', () => {
  it('complete publishes under the current claim and refuses any other token', async () => {
    const { posts } = await setup(1, () => at(-1));
    const [c] = await claimOnly(t.db, posts, { asOf: T0 });
    await expect(
      completePostPublish(t.db, { postId: c!.postId, claimToken: '00000000-0000-4000-8000-000000000000', platformPostId: 'x' }),
    ).rejects.toThrow(StaleClaimError);
    const publishedAt = await completePostPublish(t.db, { postId: c!.postId, claimToken: c!.claimToken, platformPostId: 'tt_1', url: 'https://tiktok.example/tt_1', response: { id: 'tt_1' } });
    const row = await postRow(t.db, c!.postId);
    expect(row).toMatchObject({ status: 'published', platform_post_id: 'tt_1', claim_token: null, lease_expires_at: null });
    expect(row.published_at.getTime()).toBe(publishedAt.getTime());
    expect(await attemptsOf(t.db, c!.postId)).toEqual([expect.objectContaining({ outcome: 'published', platform_response: { id: 'tt_1' } })]);
    // Reporting twice: the claim is gone once settled.
    const again = completePostPublish(t.db, { postId: c!.postId, claimToken: c!.claimToken, platformPostId: 'tt_1' });
    await expect(again).rejects.toThrow(/the post is published and nobody holds a claim on it/);
    await expect(failPostPublish(t.db, { postId: c!.postId, claimToken: c!.claimToken, error: 'late', retryable: true })).rejects.toThrow(StaleClaimError);
  });

  it('retries with exponential backoff and jitter, honours retry_after exactly, and gives up after max attempts', async () => {
    const { posts } = await setup(1, () => at(-1));
    const postId = posts[0]!;
    const retry = { maxAttempts: 3, baseMs: 10_000, capMs: 15_000 };
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      const row = await postRow(t.db, postId);
      // Due at next_attempt_at (microseconds in the database; a Date has milliseconds).
      const [c] = await claimOnly(t.db, posts, { asOf: new Date(row.next_attempt_at.getTime() + 1) });
      expect(c?.attempt).toBe(attempt);
      const before = Date.now();
      const r = await failPostPublish(t.db, { postId, claimToken: c!.claimToken, error: `boom ${attempt}`, retryable: true, retry });
      if (attempt < 3) {
        expect(r.status).toBe('scheduled');
        delays.push(r.nextAttemptAt!.getTime() - before);
      } else {
        expect(r).toEqual({ status: 'failed', nextAttemptAt: null });
      }
    }
    // Attempt 1 waits in [5 s, 10 s], attempt 2 in [7.5 s, 15 s] (20 s capped at 15 s); allow for the round trip.
    expect(delays[0]).toBeGreaterThanOrEqual(5_000 - 1_000);
    expect(delays[0]).toBeLessThanOrEqual(10_000 + 1_000);
    expect(delays[1]).toBeGreaterThanOrEqual(7_500 - 1_000);
    expect(delays[1]).toBeLessThanOrEqual(15_000 + 1_000);
    const row = await postRow(t.db, postId);
    expect(row.status).toBe('failed');
    expect(row.last_error).toBe('boom 3 (gave up after 3 attempts)');
    expect((await attemptsOf(t.db, postId)).map((a) => a.outcome)).toEqual(['retry', 'retry', 'failed']);

    // A 429: due again exactly retry_after later, outcome rate_limited.
    const { posts: p2 } = await setup(1, () => at(-1));
    const [c] = await claimOnly(t.db, p2, { asOf: T0 });
    const before = Date.now();
    const r = await failPostPublish(t.db, { postId: p2[0]!, claimToken: c!.claimToken, error: '429 too many requests', retryable: true, retryAfterMs: 120_000 });
    expect(r.status).toBe('scheduled');
    expect(r.nextAttemptAt!.getTime() - before).toBeGreaterThanOrEqual(120_000 - 50);
    expect(r.nextAttemptAt!.getTime() - before).toBeLessThanOrEqual(120_000 + 1_000);
    expect((await attemptsOf(t.db, p2[0]!))[0]!.outcome).toBe('rate_limited');

    // Not retryable: failed at once, with the error as given.
    const { posts: p3 } = await setup(1, () => at(-1));
    const [c3] = await claimOnly(t.db, p3, { asOf: T0 });
    expect(await failPostPublish(t.db, { postId: p3[0]!, claimToken: c3!.claimToken, error: 'media rejected', retryable: false })).toEqual({ status: 'failed', nextAttemptAt: null });
    expect((await postRow(t.db, p3[0]!)).last_error).toBe('media rejected');
    await expect(failPostPublish(t.db, { postId: p3[0]!, claimToken: c3!.claimToken, error: ' ', retryable: false })).rejects.toThrow(/failPostPublish: error: say what went wrong/);
  });

  it('an expired lease makes the post unknown, never scheduled; reconciliation settles it either way', async () => {
    const { posts } = await setup(3, (i) => at(-3 + i));
    const claimed = await claimOnly(t.db, posts, { asOf: T0, leaseMs: 60_000 });
    expect(claimed).toHaveLength(3);
    // A heartbeat keeps the third one alive past the others' lease.
    const extended = await extendPostLease(t.db, { postId: claimed[2]!.postId, claimToken: claimed[2]!.claimToken, leaseMs: 3_600_000 });
    expect(extended.getTime()).toBeGreaterThan(Date.now() + 3_500_000);
    // Leases are judged by the clock given: T0 + 2 minutes is past the first two (T0 + 1 minute).
    expect(await expirePublishLeases(t.db, { asOf: at(2) })).toBeGreaterThanOrEqual(2);
    const rows = await Promise.all(posts.map((p) => postRow(t.db, p)));
    expect(rows.map((r) => r.status)).toEqual(['unknown', 'unknown', 'publishing']);
    expect(rows[0]!.last_error).toMatch(/outcome unknown: the lease of worker w1 ran out/);
    expect((await attemptsOf(t.db, posts[0]!))[0]).toMatchObject({ outcome: 'unknown', error: expect.stringMatching(/^lease ran out at/) });
    // Unknown posts are not claimed again.
    expect(await claimOnly(t.db, posts, { asOf: at(3) })).toEqual([]);
    // The late worker's failure is refused (reconciliation decides), its heartbeat too; its success is kept.
    await expect(failPostPublish(t.db, { postId: posts[0]!, claimToken: claimed[0]!.claimToken, error: 'timeout', retryable: true })).rejects.toThrow(
      /fail_post_publish refused .*the post is unknown now/,
    );
    await expect(extendPostLease(t.db, { postId: posts[0]!, claimToken: claimed[0]!.claimToken, leaseMs: 60_000 })).rejects.toThrow(StaleClaimError);
    await completePostPublish(t.db, { postId: posts[0]!, claimToken: claimed[0]!.claimToken, platformPostId: 'late_ok' });
    expect((await postRow(t.db, posts[0]!)).status).toBe('published');

    // The second: the app looks on the platform and does not find it, so it goes back to the queue.
    await expect(reconcilePublish(t.db, { postId: posts[2]!, found: false })).rejects.toThrow(/is publishing, not unknown/);
    expect(await reconcilePublish(t.db, posts[1]!, { found: false, retryAt: at(5) })).toBe('scheduled');
    expect(await postRow(t.db, posts[1]!)).toMatchObject({ status: 'scheduled', claim_token: null });
    expect((await attemptsOf(t.db, posts[1]!))[0]!.outcome).toBe('not_published');
    const [again] = await claimOnly(t.db, posts, { asOf: at(5) });
    expect(again).toMatchObject({ postId: posts[1], attempt: 2 });
    // The old claim of that post is stale now, whatever it reports.
    await expect(completePostPublish(t.db, { postId: posts[1]!, claimToken: claimed[1]!.claimToken, platformPostId: 'dup' })).rejects.toThrow(
      /under another claim .*this claim is stale/,
    );
    await markPostPublishUnknown(t.db, { postId: posts[1]!, claimToken: again!.claimToken, error: 'connection reset after upload' });
    expect(await reconcilePublish(t.db, { postId: posts[1]!, found: true, platformPostId: 'found_1' })).toBe('published');
    const settled = await postRow(t.db, posts[1]!);
    expect(settled).toMatchObject({ status: 'published', platform_post_id: 'found_1' });
    // published_at defaults to when the unknown attempt started.
    expect(settled.published_at.getTime()).toBe(at(5).getTime());
    expect((await attemptsOf(t.db, posts[1]!)).map((a) => a.outcome)).toEqual(['not_published', 'published']);
  });
});

describe('limits', () => {
  it("counts an account's attempts in a rolling window and keeps the spacing; over the limit a post waits and says why", async () => {
    const acc = await createAccount(t.db, user, 'instagram');
    await t.db.execute(sql`INSERT INTO account_publishing_settings (account_id, workspace_id, posts_per_window, rate_window, min_spacing)
                           VALUES (${acc}::uuid, ${workspace}::uuid, 3, interval '1 hour', interval '5 minutes')`);
    const posts = await schedulePosts(t.db, { accountId: acc, n: 6, due: () => at(-1) });
    const taken: string[] = [];
    // One claim every minute for two hours, each settled at once.
    for (let m = 0; m < 120; m++) {
      const got = await claimOnly(t.db, posts, { asOf: at(m) });
      expect(got.length).toBeLessThanOrEqual(1);
      for (const c of got) {
        taken.push(`${m}`);
        await completePostPublish(t.db, { postId: c.postId, claimToken: c.claimToken, platformPostId: `ig_${c.postId}` });
      }
      if (m === 1 || m === 11) {
        const waiting = await queryRows<{ reason: string; next: Date }>(
          t.db,
          sql`SELECT DISTINCT publish_wait_reason AS reason, next_attempt_at AS next FROM social_posts WHERE account_id = ${acc}::uuid AND status = 'scheduled'`,
        );
        expect(waiting).toHaveLength(1);
        if (m === 1) {
          expect(waiting[0]!.reason).toMatch(/^spacing: last post on this account at .*, at least 00:05:00 apart; waits until /);
          expect(new Date(waiting[0]!.next).getTime()).toBe(at(5).getTime());
        } else {
          expect(waiting[0]!.reason).toMatch(/^rate limit: 3 of 3 posts in the last 01:00:00 on this account; waits until /);
          expect(new Date(waiting[0]!.next).getTime()).toBe(at(60).getTime());
        }
      }
    }
    // 0, 5, 10 fill the hour; the 4th waits until 60, then 65, 70.
    expect(taken).toEqual(['0', '5', '10', '60', '65', '70']);
  });

  it('reads rate_limits leniently: a window and a count, or a daily count under its common names, and a spacing', async () => {
    const read = async (doc: unknown) =>
      (await queryRows<{ n: number | null; w: string; s: string }>(
        t.db,
        sql`SELECT posts_per_window AS n, rate_window::text AS w, min_spacing::text AS s FROM platform_publish_limits(${JSON.stringify(doc)}::jsonb)`,
      ))[0];
    expect(await read({ posts_per_window: 3, window_seconds: 3600, min_spacing_seconds: 90 })).toEqual({ n: 3, w: '01:00:00', s: '00:01:30' });
    expect(await read({ posts_per_24h: 25, min_interval_seconds: 60 })).toEqual({ n: 25, w: '24:00:00', s: '00:01:00' });
    expect(await read({ daily_limit: 6, min_spacing_minutes: 2 })).toEqual({ n: 6, w: '24:00:00', s: '00:02:00' });
    expect(await read({ something_else: 1 })).toEqual({ n: null, w: '24:00:00', s: '00:00:00' });
    expect(await read('not an object')).toEqual({ n: null, w: '24:00:00', s: '00:00:00' });
  });

  it('reads the platform defaults from social_platforms.rate_limits', async () => {
    const [ig] = await queryRows<{ rate_limits: Record<string, unknown> }>(t.db, sql`SELECT rate_limits FROM social_platforms WHERE name = 'instagram'`);
    expect(ig!.rate_limits).toMatchObject({ posts_per_window: 50, window_seconds: 86400 });
    const acc = await createAccount(t.db, user, 'youtube');
    const [yt] = await queryRows<{ n: number }>(t.db, sql`SELECT (rate_limits ->> 'posts_per_window')::int AS n FROM social_platforms WHERE name = 'youtube'`);
    const posts = await schedulePosts(t.db, { accountId: acc, n: yt!.n + 2, due: () => at(-1) });
    const got = await claimOnly(t.db, posts, { asOf: T0 });
    expect(got).toHaveLength(yt!.n);
  });
});

describe('lateness', () => {
  it('claims a late post with how late it is, and makes it missed past its max lateness (post, else workspace)', async () => {
    const { acc, posts } = await setup(2, (i) => (i === 0 ? at(-119) : at(-121)));
    const [own] = await schedulePosts(t.db, { accountId: acc, n: 1, due: () => at(-20), maxLateness: '10 minutes' });
    const claimed = await claimOnly(t.db, [...posts, own!], { asOf: T0 });
    expect(claimed.map((c) => [c.postId, c.latenessMs])).toEqual([[posts[0], 119 * 60_000]]);
    expect(await postRow(t.db, posts[1]!)).toMatchObject({ status: 'missed', last_error: expect.stringMatching(/^missed: due at .* \(02:01:00 late, max lateness 02:00:00\)/) });
    expect((await postRow(t.db, own!)).status).toBe('missed');

    // The workspace's setting; maintenance does the same without a claim.
    await t.db.execute(sql`UPDATE workspaces SET publish_max_lateness = interval '30 minutes' WHERE id = ${workspace}::uuid`);
    try {
      const { posts: p2 } = await setup(2, (i) => at(-31 - i * 60));
      expect(await markMissedPosts(t.db, { asOf: T0 })).toBeGreaterThanOrEqual(2);
      expect((await Promise.all(p2.map((p) => postRow(t.db, p)))).map((r) => r.status)).toEqual(['missed', 'missed']);
    } finally {
      await t.db.execute(sql`UPDATE workspaces SET publish_max_lateness = interval '2 hours' WHERE id = ${workspace}::uuid`);
    }
  });
});

describe('getPublishingQueue', () => {
  it('reports depth, lag, limits, unknown, failed and missed per platform for one workspace', async () => {
    const owner = await createUser(t.db);
    const ws = await workspaceOf(t.db, owner);
    const acc = await createAccount(t.db, owner, 'youtube');
    const now = new Date();
    const posts = await schedulePosts(t.db, { accountId: acc, n: 4, due: (i) => new Date(now.getTime() - (i + 1) * 60_000) });
    await schedulePosts(t.db, { accountId: acc, n: 2, due: () => new Date(now.getTime() + 3_600_000) });
    const q = await getPublishingQueue(t.db, ws, { asOf: now });
    const yt = q.platforms.find((p) => p.platform === 'youtube')!;
    expect(yt).toMatchObject({ scheduled: 6, due: 4, publishing: 0, unknown: 0, failed: 0, missed: 0 });
    expect(yt.oldestDueLagMs).toBe(4 * 60_000);
    expect(yt.oldestDueAt?.getTime()).toBe(now.getTime() - 4 * 60_000);
    expect(q.totals).toMatchObject({ scheduled: 6, due: 4 });
    // Another workspace's queue does not show them.
    expect((await getPublishingQueue(t.db, workspace, { asOf: now })).platforms.find((p) => p.platform === 'youtube')!.due).not.toBe(4);
    await expect(getPublishingQueue(t.db, 'nope')).rejects.toThrow(/getPublishingQueue: \(input\): must be a UUID/);
    expect(posts).toHaveLength(4);
  });
});

describe('the account', () => {
  it('must be active: a post of an inactive account fails instead of being claimed; one without an account has no limit', async () => {
    const { acc, posts } = await setup(1, () => at(-1));
    await t.db.execute(sql`UPDATE social_accounts SET is_active = false WHERE id = ${acc}::uuid`);
    expect(await claimOnly(t.db, posts, { asOf: T0 })).toEqual([]);
    expect(await postRow(t.db, posts[0]!)).toMatchObject({ status: 'failed', last_error: expect.stringMatching(/^account h\w+ is inactive/) });
    // Twenty posts of the same platform without an account (YouTube's default is 6 a day per account).
    const loose = await queryRows<{ id: string }>(
      t.db,
      sql`INSERT INTO social_posts (workspace_id, user_id, platform_id, media_type, status, scheduled_at)
          SELECT ${workspace}::uuid, ${user}::uuid, p.id, 'video', 'scheduled', ${at(-1).toISOString()}::timestamptz
          FROM social_platforms p, generate_series(1, 20) WHERE p.name = 'youtube'
          RETURNING id::text`,
    );
    const got = await claimOnly(t.db, loose.map((r) => r.id), { asOf: T0 });
    expect(got).toHaveLength(20);
    expect(got.every((c) => c.accountId === null)).toBe(true);
    expect(account).toBeTruthy();
  });
});
