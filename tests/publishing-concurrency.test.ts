import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { close, queryRows, type PostgresDb } from '../src/db.js';
import {
  claimDuePosts,
  completePostPublish,
  expirePublishLeases,
  failPostPublish,
  PublishError,
  reconcilePublish,
  runPublishWorker,
  StaleClaimError,
  type ClaimedPost,
  type PublishWorkerStats,
} from '../src/queries/publishing/index.js';
import { useTestDb } from './support/db.js';
import { createAccount, createUser, workspaceOf } from './support/fixtures.js';
import { schedulePosts } from './support/publishing.js';
import { mulberry32 } from './support/random.js';
import { authenticatorDb } from './support/api.js';

// Eight workers, each on its own connections as service_role (as the app's workers run), over 2,000
// due posts of 40 accounts with tight limits, against a fake platform that fails, rate-limits, times
// out after publishing, and is slow; two of the workers crash on some posts (their leases run out),
// and they start late. The app's reconciler settles unknown posts from what the platform has. Then:
// every post is published exactly once, failed, missed or unknown; the platform never got a post
// twice; nothing is left publishing; and no account ever went over its limit in any window, checked
// by brute force over post_publish_attempts.

const t = useTestDb();
const POSTS = 2000;
const ACCOUNTS = 40;
const rnd = mulberry32(16).next;

/** The fake platform: how many times each post was published there, and under which id. */
const platform = new Map<string, { count: number; id: string }>();
function publishOnPlatform(post: ClaimedPost): string {
  const had = platform.get(post.postId);
  const id = `p_${post.postId.slice(0, 8)}_${(had?.count ?? 0) + 1}`;
  platform.set(post.postId, { count: (had?.count ?? 0) + 1, id: had?.id ?? id });
  return had?.id ?? id;
}
let slow = 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A pool logged in as `authenticator` whose sessions start as service_role, like PostgREST's service
 * key: the role is the database's default for authenticator (set in beforeAll, gone with the
 * database), not a startup parameter, so it also holds through PgBouncer in transaction mode.
 */
function serviceRoleDb(url: string): PostgresDb {
  return authenticatorDb(url, 2);
}

interface Limits {
  cap: number;
  windowMs: number;
  spacingMs: number;
}
const accounts = new Map<string, Limits>();
const posts: string[] = [];
let late: Set<string>;
const workers: PostgresDb[] = [];

beforeAll(async () => {
  const user = await createUser(t.db);
  const ws = await workspaceOf(t.db, user);
  const platforms = ['instagram', 'tiktok', 'youtube'];
  const now = Date.now();
  late = new Set();
  for (let a = 0; a < ACCOUNTS; a++) {
    const id = await createAccount(t.db, user, platforms[a % 3]);
    // A third: a few posts a second; a third: spacing between posts; the rest: a wide window.
    const limits: Limits =
      a % 3 === 0 ? { cap: 6, windowMs: 1000, spacingMs: 0 } : a % 3 === 1 ? { cap: 20, windowMs: 1000, spacingMs: 60 } : { cap: 40, windowMs: 3000, spacingMs: 0 };
    accounts.set(id, limits);
    await t.db.execute(sql`INSERT INTO account_publishing_settings (account_id, workspace_id, posts_per_window, rate_window, min_spacing)
      VALUES (${id}::uuid, ${ws}::uuid, ${limits.cap}, make_interval(secs => ${limits.windowMs / 1000}), make_interval(secs => ${limits.spacingMs / 1000}))`);
    const n = POSTS / ACCOUNTS;
    const due = Array.from({ length: n }, () => {
      const r = rnd();
      // 5 % are 3 hours late (missed), most are due in the last minute, some within the next 2 seconds.
      return r < 0.05 ? now - 3 * 3_600_000 - rnd() * 60_000 : r < 0.85 ? now - rnd() * 60_000 : now + rnd() * 2000;
    });
    const ids = await schedulePosts(t.db, { accountId: id, n, due: (i) => new Date(due[i]!) });
    ids.forEach((p, i) => {
      if (due[i]! < now - 3 * 3_600_000) late.add(p);
    });
    posts.push(...ids);
  }
  await t.db.execute(sql.raw(`ALTER ROLE authenticator IN DATABASE "${t.name}" SET role = 'service_role'`));
  for (let w = 0; w < 8; w++) workers.push(serviceRoleDb(t.url));
  const [who] = await queryRows<{ role: string }>(workers[0]!, sql`SELECT current_user AS role`);
  expect(who!.role).toBe('service_role');
}, 120_000);

