import { createHash, randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { close, createDb, createEmbeddedDb, queryRows, type Db } from '../src/db.js';
import { migrate } from '../src/migrate.js';
import {
  engagementEventInputSchema,
  eventKey,
  eventKeyText,
  eventKeySource,
  ingestEngagementWebhook,
  recordEngagementEvents,
  replayDeadLetters,
  type EngagementEventInput,
  type EngagementRejection,
} from '../src/queries/engagement/index.js';
import { validateSegment } from '../src/queries/engagement/validate.js';
import { useTestDb } from './support/db.js';
import { fc, runs } from './support/property.js';
import { createPublishedPost, createUser } from './support/fixtures.js';
import { withDatabase } from './support/server.js';

const t = useTestDb();

const USER = randomUUID();
/** platform_post_id -> post uuid, for the posts every test can use. */
const posts = new Map<string, string>();

const createPost = (db: Db, platform: string, platformPostId: string, userId = USER) => createPublishedPost(db, platform, platformPostId, userId);

async function countEvents(db: Db, where = sql`true`): Promise<number> {
  const [row] = await queryRows<{ n: number }>(db, sql`SELECT count(*)::int AS n FROM engagement_events WHERE ${where}`);
  return row!.n;
}

beforeAll(async () => {
  await createUser(t.db, { id: USER });
  for (const [platform, ppid] of [
    ['instagram', 'ig_1'],
    ['instagram', 'ig_2'],
    ['tiktok', 'tt_1'],
    ['youtube', 'yt_1'],
  ] as const) {
    posts.set(ppid, await createPost(t.db, platform, ppid));
  }
});

const at = (iso: string) => new Date(iso);

describe('eventKey', () => {
  it('equals SQL engagement_event_key() for the same source', async () => {
    const sources = ['instagram:17895695668004550', 'tiktok:c-1', 'youtube:Ugz…😀', '', 'a'.repeat(1000)];
    for (const source of sources) {
      const [row] = await queryRows<{ k: string }>(t.db, sql`SELECT engagement_event_key(${source})::text AS k`);
      expect(eventKey(source).toString()).toBe(row!.k);
    }
  });

  it('eventKeyText is the first 64 bits of SHA-256 as a signed decimal, for negative and positive keys alike', async () => {
    let negative = 0;
    let positive = 0;
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (source) => {
        const key = createHash('sha256').update(source, 'utf8').digest().readBigInt64BE(0);
        if (key < 0n) negative++;
        else positive++;
        expect(eventKeyText(source)).toBe(key.toString());
        expect(eventKey(source)).toBe(key);
      }),
      { numRuns: runs(5_000) },
    );
    expect(Math.min(negative, positive)).toBeGreaterThan(1_000); // both halves of the range were exercised
  });

  it('eventKey equals SQL engagement_event_key() for any text PostgreSQL can hold', async () => {
    // No NUL and no lone surrogate: text cannot hold them (ingestion refuses such ids before hashing).
    const text = fc.string({ unit: 'grapheme', maxLength: 60 }).filter((s) => !s.includes('\u0000'));
    await fc.assert(
      fc.asyncProperty(fc.array(text, { minLength: 1, maxLength: 50 }), async (sources) => {
        const rows = await queryRows<{ k: string }>(
          t.db,
          sql`SELECT engagement_event_key(s)::text AS k FROM jsonb_array_elements_text(${JSON.stringify(sources)}::jsonb) WITH ORDINALITY AS u(s, i) ORDER BY i`,
        );
        expect(rows.map((r) => r.k)).toEqual(sources.map((s) => eventKey(s).toString()));
      }),
      { numRuns: runs(40) },
    );
  });

  it('is what recordEngagementEvents stores, from the documented source strings', async () => {
    const postId = posts.get('ig_2')!;
    const when = at('2026-11-20T08:00:00.123Z');
    await recordEngagementEvents(t.db, [
      { postId, eventType: 'like', eventTimestamp: when, platformUserId: 'key-user' },
      { platform: 'instagram', platformPostId: 'ig_2', eventType: 'comment', eventTimestamp: when, platformEventId: 'key-c1' },
    ]);
    const rows = await queryRows<{ event_type: string; k: string }>(
      t.db,
      sql`SELECT event_type, event_key::text AS k FROM engagement_events WHERE event_timestamp = ${when.toISOString()}::timestamptz ORDER BY event_type`,
    );
    expect(rows).toEqual([
      { event_type: 'comment', k: eventKey('instagram:key-c1').toString() },
      {
        event_type: 'like',
        k: eventKey(`instagram:${postId}:like:key-user:2026-11-20T08:00:00.123Z`).toString(),
      },
    ]);
    expect(eventKeySource({ platform: 'instagram', postId, eventType: 'like', eventTimestamp: when, platformUserId: 'key-user' })).toBe(
      `instagram:${postId}:like:key-user:2026-11-20T08:00:00.123Z`,
    );
  });
});

