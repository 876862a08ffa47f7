import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { queryRows } from '../src/db.js';
import { refreshPostAnalytics } from '../src/queries/analytics.js';
import { useTestDb } from './support/db.js';
import {
  analyticsRows,
  bruteForceRows,
  createAccount,
  createPost,
  createUser,
  eventsJson,
  insertEvents,
  postingSlotStatsDiff,
  type EventFixture,
} from './support/fixtures.js';
import { mulberry32 } from './support/random.js';

const t = useTestDb({ max: 8 });

const TYPES = ['like', 'comment', 'share', 'save', 'view', 'profile_visit', 'website_click'] as const;

describe('refresh_post_analytics: exact under any interleaving', () => {
  it('equals a brute-force count over the raw events after random batches, late events, rollbacks and concurrent refreshes', async () => {
    const seed = Number(process.env.ANALYTICS_SEED ?? Date.now() % 1_000_000);
    const r = mulberry32(seed);
    const db = t.db;
    const user = await createUser(db);
    const accounts = [await createAccount(db, user), await createAccount(db, user)];
    // Followers, so posts get engagement rates (and best-posting-hours cells that every refresh moves).
    for (const a of accounts) {
      await db.execute(sql`INSERT INTO account_follower_history (account_id, recorded_on, follower_count) VALUES (${a}::uuid, '2026-11-01', 1000)`);
    }
    const posts: string[] = [];
    for (let i = 0; i < 6; i++) posts.push(await createPost(db, { userId: user, accountId: i === 5 ? null : accounts[i % 2]! }));

    let nextKey = 1;
    const sent: EventFixture[] = [];
    // Days 2026-11-05 .. 2026-11-20; "late" events land on days long since folded.
    const batch = (n: number): EventFixture[] =>
      Array.from({ length: n }, () => {
        const day = r.int(5, 20);
        const at = `2026-11-${String(day).padStart(2, '0')}T${String(r.int(0, 23)).padStart(2, '0')}:${String(r.int(0, 59)).padStart(2, '0')}:00Z`;
        const e = { postId: r.pick(posts), at, key: nextKey++, type: r.pick(TYPES) };
        sent.push(e);
        return e;
      });
    const check = async (label: string) => {
      await refreshPostAnalytics(db);
      expect(await analyticsRows(db), `${label} (seed ${seed})`).toEqual(await bruteForceRows(db));
      // The best-posting-hours cells follow the latest rates through concurrent refreshes too.
      expect(await postingSlotStatsDiff(db), `posting_slot_stats, ${label} (seed ${seed})`).toBe(0);
    };

    const client = db.$client;
    await insertEvents(db, batch(40));
    for (let round = 0; round < 14; round++) {
      const action = r.int(0, 4);
      if (action === 0) {
        // Plain batches, then a refresh.
        await insertEvents(db, batch(r.int(1, 60)));
        await insertEvents(db, batch(r.int(1, 60)));
      } else if (action === 1) {
        // A batch whose transaction is still open while refreshes run: it must be neither counted
        // now nor missed later; a rolled-back one never counts.
        const conn = await client.reserve();
        try {
          await conn.unsafe('BEGIN');
          const events = batch(r.int(5, 80));
          await conn.unsafe(
            `INSERT INTO engagement_events (post_id, event_timestamp, event_key, event_type)
             SELECT x.post_id, x.at, x.key, x.type FROM jsonb_to_recordset($1::jsonb) AS x(post_id uuid, at timestamptz, key bigint, type text)
             ON CONFLICT DO NOTHING`,
            [eventsJson(events)],
          );
          await insertEvents(db, batch(r.int(1, 30)));
          await refreshPostAnalytics(db);
          expect(await analyticsRows(db), `refresh with a batch in flight (seed ${seed})`).toEqual(await bruteForceRows(db));
          const commit = r.next() < 0.7;
          await conn.unsafe(commit ? 'COMMIT' : 'ROLLBACK');
        } finally {
          conn.release();
        }
      } else if (action === 2) {
        // Refreshes racing each other and ingestion on separate connections.
        const results = await Promise.all([
          refreshPostAnalytics(db),
          insertEvents(db, batch(r.int(1, 50))),
          refreshPostAnalytics(db),
          insertEvents(db, batch(r.int(1, 50))),
          refreshPostAnalytics(db),
        ]);
        expect(results).toHaveLength(5);
      } else if (action === 3) {
        // A rebuild from a random day racing an incremental run and ingestion.
        await Promise.all([
          refreshPostAnalytics(db, { since: new Date(`2026-11-${String(r.int(5, 21)).padStart(2, '0')}T12:00:00Z`) }),
          insertEvents(db, batch(r.int(1, 50))),
          refreshPostAnalytics(db),
        ]);
      } else {
        // Redelivered webhooks: the same events again change nothing.
        const again = Array.from({ length: r.int(1, 40) }, () => r.pick(sent));
        await insertEvents(db, again);
        await insertEvents(db, batch(r.int(1, 20)));
      }
      await check(`round ${round}, action ${action}`);
    }

    // The raw table holds what was sent, minus rolled-back batches: the comparison was over real data.
    const [{ n }] = (await queryRows<{ n: number }>(db, sql`SELECT count(*)::int AS n FROM engagement_events`)) as [{ n: number }];
    expect(n).toBeGreaterThan(50);
    expect(n).toBeLessThanOrEqual(sent.length);
    const [{ q }] = (await queryRows<{ q: number }>(db, sql`SELECT count(*)::int AS q FROM engagement_rollup_queue`)) as [{ q: number }];
    expect(q).toBe(0);
    // ...and the cells compared above held rated posts, not nothing.
    const [{ rated }] = (await queryRows<{ rated: number }>(db, sql`SELECT coalesce(sum(posts_count), 0)::int AS rated FROM posting_slot_stats`)) as [{ rated: number }];
    expect(rated).toBeGreaterThan(0);
  });

  it('a late event raises its own day and every later day of its post, and only those', async () => {
    const db = t.db;
    const user = await createUser(db);
    const post = await createPost(db, { userId: user });
    await insertEvents(db, [
      { postId: post, at: '2026-11-02T10:00:00Z', key: 'late-1', type: 'like' },
      { postId: post, at: '2026-11-04T10:00:00Z', key: 'late-2', type: 'like' },
      { postId: post, at: '2026-11-06T10:00:00Z', key: 'late-3', type: 'like' },
    ].map((e, i) => ({ ...e, key: 9_000_000 + i })));
    await refreshPostAnalytics(db);
    await insertEvents(db, [{ postId: post, at: '2026-11-03T23:59:59Z', key: 9_000_010, type: 'like' }]);
    const result = await refreshPostAnalytics(db);
    expect(result.queuedEvents).toBe(1);
    const rows = (await analyticsRows(db)).filter((x) => x.post_id === post);
    expect(rows.map((x) => [x.day, x.likes])).toEqual([
      ['2026-11-02', 1],
      ['2026-11-03', 2],
      ['2026-11-04', 3],
      ['2026-11-06', 4],
    ]);
  });

  it('rebuilds from since, and a full rebuild equals the incremental result', async () => {
    const db = t.db;
    const before = await analyticsRows(db);
    // Damage rows the way a bug or a manual edit would; a rebuild from before the damage repairs them.
    await db.execute(sql`UPDATE post_analytics SET likes_count = likes_count + 7 WHERE analysis_date >= '2026-11-10'`);
    const partial = await refreshPostAnalytics(db, { since: new Date('2026-11-10T15:00:00Z') });
    expect(partial.mode).toBe('rebuild');
    expect(partial.since?.toISOString()).toBe('2026-11-10T00:00:00.000Z');
    expect(await analyticsRows(db)).toEqual(before);
    await db.execute(sql`UPDATE post_analytics SET views_count = 0`);
    const full = await refreshPostAnalytics(db, { since: new Date(0) });
    expect(full.recountedEvents).toBeGreaterThan(0);
    expect(await analyticsRows(db)).toEqual(before);
    expect(await analyticsRows(db)).toEqual(await bruteForceRows(db));
  });

  it('reports events of posts that do not exist instead of dropping them silently', async () => {
    const db = t.db;
    await insertEvents(db, [
      { postId: '00000000-0000-4000-8000-00000000dead', at: '2026-11-12T10:00:00Z', key: 9_100_000, type: 'like' },
      { postId: '00000000-0000-4000-8000-00000000dead', at: '2026-11-12T11:00:00Z', key: 9_100_001, type: 'view' },
    ]);
    const result = await refreshPostAnalytics(db);
    expect(result).toMatchObject({ eventsWithoutPost: 2, postsMissing: 1 });
    const state = await queryRows<{ r: { eventsWithoutPost: number } }>(
      db,
      sql`SELECT last_result AS r FROM post_analytics_refresh_state WHERE id = 1`,
    );
    expect(state[0]!.r.eventsWithoutPost).toBe(2);
  });

  it('deleting events through the table takes them out of the counts', async () => {
    const db = t.db;
    const user = await createUser(db);
    const post = await createPost(db, { userId: user });
    await insertEvents(db, [
      { postId: post, at: '2026-11-08T10:00:00Z', key: 9_200_000, type: 'share' },
      { postId: post, at: '2026-11-09T10:00:00Z', key: 9_200_001, type: 'share' },
    ]);
    await refreshPostAnalytics(db);
    await db.execute(sql`DELETE FROM engagement_events WHERE event_key = 9200000`);
    await refreshPostAnalytics(db);
    const rows = (await analyticsRows(db)).filter((x) => x.post_id === post);
    expect(rows.map((x) => [x.day, x.shares])).toEqual([
      ['2026-11-08', 0],
      ['2026-11-09', 1],
    ]);
  });

  it('rejects a since in the future, naming the field', async () => {
    await expect(refreshPostAnalytics(t.db, { since: new Date(Date.now() + 86_400_000) })).rejects.toThrow(
      /refreshPostAnalytics: since: is in the future/,
    );
    await expect(refreshPostAnalytics(t.db, { since: new Date('nope') })).rejects.toThrow(/since/);
  });
});