afterAll(async () => {
  await Promise.all(workers.map((w) => close(w)));
});

/** The fake platform's behaviour for one attempt. */
async function platformCall(post: ClaimedPost, slowOk = true): Promise<{ platformPostId: string }> {
  const r = rnd();
  await sleep(rnd() * 4);
  if (r < 0.08) throw new PublishError('503 from the platform', { retryable: true });
  if (r < 0.13) throw new PublishError('429 too many requests', { retryAfterMs: 150 });
  if (r < 0.16) throw new PublishError('media rejected', { retryable: false });
  if (r < 0.19) {
    // A timeout after the request went out: half the time the platform did publish it.
    if (rnd() < 0.5) publishOnPlatform(post);
    throw new PublishError('timeout after upload', { outcomeUnknown: true });
  }
  if (r < 0.21 && slowOk) {
    slow++;
    await sleep(1300); // longer than the lease: only heartbeats keep it
  }
  return { platformPostId: publishOnPlatform(post) };
}

/** A worker that crashes on some posts (never reports; sometimes after publishing) and starts late. */
async function crashyWorker(db: PostgresDb, name: string, signal: AbortSignal): Promise<number> {
  let crashed = 0;
  await sleep(800);
  while (!signal.aborted) {
    const claimed = await claimDuePosts(db, { worker: name, maxPosts: 5, leaseMs: 1000 });
    if (claimed.length === 0) await sleep(20);
    for (const post of claimed) {
      if (rnd() < 0.2) {
        crashed++;
        if (rnd() < 0.5) publishOnPlatform(post);
        continue; // the lease runs out: unknown
      }
      try {
        const r = await platformCall(post, false);
        await completePostPublish(db, { postId: post.postId, claimToken: post.claimToken, platformPostId: r.platformPostId });
      } catch (err) {
        if (err instanceof StaleClaimError) continue;
        const e = err as PublishError;
        if (e.outcomeUnknown) continue; // behaves like a crash: lease runs out
        await failPostPublish(db, {
          postId: post.postId,
          claimToken: post.claimToken,
          error: e.message,
          retryable: e.retryable,
          retryAfterMs: e.retryAfterMs,
          retry: { maxAttempts: 4, baseMs: 20, capMs: 200 },
        }).catch((x: unknown) => {
          if (!(x instanceof StaleClaimError)) throw x;
        });
      }
    }
  }
  return crashed;
}

/** The app's reconciler: looks unknown posts up on the platform. */
async function reconcileUnknown(): Promise<number> {
  await expirePublishLeases(t.db);
  const unknown = await queryRows<{ id: string }>(t.db, sql`SELECT id::text FROM social_posts WHERE status = 'unknown' AND id = ANY (${`{${posts.join(',')}}`}::uuid[])`);
  for (const { id } of unknown) {
    const found = platform.get(id);
    await reconcilePublish(t.db, found ? { postId: id, found: true, platformPostId: found.id } : { postId: id, found: false });
  }
  return unknown.length;
}

