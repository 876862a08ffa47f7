import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { PublishError, runPublishWorker, type PublishWorkerEvent } from '../src/queries/publishing/index.js';
import { useTestDb } from './support/db.js';
import { createAccount, createUser } from './support/fixtures.js';
import { attemptsOf, postRow, schedulePosts } from './support/publishing.js';

// runPublishWorker on its own: heartbeats while a slow publish runs, a graceful stop that lets the
// posts in flight finish, and how errors from `publish` are reported.

const t = useTestDb();
let account: string;

beforeAll(async () => {
  const user = await createUser(t.db);
  account = await createAccount(t.db, user, 'youtube');
  await t.db.execute(sql`INSERT INTO account_publishing_settings (account_id, workspace_id, posts_per_window, rate_window)
                         SELECT id, workspace_id, 1000, interval '1 second' FROM social_accounts WHERE id = ${account}::uuid`);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('runPublishWorker', () => {
  it('keeps the lease alive while a publish outlasts it, and stops gracefully on the signal', async () => {
    const [slow] = await schedulePosts(t.db, { accountId: account, n: 1, due: () => new Date(Date.now() - 1000) });
    const stop = new AbortController();
    const events: PublishWorkerEvent['type'][] = [];
    const leases: Date[] = [];
    const run = runPublishWorker(t.db, {
      worker: 'slow-worker',
      concurrency: 2,
      lease: 1000, // the name for leaseMs
      heartbeatMs: 200,
      pollMs: 50,
      signal: stop.signal,
      onEvent: (e) => events.push(e.type),
      publish: async (post, { signal }) => {
        // Stopped while uploading: the upload finishes anyway, and is reported.
        stop.abort();
        expect(signal.aborted).toBe(true);
        for (let i = 0; i < 5; i++) {
          await sleep(400);
          leases.push((await postRow(t.db, post.postId)).lease_expires_at!);
        }
        return { platformPostId: `yt_${post.postId.slice(0, 8)}`, url: 'https://youtube.example/x' };
      },
    });
    // Posts that become due after the stop are not claimed.
    const [after] = await schedulePosts(t.db, { accountId: account, n: 1, due: () => new Date(Date.now() - 1000) });
    const stats = await run;
    expect(stats).toMatchObject({ worker: 'slow-worker', claimed: 1, published: 1, retried: 0, failed: 0, unknown: 0, stale: 0, errors: 0 });
    expect(events).toEqual(['claimed', 'published']);
    // The lease moved forward while the 2-second upload ran, and never lapsed.
    expect(leases.every((l, i) => i === 0 || l.getTime() > leases[i - 1]!.getTime())).toBe(true);
    expect((await postRow(t.db, slow!)).status).toBe('published');
    expect((await postRow(t.db, after!)).status).toBe('scheduled');
    await t.db.execute(sql`UPDATE social_posts SET status = 'draft' WHERE id = ${after!}::uuid`);
  });

  it('reports each kind of failure the way publish throws it', async () => {
    const due = () => new Date(Date.now() - 1000);
    const [retryable, limited, permanent, unknown, plain, noId] = await schedulePosts(t.db, { accountId: account, n: 6, due });
    const stop = new AbortController();
    const behaviour = new Map<string, () => never>([
      [retryable!, () => { throw new PublishError('503', { retryable: true }); }],
      [limited!, () => { throw new PublishError('429', { retryAfterMs: 600_000, response: { code: 429 } }); }],
      [permanent!, () => { throw new PublishError('policy', { retryable: false }); }],
      [unknown!, () => { throw new PublishError('timeout after upload', { outcomeUnknown: true }); }],
      [plain!, () => { throw new Error('socket hang up'); }],
    ]);
    const resolvedWithoutId = new Set([noId!]);
    const stats = await runPublishWorker(t.db, {
      worker: 'failing-worker',
      concurrency: 6,
      pollMs: 20,
      signal: stop.signal,
      retry: { maxAttempts: 3, baseMs: 60_000, capMs: 120_000 },
      // All six are claimed at once; stopping at the first still settles every one.
      publish: async (post) => {
        stop.abort();
        if (resolvedWithoutId.has(post.postId)) return {} as never;
        return behaviour.get(post.postId)!();
      },
    });
    expect(stats).toMatchObject({ claimed: 6, published: 0, retried: 2, failed: 1, unknown: 3, errors: 0 });
    const rows = await Promise.all([retryable, limited, permanent, unknown, plain, noId].map((p) => postRow(t.db, p!)));
    expect(rows.map((r) => r.status)).toEqual(['scheduled', 'scheduled', 'failed', 'unknown', 'unknown', 'unknown']);
    expect(rows[5]!.last_error).toMatch(/^outcome unknown: publish resolved without a platformPostId \(got \{\}\)/);
    expect(rows[0]!.next_attempt_at.getTime() - Date.now()).toBeGreaterThan(20_000);
    expect(rows[1]!.next_attempt_at.getTime() - Date.now()).toBeGreaterThan(590_000);
    expect((await attemptsOf(t.db, limited!))[0]).toMatchObject({ outcome: 'rate_limited', platform_response: { code: 429 } });
    expect(rows[4]!.last_error).toBe('outcome unknown: socket hang up (reconcile_post_publish settles it)');
  });

  it('refuses bad options naming the option', async () => {
    await expect(runPublishWorker(t.db, { publish: 'nope' as never })).rejects.toThrow(/runPublishWorker: publish: must be a function/);
    await expect(runPublishWorker(t.db, { publish: async () => ({ platformPostId: 'x' }), concurrency: 0 })).rejects.toThrow(/concurrency: must be at least 1/);
  });
});