describe('recordEngagementEvents', () => {
  it('stores every good row of a mixed batch and reports (and dead-letters) every bad one with its field', async () => {
    const ig1 = posts.get('ig_1')!;
    const base = { postId: ig1, eventTimestamp: '2026-11-21T10:00:00Z' };
    const batch: unknown[] = [
      { ...base, eventType: 'like', platformEventId: 'mix-0' }, // 0 good
      { ...base, eventType: 'poke', platformEventId: 'mix-1' }, // 1 eventType
      { ...base, eventType: 'like', eventTimestamp: '21/11/2026', platformEventId: 'mix-2' }, // 2 eventTimestamp
      { ...base, eventType: 'view', eventValue: -5, platformEventId: 'mix-3' }, // 3 eventValue
      { ...base, eventType: 'view', eventValue: 10_000_000, platformEventId: 'mix-4' }, // 4 eventValue
      { ...base, eventType: 'like', countryCode: 'USA', platformEventId: 'mix-5' }, // 5 countryCode
      { ...base, eventType: 'like', countryCode: 'de', ageRange: '25-34', gender: 'female', platformEventId: 'mix-6' }, // 6 good
      { postId: randomUUID(), eventType: 'like', eventTimestamp: '2026-11-21T10:00:00Z' }, // 7 postId
      { platform: 'instagram', platformPostId: 'nope', eventType: 'like', eventTimestamp: '2026-11-21T10:00:00Z' }, // 8 platformPostId
      { platform: 'myspace', platformPostId: 'ig_1', eventType: 'like', eventTimestamp: '2026-11-21T10:00:00Z' }, // 9 platform
      { ...base, eventType: 'like', platformUsername: 'bad\u0000name', platformEventId: 'mix-10' }, // 10 platformUsername
      { ...base, evntType: 'like', eventType: 'like', platformEventId: 'mix-11' }, // 11 evntType (unknown field)
      { eventType: 'like', eventTimestamp: '2026-11-21T10:00:00Z' }, // 12 postId (no post named)
      { ...base, eventType: 'comment', platformEventId: 'mix-13', eventMetadata: { text: 'love it #legday' } }, // 13 good
      { ...base, eventType: 'like', userFollowerCount: 1.5, platformEventId: 'mix-14' }, // 14 userFollowerCount
      { ...base, eventType: 'like', eventTimestamp: new Date('invalid'), platformEventId: 'mix-15' }, // 15 eventTimestamp
      'not an object', // 16
      { ...base, eventType: 'like', platform: 'tiktok', platformEventId: 'mix-17' }, // 17 platform (post is on instagram)
    ];
    const result = await recordEngagementEvents(t.db, batch as EngagementEventInput[], { source: 'mixed-test' });

    expect(result.inserted).toBe(3);
    expect(result.duplicates).toBe(0);
    expect(result.rejected.map((r) => [r.index, r.field])).toEqual([
      [1, 'eventType'],
      [2, 'eventTimestamp'],
      [3, 'eventValue'],
      [4, 'eventValue'],
      [5, 'countryCode'],
      [7, 'postId'],
      [8, 'platformPostId'],
      [9, 'platform'],
      [10, 'platformUsername'],
      [11, 'evntType'],
      [12, 'postId'],
      [14, 'userFollowerCount'],
      [15, 'eventTimestamp'],
      [16, '(row)'],
      [17, 'platform'],
    ]);
    for (const r of result.rejected) expect(r.error.length).toBeGreaterThan(5);

    const stored = await queryRows<{ country_code: string | null; event_metadata: unknown }>(
      t.db,
      sql`SELECT country_code, event_metadata FROM engagement_events WHERE post_id = ${ig1} AND event_timestamp = '2026-11-21T10:00:00Z' ORDER BY event_type, country_code`,
    );
    expect(stored).toEqual([
      { country_code: null, event_metadata: { text: 'love it #legday' } },
      { country_code: 'DE', event_metadata: null },
      { country_code: null, event_metadata: null },
    ]);

    const letters = await queryRows<{ batch_index: number; field: string; reason: string; payload: unknown; source: string; replayed_at: Date | null }>(
      t.db,
      sql`SELECT batch_index, field, reason, payload, source, replayed_at FROM engagement_dead_letters WHERE source = 'mixed-test' ORDER BY batch_index`,
    );
    expect(letters.map((l) => [l.batch_index, l.field])).toEqual(result.rejected.map((r) => [r.index, r.field]));
    expect(letters.every((l) => l.replayed_at === null && l.reason.length > 0)).toBe(true);
    // The raw input is kept as it came (a Date became its JSON form, the NUL a replacement character).
    expect(letters.find((l) => l.batch_index === 1)!.payload).toEqual(JSON.parse(JSON.stringify(batch[1])));
    expect(letters.find((l) => l.batch_index === 10)!.payload).toMatchObject({ platformUsername: 'bad\uFFFDname' });
    expect(letters.find((l) => l.batch_index === 16)!.payload).toBe('not an object');
  });

  it('reads a post uuid in upper case as the same post (and the same event key)', async () => {
    const postId = posts.get('ig_1')!;
    const event = (id: string): EngagementEventInput => ({
      postId: id,
      eventType: 'save',
      eventTimestamp: at('2026-10-09T08:00:00Z'),
      platformUserId: 'case-user',
    });
    expect(await recordEngagementEvents(t.db, [event(postId.toUpperCase())])).toEqual({ inserted: 1, duplicates: 0, rejected: [] });
    expect(await recordEngagementEvents(t.db, [event(postId)])).toEqual({ inserted: 0, duplicates: 1, rejected: [] });
  });

  it('counts redeliveries and in-batch repeats as duplicates, never storing them twice', async () => {
    const postId = posts.get('tt_1')!;
    const batch: EngagementEventInput[] = Array.from({ length: 50 }, (_, i) => ({
      platform: 'tiktok',
      platformPostId: 'tt_1',
      eventType: 'like',
      eventTimestamp: at(`2026-11-22T00:00:${String(i % 40).padStart(2, '0')}Z`),
      platformUserId: `dup-user-${i % 40}`, // rows 40..49 repeat rows 0..9 exactly
    }));
    const first = await recordEngagementEvents(t.db, batch);
    expect(first).toEqual({ inserted: 40, duplicates: 10, rejected: [] });
    const second = await recordEngagementEvents(t.db, batch, { chunkSize: 7 });
    expect(second).toEqual({ inserted: 0, duplicates: 50, rejected: [] });
    expect(await countEvents(t.db, sql`post_id = ${postId}`)).toBe(40);
  });

  it('a duplicate met part-way through a call (plain INSERT refused) loses nothing, also inside a caller transaction', async () => {
    const postId = posts.get('yt_1')!;
    const event = (i: number): EngagementEventInput => ({
      postId,
      eventType: 'view',
      eventTimestamp: at(`2026-11-21T10:${String(Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}Z`),
      platformEventId: `mid-call-${i}`,
    });
    // Stored before: rows 150..159. The call's first chunks are clean, a later one meets them.
    expect(await recordEngagementEvents(t.db, Array.from({ length: 10 }, (_, k) => event(150 + k)))).toMatchObject({ inserted: 10 });
    const batch = Array.from({ length: 200 }, (_, i) => event(i));
    batch.push(event(3)); // and a repeat inside the batch
    const result = await recordEngagementEvents(t.db, batch, { chunkSize: 25, concurrency: 3 });
    expect(result).toEqual({ inserted: 190, duplicates: 11, rejected: [] });
    expect(await countEvents(t.db, sql`post_id = ${postId} AND event_timestamp >= '2026-11-21' AND event_timestamp < '2026-11-22'`)).toBe(200);

    // In a transaction the refused statement is confined to a savepoint: the transaction goes on.
    const more = Array.from({ length: 60 }, (_, i) => event(180 + i)); // 20 stored, 40 new
    const inTx = await t.db.transaction(async (tx) => {
      const r = await recordEngagementEvents(tx, more, { chunkSize: 10 });
      const [row] = await queryRows<{ n: number }>(
        tx,
        sql`SELECT count(*)::int AS n FROM engagement_events
            WHERE post_id = ${postId} AND event_timestamp >= '2026-11-21' AND event_timestamp < '2026-11-22'`,
      );
      return { r, n: Number(row!.n) };
    });
    expect(inTx.r).toEqual({ inserted: 40, duplicates: 20, rejected: [] });
    expect(inTx.n).toBe(240);

    // Several segments in a transaction, the duplicate met in the second one.
    const big = Array.from({ length: 25_000 }, (_, i) => ({
      ...event(0),
      eventTimestamp: new Date(Date.UTC(2026, 8, 15) + i * 1000),
      platformEventId: `mid-call-tx-${i}`,
    }));
    await recordEngagementEvents(t.db, [big[22_222]!]);
    const bigTx = await t.db.transaction((tx) => recordEngagementEvents(tx, big));
    expect(bigTx).toEqual({ inserted: 24_999, duplicates: 1, rejected: [] });
  });

  it('a batch of several segments (validated while earlier ones insert) keeps every good row and reports every bad one', async () => {
    const postId = posts.get('ig_1')!;
    const n = 45_000; // segments of 20,000: three of them
    const batch: unknown[] = Array.from({ length: n }, (_, i) => ({
      postId,
      eventType: 'view',
      eventTimestamp: new Date(Date.UTC(2026, 9, 5) + i * 1000),
      platformEventId: `seg-${i}`,
    }));
    const bad = new Map<number, string>([
      [7, 'eventType'],
      [19_999, 'eventTimestamp'],
      [20_000, 'postId'],
      [33_333, 'eventValue'],
      [44_999, 'postId'],
    ]);
    batch[7] = { ...(batch[7] as object), eventType: 'poke' };
    batch[19_999] = { ...(batch[19_999] as object), eventTimestamp: 'yesterday' };
    batch[20_000] = { ...(batch[20_000] as object), postId: randomUUID() };
    batch[33_333] = { ...(batch[33_333] as object), eventValue: -1 };
    batch[44_999] = { ...(batch[44_999] as object), postId: randomUUID() };
    batch.push(batch[5_000]); // a repeat of a first-segment row, in the last segment
    const result = await recordEngagementEvents(t.db, batch as EngagementEventInput[], { chunkSize: 3_000 });
    expect(result.rejected.map((r) => [r.index, r.field])).toEqual([...bad]);
    expect(result.inserted).toBe(n - bad.size);
    expect(result.duplicates).toBe(1);
    expect(
      await countEvents(t.db, sql`post_id = ${postId} AND event_timestamp >= '2026-10-05' AND event_timestamp < '2026-10-06'`),
    ).toBe(n - bad.size);
  });

  it('a failure that is not about a row (a lock timeout) throws with what was stored; calling again stores each event once', async () => {
    const postId = posts.get('tt_1')!;
    const batch: EngagementEventInput[] = Array.from({ length: 30_000 }, (_, i) => ({
      postId,
      eventType: 'view',
      eventTimestamp: new Date(Date.UTC(2026, 9, 7) + i * 1000),
      platformEventId: `fail-${i}`,
    }));
    // lock_timeout here is a session setting sent at connect time, which a transaction pooler cannot
    // carry (PgBouncer refuses the startup parameter): this test of the failure path talks to the
    // server itself, also when the others run through the pooler (SOCIAL_DB_TEST_POOLER_URL).
    const direct = withDatabase(inject('adminUrl'), t.name);
    const db = createDb(direct, { max: 4, postgres: { connection: { lock_timeout: 300 } } });
    const locker = createDb(direct, { max: 1 });
    try {
      let release!: () => void;
      let locked!: () => void;
      const isLocked = new Promise<void>((resolve) => (locked = resolve));
      const held = locker.$client.begin(async (tx) => {
        await tx`LOCK TABLE engagement_events IN SHARE MODE`;
        locked();
        await new Promise<void>((resolve) => (release = resolve));
      });
      await isLocked;
      const failure = await recordEngagementEvents(db, batch, { chunkSize: 5_000 }).catch((err: Error) => err);
      release();
      await held;
      expect(failure).toBeInstanceOf(Error);
      expect((failure as Error).message).toMatch(/an insert failed after 0 valid rows were stored \(0 new\)\. Retrying the whole call is safe/);
      expect(((failure as Error).cause as { code?: string }).code).toBe('55P03');
      const again = await recordEngagementEvents(db, batch);
      expect(again).toEqual({ inserted: 30_000, duplicates: 0, rejected: [] });
      expect(await recordEngagementEvents(db, batch)).toEqual({ inserted: 0, duplicates: 30_000, rejected: [] });
    } finally {
      await close(db);
      await close(locker);
    }
  });

  it('keeps events dated 1999 and two years ahead, in the DEFAULT partition', async () => {
    const postId = posts.get('ig_1')!;
    const old = at('1999-06-15T12:00:00Z');
    const ahead = new Date(Date.now() + 2 * 365 * 24 * 3600 * 1000);
    const result = await recordEngagementEvents(t.db, [
      { postId, eventType: 'view', eventTimestamp: old, eventValue: 30, platformEventId: 'old-1' },
      { postId, eventType: 'like', eventTimestamp: ahead.toISOString(), platformEventId: 'ahead-1' },
    ]);
    expect(result).toEqual({ inserted: 2, duplicates: 0, rejected: [] });
    const rows = await queryRows<{ part: string }>(
      t.db,
      sql`SELECT tableoid::regclass::text AS part FROM engagement_events
          WHERE post_id = ${postId} AND event_timestamp IN (${old.toISOString()}::timestamptz, ${ahead.toISOString()}::timestamptz)`,
    );
    expect(rows.map((r) => r.part)).toEqual(['engagement_events_default', 'engagement_events_default']);
  });

  it('refuses absurd times: before 1970 and over ten years ahead', async () => {
    const postId = posts.get('ig_1')!;
    const result = await recordEngagementEvents(t.db, [
      { postId, eventType: 'like', eventTimestamp: '1969-12-31T23:59:59Z' },
      { postId, eventType: 'like', eventTimestamp: new Date(Date.now() + 11 * 366 * 24 * 3600 * 1000) },
    ]);
    expect(result.inserted).toBe(0);
    expect(result.rejected.map((r) => r.field)).toEqual(['eventTimestamp', 'eventTimestamp']);
  });

  it('8 concurrent connections ingesting overlapping batches end with exactly the distinct events', async () => {
    const postId = posts.get('ig_2')!;
    const distinct = 4000;
    const all: EngagementEventInput[] = Array.from({ length: distinct }, (_, i) => ({
      postId,
      eventType: i % 2 ? 'like' : 'view',
      eventTimestamp: new Date(Date.UTC(2026, 10, 23, 0, 0, 0) + (i % 500) * 1000),
      platformEventId: `conc-${i}`,
    }));
    // Writer w sends 1,500 events starting at w*500, wrapping: every event is sent by 3 writers.
    const batches = Array.from({ length: 8 }, (_, w) =>
      Array.from({ length: 1500 }, (_, k) => all[(w * 500 + k) % distinct]!).reverse(),
    );
    const writers = Array.from({ length: 8 }, () => createDb(t.url, { max: 1 }));
    try {
      const results = await Promise.all(writers.map((db, w) => recordEngagementEvents(db, batches[w]!, { chunkSize: 300 })));
      expect(results.reduce((s, r) => s + r.inserted, 0)).toBe(distinct);
      expect(results.reduce((s, r) => s + r.duplicates, 0)).toBe(8 * 1500 - distinct);
      expect(results.every((r) => r.rejected.length === 0)).toBe(true);
    } finally {
      await Promise.all(writers.map((db) => close(db)));
    }
    expect(
      await countEvents(t.db, sql`post_id = ${postId} AND event_timestamp >= '2026-11-23' AND event_timestamp < '2026-11-24'`),
    ).toBe(distinct);
  });

  it('a row the database refuses (a rule TypeScript does not know) is isolated; the rest of its chunk is stored', async () => {
    const postId = posts.get('ig_1')!;
    await t.db.execute(sql`ALTER TABLE engagement_events ADD CONSTRAINT test_no_profile_visit CHECK (event_type <> 'profile_visit')`);
    try {
      const batch: EngagementEventInput[] = Array.from({ length: 20 }, (_, i) => ({
        postId,
        eventType: i === 7 || i === 13 ? 'profile_visit' : 'save',
        eventTimestamp: at('2026-11-19T09:00:00Z'),
        platformEventId: `db-refused-${i}`,
      }));
      const result = await recordEngagementEvents(t.db, batch, { source: 'db-refusal-test' });
      expect(result.inserted).toBe(18);
      expect(result.rejected.map((r) => [r.index, r.field])).toEqual([
        [7, 'eventType'],
        [13, 'eventType'],
      ]);
      expect(result.rejected[0]!.error).toMatch(/test_no_profile_visit/);
      const [n] = await queryRows<{ n: number }>(t.db, sql`SELECT count(*)::int AS n FROM engagement_dead_letters WHERE source = 'db-refusal-test'`);
      expect(n!.n).toBe(2);
    } finally {
      await t.db.execute(sql`ALTER TABLE engagement_events DROP CONSTRAINT test_no_profile_visit`);
    }
  });

  // Rows drawn from values on both sides of every rule; fast-check shrinks a disagreement to one row
  // with the fewest fields. The pure check runs many rows; the ingestion check runs whole batches.
  const fieldPools: Record<string, unknown[]> = {
    eventType: ['like', 'view', 'LIKE', '', 'poke', 3, undefined],
    eventTimestamp: [
      '2026-11-18T10:00:00Z',
      '2026-11-18T10:00:00.123456Z',
      '2026-11-18T10:00:00+02:00',
      '2026-02-30T10:00:00Z',
      '2026-11-18T24:00:00Z',
      '2026-11-18T10:00Z',
      '2026-11-18',
      new Date('2026-11-18T11:00:00Z'),
      new Date('nope'),
      1763460000,
      undefined,
    ],
    eventValue: [1, 0, 86_400, 86_401, -1, 2.5, '3', null, undefined],
    userFollowerCount: [0, 10, 2_147_483_647, 2_147_483_648, -1, 1.1, null, undefined],
    countryCode: ['US', 'us', ' gb ', 'USA', 'U1', '', null, undefined],
    ageRange: ['18-24', '65+', '18-25', '', null, undefined],
    gender: ['female', 'unknown', 'F', null, undefined],
    platformUserId: ['u1', '', 'x'.repeat(100), 'x'.repeat(101), 'a\u0000b', '\ud800', 7, null, undefined],
    platformEventId: ['fp-a', '', 'x'.repeat(500), 'x'.repeat(501), null, undefined],
    eventMetadata: [{ text: 'hi' }, { text: 'a\u0000' }, { text: '\udc00' }, [], 'text', null, undefined, { n: 1n }],
    extra: [undefined, undefined, undefined, 'surprise'],
  };
  /** A row of the pools: for each field a value or nothing. */
  const genRow = (postId: string) =>
    fc
      .record(
        Object.fromEntries(
          // Mostly the pool's first value (a valid one, and where shrinking goes), else any of the pool:
          // about a third of the rows are valid, and a failing row shrinks to its one odd field.
          Object.entries(fieldPools).map(([field, values]) => [
            field,
            fc.oneof({ arbitrary: fc.constant(values[0]), weight: 4 }, { arbitrary: fc.constantFrom(...values), weight: 1 }),
          ]),
        ),
      )
      .map((picked) => {
        const row: Record<string, unknown> = { postId };
        for (const [field, v] of Object.entries(picked)) if (v !== undefined) row[field] = v;
        return row;
      });
  /** Unique ids keep rows from colliding, so "stored" is visible per row (a row without one gets a user). */
  const uniqueIds = (rows: Record<string, unknown>[], tag: string) =>
    rows.map((row, i) => {
      const r = { ...row };
      const v = r.platformEventId;
      if (typeof v === 'string' && v.length > 0 && v.length <= 500) r.platformEventId = `${tag}-${i}-${v}`.slice(0, 500);
      if (r.platformEventId === undefined || r.platformEventId === null) r.platformUserId = `${tag}-user-${i}`;
      return r;
    });

  it('the fast path never accepts a row the zod schema refuses, nor refuses one it accepts', () => {
    fc.assert(
      fc.property(genRow(posts.get('yt_1')!), (row) => {
        const rejected: EngagementRejection[] = [];
        const batch = validateSegment([row], 0, 1, rejected);
        expect({ accepted: batch.index.length === 1, rejected: rejected.length === 1 }).toEqual({
          accepted: engagementEventInputSchema.safeParse(row).success,
          rejected: !engagementEventInputSchema.safeParse(row).success,
        });
      }),
      { numRuns: runs(1_500) },
    );
  });

  let batchNo = 0;
  it('recordEngagementEvents rejects exactly the rows the zod schema refuses, and stores or finds every other', async () => {
    let bad = 0;
    let good = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(genRow(posts.get('yt_1')!), { minLength: 1, maxLength: 100 }), async (drawn) => {
        const batch = uniqueIds(drawn, `fp-${batchNo++}`);
        const expectedBad = batch.flatMap((row, i) => (engagementEventInputSchema.safeParse(row).success ? [] : [i]));
        bad += expectedBad.length;
        good += batch.length - expectedBad.length;
        const result = await recordEngagementEvents(t.db, batch as EngagementEventInput[], { source: 'fast-path-test' });
        expect(result.rejected.map((r) => r.index)).toEqual(expectedBad);
        expect(result.inserted + result.duplicates).toBe(batch.length - expectedBad.length);
      }),
      { numRuns: runs(25) },
    );
    expect(bad).toBeGreaterThan(40);
    expect(good).toBeGreaterThan(40);
  });
});