describe('8 concurrent workers', () => {
  it('publish every post at most once, within every account limit, and leave nothing stuck', async () => {
    const stop = new AbortController();
    let leaseLost = 0;
    const started = Date.now();
    const runs: Promise<PublishWorkerStats>[] = workers.slice(0, 6).map(async (db, i) => {
      await sleep(i * 250); // late workers
      return runPublishWorker(db, {
        worker: `w${i}`,
        publish: (post) => platformCall(post),
        concurrency: 4,
        leaseMs: 1000,
        heartbeatMs: 250,
        pollMs: 20,
        signal: stop.signal,
        retry: { maxAttempts: 4, baseMs: 20, capMs: 200 },
        onEvent: (e) => {
          if (e.type === 'lease_lost') leaseLost++;
        },
      });
    });
    const crashy = workers.slice(6).map((db, i) => crashyWorker(db, `crashy${i}`, stop.signal));
    let reconciled = 0;
    let maxWaitingOnLimit = 0;
    // Run until the queue is empty (nothing scheduled, publishing or unknown), reconciling as the app would.
    for (;;) {
      await sleep(300);
      reconciled += await reconcileUnknown();
      const [open] = await queryRows<{ n: number; waiting: number }>(
        t.db,
        sql`SELECT count(*)::int AS n, count(*) FILTER (WHERE publish_wait_reason LIKE 'rate limit:%' OR publish_wait_reason LIKE 'spacing:%')::int AS waiting
            FROM social_posts WHERE status IN ('scheduled', 'publishing', 'unknown')`,
      );
      maxWaitingOnLimit = Math.max(maxWaitingOnLimit, open!.waiting);
      if (open!.n === 0 || Date.now() - started > 60_000) break;
    }
    // Stopping: the worker loops return once their posts in flight are settled.
    stop.abort();
    const stats = await Promise.all(runs);
    const crashes = (await Promise.all(crashy)).reduce((a, b) => a + b, 0);
    // Crashed claims left behind after the stop run out their lease; they stay unknown (not reconciled).
    await sleep(1100);
    await expirePublishLeases(t.db);

    const byStatus = await queryRows<{ status: string; n: number }>(t.db, sql`SELECT status, count(*)::int AS n FROM social_posts GROUP BY 1 ORDER BY 1`);
    const counts = Object.fromEntries(byStatus.map((r) => [r.status, r.n]));
    expect(Object.keys(counts).every((s) => ['published', 'failed', 'missed', 'unknown'].includes(s))).toBe(true);
    expect((counts.published ?? 0) + (counts.failed ?? 0) + (counts.missed ?? 0) + (counts.unknown ?? 0)).toBe(POSTS);
    // Every kind of trouble happened.
    expect(counts.failed).toBeGreaterThan(0);
    expect(counts.missed).toBe(late.size);
    expect(crashes).toBeGreaterThan(0);
    expect(reconciled).toBeGreaterThan(0);
    expect(stats.reduce((s, x) => s + x.retried, 0)).toBeGreaterThan(0);
    expect(stats.reduce((s, x) => s + x.published, 0)).toBeGreaterThan(POSTS / 2);

    // Never published twice on the platform; published in the database exactly when the platform has it.
    expect([...platform.values()].filter((p) => p.count > 1)).toEqual([]);
    const rows = await queryRows<{ id: string; status: string; platform_post_id: string | null; published_attempts: number }>(
      t.db,
      sql`SELECT p.id::text, p.status, p.platform_post_id,
                 (SELECT count(*)::int FROM post_publish_attempts a WHERE a.post_id = p.id AND a.outcome = 'published') AS published_attempts
          FROM social_posts p`,
    );
    const wrong = rows.filter((r) => {
      const onPlatform = platform.get(r.id);
      if (r.status === 'published') return !onPlatform || onPlatform.id !== r.platform_post_id || r.published_attempts !== 1;
      if (r.status === 'unknown') return r.published_attempts !== 0;
      return onPlatform !== undefined || r.published_attempts !== 0;
    });
    expect(wrong).toEqual([]);
    expect(rows.filter((r) => late.has(r.id) && r.status !== 'missed')).toEqual([]);

    // Nothing left publishing, let alone past its lease; every attempt closed.
    const [stuck] = await queryRows<{ publishing: number; open_attempts: number }>(
      t.db,
      sql`SELECT (SELECT count(*)::int FROM social_posts WHERE status = 'publishing') AS publishing,
                 (SELECT count(*)::int FROM post_publish_attempts WHERE outcome IS NULL) AS open_attempts`,
    );
    expect(stuck).toEqual({ publishing: 0, open_attempts: 0 });

    // Brute force: for each attempt (every one counts, whatever its outcome), the attempts of its
    // account in the window that starts with it (none may hold more), and the gap to the next one.
    const violations = await queryRows<{ account_id: string; started_at: Date; n: number; gap_ms: number | null }>(
      t.db,
      sql`WITH s AS (
            SELECT a.account_id, a.started_at, x.posts_per_window AS cap, x.rate_window AS win, x.min_spacing AS spacing
            FROM post_publish_attempts a JOIN account_publishing_settings x ON x.account_id = a.account_id
          ), c AS (
            SELECT s.*, (SELECT count(*) FROM s b WHERE b.account_id = s.account_id AND b.started_at >= s.started_at AND b.started_at < s.started_at + s.win)::int AS n,
                   extract(epoch FROM lead(s.started_at) OVER (PARTITION BY s.account_id ORDER BY s.started_at) - s.started_at) * 1000 AS gap_ms
            FROM s
          )
          SELECT account_id::text, started_at, n, gap_ms::float8 AS gap_ms FROM c
          WHERE n > cap OR gap_ms < extract(epoch FROM spacing) * 1000`,
    );
    expect(violations).toEqual([]);
    // The limits did bind: posts waited on them while the workers ran.
    expect(maxWaitingOnLimit).toBeGreaterThan(0);
    // Heartbeats kept the slow uploads (longer than the lease) alive: no healthy worker lost a lease.
    expect(slow).toBeGreaterThan(0);
    expect(leaseLost).toBe(0);
  });
});
