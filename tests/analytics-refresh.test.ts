import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { queryRows, type PostgresDb } from '../src/db.js';
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
import { fc, runs } from './support/property.js';

const t = useTestDb({ max: 8 });

const TYPES = ['like', 'comment', 'share', 'save', 'view', 'profile_visit', 'website_click'] as const;

/** An event as generated: which post, when in 2026-11-05 .. 2026-11-20, what type. */
interface GenEvent {
  post: number;
  day: number;
  hour: number;
  minute: number;
  type: (typeof TYPES)[number];
}
const genEvent = fc.record({
  post: fc.nat(5),
  day: fc.integer({ min: 5, max: 20 }),
  hour: fc.integer({ min: 0, max: 23 }),
  minute: fc.integer({ min: 0, max: 59 }),
  type: fc.constantFrom(...TYPES),
});
const genBatch = (max: number) => fc.array(genEvent, { minLength: 1, maxLength: max });

/** What the commands share: the database, its posts, the next event key and every event sent. */
interface Real {
  db: PostgresDb;
  posts: string[];
  nextKey: number;
  sent: EventFixture[];
}

/** Events to send: each gets a new key (so "late" events on days long since folded are new events). */
function materialize(real: Real, events: GenEvent[]): EventFixture[] {
  return events.map((g) => {
    const at = `2026-11-${String(g.day).padStart(2, '0')}T${String(g.hour).padStart(2, '0')}:${String(g.minute).padStart(2, '0')}:00Z`;
    const e = { postId: real.posts[g.post]!, at, key: real.nextKey++, type: g.type };
    real.sent.push(e);
    return e;
  });
}

/** After every command: post_analytics equals the brute force, and the best-posting-hours cells follow. */
async function check(real: Real, label: string) {
  await refreshPostAnalytics(real.db);
  expect(await analyticsRows(real.db), label).toEqual(await bruteForceRows(real.db));
  expect(await postingSlotStatsDiff(real.db), `posting_slot_stats, ${label}`).toBe(0);
}

type Cmd = fc.AsyncCommand<object, Real>;
const always = () => true;

/** Plain batches, then a refresh. */
class PlainBatches implements Cmd {
  constructor(readonly a: GenEvent[], readonly b: GenEvent[]) {}
  check = always;
  async run(_: object, real: Real) {
    await insertEvents(real.db, materialize(real, this.a));
    await insertEvents(real.db, materialize(real, this.b));
    await check(real, this.toString());
  }
  toString = () => `PlainBatches(${this.a.length}, ${this.b.length})`;
}

/**
 * A batch whose transaction is still open while refreshes run: it must be neither counted now nor
 * missed later; a rolled-back one never counts.
 */
class BatchInFlight implements Cmd {
  constructor(readonly open: GenEvent[], readonly meanwhile: GenEvent[], readonly commit: boolean) {}
  check = always;
  async run(_: object, real: Real) {
    const conn = await real.db.$client.reserve();
    try {
      await conn.unsafe('BEGIN');
      await conn.unsafe(
        `INSERT INTO engagement_events (post_id, event_timestamp, event_key, event_type)
         SELECT x.post_id, x.at, x.key, x.type FROM jsonb_to_recordset($1::jsonb) AS x(post_id uuid, at timestamptz, key bigint, type text)
         ON CONFLICT DO NOTHING`,
        [eventsJson(materialize(real, this.open))],
      );
      await insertEvents(real.db, materialize(real, this.meanwhile));
      await refreshPostAnalytics(real.db);
      expect(await analyticsRows(real.db), `${this.toString()}: refresh with the batch in flight`).toEqual(await bruteForceRows(real.db));
      await conn.unsafe(this.commit ? 'COMMIT' : 'ROLLBACK');
    } finally {
      conn.release();
    }
    await check(real, this.toString());
  }
  toString = () => `BatchInFlight(${this.open.length}, ${this.meanwhile.length}, ${this.commit ? 'commit' : 'rollback'})`;
}

/** Refreshes racing each other and ingestion on separate connections. */
class RacingRefreshes implements Cmd {
  constructor(readonly a: GenEvent[], readonly b: GenEvent[]) {}
  check = always;
  async run(_: object, real: Real) {
    const [a, b] = [materialize(real, this.a), materialize(real, this.b)];
    await Promise.all([refreshPostAnalytics(real.db), insertEvents(real.db, a), refreshPostAnalytics(real.db), insertEvents(real.db, b), refreshPostAnalytics(real.db)]);
    await check(real, this.toString());
  }
  toString = () => `RacingRefreshes(${this.a.length}, ${this.b.length})`;
}