describe('dead letters', () => {
  it('an event for an unknown post is dead-lettered, then stored by replay once the post exists', async () => {
    const event: EngagementEventInput = {
      platform: 'instagram',
      platformPostId: 'ig_later',
      eventType: 'comment',
      eventTimestamp: '2026-11-24T09:30:00Z',
      platformEventId: 'late-comment-1',
      eventMetadata: { text: 'first! #fitfam' },
    };
    const first = await recordEngagementEvents(t.db, [event], { source: 'replay-test' });
    expect(first.inserted).toBe(0);
    expect(first.rejected).toEqual([
      { index: 0, field: 'platformPostId', error: "no instagram post with platform_post_id 'ig_later'" },
    ]);

    // Before the post exists a replay changes nothing but the attempt count.
    const early = await replayDeadLetters(t.db, { source: 'replay-test' });
    expect(early).toMatchObject({ attempted: 1, replayed: 0, inserted: 0 });
    expect(early.stillFailing[0]!.field).toBe('platformPostId');

    const postId = await createPost(t.db, 'instagram', 'ig_later');
    const replay = await replayDeadLetters(t.db, { source: 'replay-test' });
    expect(replay).toMatchObject({ attempted: 1, replayed: 1, inserted: 1, duplicates: 0, stillFailing: [] });
    const stored = await queryRows<{ event_metadata: unknown }>(t.db, sql`SELECT event_metadata FROM engagement_events WHERE post_id = ${postId}`);
    expect(stored).toEqual([{ event_metadata: { text: 'first! #fitfam' } }]);

    const [letter] = await queryRows<{ replayed_at: Date | null; replay_attempts: number }>(
      t.db,
      sql`SELECT replayed_at, replay_attempts FROM engagement_dead_letters WHERE source = 'replay-test'`,
    );
    expect(letter!.replayed_at).not.toBeNull();
    expect(letter!.replay_attempts).toBe(2);

    // Replayed letters are not taken again.
    expect(await replayDeadLetters(t.db, { source: 'replay-test' })).toMatchObject({ attempted: 0, replayed: 0 });
  });

  it('a webhook item the parser refused is kept whole and replayable by id', async () => {
    const body = {
      object: 'instagram',
      entry: [{ id: '178', time: 1763977000, changes: [{ field: 'comments', value: { id: 'wh-bad', text: 'no media' } }] }],
    };
    const result = await ingestEngagementWebhook(t.db, 'instagram', body);
    expect(result.parseRejected.map((r) => r.field)).toEqual(['entry[0].changes[0].value.media']);
    const [letter] = await queryRows<{ id: number; kind: string; payload: unknown; platform: string }>(
      t.db,
      sql`SELECT id::int AS id, kind, payload, platform FROM engagement_dead_letters WHERE source = 'webhook:instagram' AND kind = 'webhook'`,
    );
    expect(letter).toMatchObject({ kind: 'webhook', platform: 'instagram', payload: body });
    const replay = await replayDeadLetters(t.db, { ids: [letter!.id] });
    expect(replay.stillFailing).toEqual([{ id: letter!.id, field: 'entry[0].changes[0].value.media', error: expect.any(String) }]);
  });
});

describe('as the API roles', () => {
  it('service_role ingests and dead-letters; anon and authenticated cannot read dead letters', async () => {
    const postId = posts.get('ig_1')!;
    const result = await t.db.transaction(async (tx) => {
      await tx.execute(sql`SET LOCAL ROLE service_role`);
      return recordEngagementEvents(tx, [
        { postId, eventType: 'save', eventTimestamp: '2026-11-18T07:00:00Z', platformEventId: 'role-1' },
        { postId, eventType: 'save', eventTimestamp: 'soon', platformEventId: 'role-2' },
      ], { source: 'role-test' });
    });
    expect(result.inserted).toBe(1);
    expect(result.rejected.map((r) => r.field)).toEqual(['eventTimestamp']);
    const [access] = await queryRows<{ rls: boolean; anon: boolean; authenticated: boolean; service: boolean }>(
      t.db,
      sql`SELECT c.relrowsecurity AS rls,
                 has_table_privilege('anon', c.oid, 'SELECT') AS anon,
                 has_table_privilege('authenticated', c.oid, 'SELECT') AS authenticated,
                 has_table_privilege('service_role', c.oid, 'INSERT') AS service
          FROM pg_class c WHERE c.oid = 'engagement_dead_letters'::regclass`,
    );
    expect(access).toEqual({ rls: true, anon: false, authenticated: false, service: true });
  });
});