/** A rebuild from a given day racing an incremental run and ingestion. */
class RebuildRacing implements Cmd {
  constructor(readonly sinceDay: number, readonly batch: GenEvent[]) {}
  check = always;
  async run(_: object, real: Real) {
    const events = materialize(real, this.batch);
    await Promise.all([
      refreshPostAnalytics(real.db, { since: new Date(`2026-11-${String(this.sinceDay).padStart(2, '0')}T12:00:00Z`) }),
      insertEvents(real.db, events),
      refreshPostAnalytics(real.db),
    ]);
    await check(real, this.toString());
  }
  toString = () => `RebuildRacing(since 2026-11-${this.sinceDay}, ${this.batch.length})`;
}

/** Redelivered webhooks: events sent before, again (they change nothing), then new ones. */
class Redeliver implements Cmd {
  constructor(readonly picks: number[], readonly fresh: GenEvent[]) {}
  check = always;
  async run(_: object, real: Real) {
    if (real.sent.length > 0) await insertEvents(real.db, this.picks.map((i) => real.sent[i % real.sent.length]!));
    await insertEvents(real.db, materialize(real, this.fresh));
    await check(real, this.toString());
  }
  toString = () => `Redeliver(${this.picks.length}, ${this.fresh.length})`;
}

const commands = [
  fc.tuple(genBatch(60), genBatch(60)).map(([a, b]) => new PlainBatches(a, b)),
  fc.tuple(genBatch(80), genBatch(30), fc.boolean()).map(([a, b, c]) => new BatchInFlight(a, b, c)),
  fc.tuple(genBatch(50), genBatch(50)).map(([a, b]) => new RacingRefreshes(a, b)),
  fc.tuple(fc.integer({ min: 5, max: 21 }), genBatch(50)).map(([d, b]) => new RebuildRacing(d, b)),
  fc.tuple(fc.array(fc.nat(), { minLength: 1, maxLength: 40 }), genBatch(20)).map(([p, b]) => new Redeliver(p, b)),
];

describe('refresh_post_analytics: exact under any interleaving', () => {
  it('equals a brute-force count over the raw events after any sequence of batches, late events, rollbacks and concurrent refreshes', async () => {
    const db = t.db;
    const user = await createUser(db);
    const accounts = [await createAccount(db, user), await createAccount(db, user)];
    // Followers, so posts get engagement rates (and best-posting-hours cells that every refresh moves).
    for (const a of accounts) {
      await db.execute(sql`INSERT INTO account_follower_history (account_id, recorded_on, follower_count) VALUES (${a}::uuid, '2026-11-01', 1000)`);
    }
    const posts: string[] = [];
    for (let i = 0; i < 6; i++) posts.push(await createPost(db, { userId: user, accountId: i === 5 ? null : accounts[i % 2]! }));
    const real: Real = { db, posts, nextKey: 1, sent: [] };

    // Model-based: fast-check draws sequences of these commands (each checks the invariant after it
    // runs) and, on a failure, shrinks to the shortest sequence with the smallest batches that fails.
    // Every run goes on on the same database: the invariant holds whatever came before.
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 5 }), (cmds) => fc.asyncModelRun(() => ({ model: {}, real }), cmds)),
      { numRuns: runs(4) },
    );

    // The raw table holds what was sent, minus rolled-back batches: the comparison was over real data.
    const [{ n }] = (await queryRows<{ n: number }>(db, sql`SELECT count(*)::int AS n FROM engagement_events`)) as [{ n: number }];
    expect(n).toBeGreaterThan(50);
    expect(n).toBeLessThanOrEqual(real.sent.length);
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
    // Every event carries its post's workspace, so an event of a post that does not exist is one whose
    // post was deleted after it arrived (events have no foreign key: they are partitioned).
    const user = await createUser(db);
    const gone = await createPost(db, { userId: user });
    await insertEvents(db, [
      { postId: gone, at: '2026-11-12T10:00:00Z', key: 9_100_000, type: 'like' },
      { postId: gone, at: '2026-11-12T11:00:00Z', key: 9_100_001, type: 'view' },
    ]);
    await db.execute(sql`DELETE FROM social_posts WHERE id = ${gone}::uuid`);
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