describe('webhooks end to end', () => {
  it('a webhook delivered three times is stored once', async () => {
    const body = {
      object: 'instagram',
      entry: [
        {
          id: '17841400000000000',
          time: 1763978400,
          changes: [
            { field: 'comments', value: { id: 'tri-1', from: { id: '901', username: 'lifter' }, text: 'form check? #deadlift', media: { id: 'ig_1', media_product_type: 'FEED' } } },
            { field: 'comments', value: { id: 'tri-2', from: { id: '902', username: 'runner' }, text: 'saved', media: { id: 'ig_2' } } },
          ],
        },
      ],
    };
    const deliveries = [];
    for (let i = 0; i < 3; i++) deliveries.push(await ingestEngagementWebhook(t.db, 'instagram', JSON.parse(JSON.stringify(body))));
    expect(deliveries.map((d) => [d.inserted, d.duplicates])).toEqual([
      [2, 0],
      [0, 2],
      [0, 2],
    ]);
    const rows = await queryRows<{ platform_username: string; text: string }>(
      t.db,
      sql`SELECT platform_username, event_metadata->>'text' AS text FROM engagement_events
          WHERE event_key IN (${eventKey('instagram:tri-1')}, ${eventKey('instagram:tri-2')}) ORDER BY platform_username`,
    );
    expect(rows).toEqual([
      { platform_username: 'lifter', text: 'form check? #deadlift' },
      { platform_username: 'runner', text: 'saved' },
    ]);
  });
});

describe('on embedded PGlite', () => {
  let db: Awaited<ReturnType<typeof createEmbeddedDb>>;
  afterAll(async () => {
    if (db) await close(db);
  });

  it('ingests, deduplicates, dead-letters and replays the same way', async () => {
    db = await createEmbeddedDb();
    await migrate(db);
    const user = randomUUID();
    await createUser(db, { id: user });
    const postId = await createPost(db, 'youtube', 'yt_embedded', user);
    const events: EngagementEventInput[] = [
      ...Array.from({ length: 30 }, (_, i) => ({
        postId,
        eventType: 'view' as const,
        eventTimestamp: new Date(Date.UTC(2026, 10, 24, 1, 0, i)),
        eventValue: 12,
        platformUserId: `viewer-${i % 25}`,
      })),
      { platform: 'youtube', platformPostId: 'yt_pending', eventType: 'comment', eventTimestamp: '2026-11-24T01:00:00Z', platformEventId: 'yt-c1' },
      { postId, eventType: 'view', eventTimestamp: '2026-11-24T01:00:00Z', eventValue: -1 },
    ];
    const first = await recordEngagementEvents(db, events, { chunkSize: 8 });
    expect(first.inserted).toBe(30);
    expect(first.rejected.map((r) => [r.index, r.field])).toEqual([
      [30, 'platformPostId'],
      [31, 'eventValue'],
    ]);
    expect(await recordEngagementEvents(db, events.slice(0, 30))).toEqual({ inserted: 0, duplicates: 30, rejected: [] });

    await createPost(db, 'youtube', 'yt_pending', user);
    const replay = await replayDeadLetters(db);
    expect(replay).toMatchObject({ attempted: 2, replayed: 1, inserted: 1 });
    expect(replay.stillFailing.map((s) => s.field)).toEqual(['eventValue']);
    expect(await countEvents(db)).toBe(31);
  });
});
