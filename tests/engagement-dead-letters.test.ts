import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { close, createDb, queryRows } from '../src/db.js';
import {
  ingestEngagementWebhook,
  recordEngagementEvents,
  replayDeadLetters,
  type EngagementEventInput,
  type ReplayDeadLettersResult,
} from '../src/queries/engagement/index.js';
import { useTestDb } from './support/db.js';
import { createPublishedPost, createUser } from './support/fixtures.js';

// Dead letters under repetition and concurrency: what a webhook endpoint and a replay worker do in
// production (platforms redeliver, workers overlap).

const t = useTestDb({ max: 8 });
let user: string;

beforeAll(async () => {
  user = await createUser(t.db);
});

const pending = async (source: string) =>
  queryRows<{ id: number; kind: string; replay_attempts: number; replayed_at: Date | null }>(
    t.db,
    sql`SELECT id::int AS id, kind, replay_attempts, replayed_at FROM engagement_dead_letters WHERE source = ${source} ORDER BY id`,
  );

describe('replayDeadLetters, two or more at once', () => {
  it('each dead letter is replayed once: none lost, none doubled, every event stored once', async () => {
    const n = 400;
    const events: EngagementEventInput[] = Array.from({ length: n }, (_, i) => ({
      platform: 'instagram',
      platformPostId: 'dl-concurrent',
      eventType: 'comment',
      eventTimestamp: new Date(Date.UTC(2026, 10, 20, 8) + i * 1000),
      platformEventId: `dl-conc-${i}`,
      eventMetadata: { text: `comment ${i}` },
    }));
    const first = await recordEngagementEvents(t.db, events, { source: 'dl-concurrent' });
    expect(first.rejected).toHaveLength(n);
    expect(await pending('dl-concurrent')).toHaveLength(n);
    const postId = await createPublishedPost(t.db, 'instagram', 'dl-concurrent', user);

    // Four workers on four connections, each taking up to 80 letters, all at once; then a fifth
    // picks up whatever none of them took.
    const workers = Array.from({ length: 4 }, () => createDb(t.url, { max: 1 }));
    let results: ReplayDeadLettersResult[];
    try {
      results = await Promise.all(workers.map((db) => replayDeadLetters(db, { source: 'dl-concurrent', limit: 80 })));
    } finally {
      await Promise.all(workers.map((db) => close(db)));
    }
    const rest = await replayDeadLetters(t.db, { source: 'dl-concurrent' });
    const all = [...results, rest];
    const sum = (k: 'attempted' | 'replayed' | 'inserted' | 'duplicates') => all.reduce((s, r) => s + r[k], 0);
    expect({ attempted: sum('attempted'), replayed: sum('replayed'), inserted: sum('inserted'), duplicates: sum('duplicates') }).toEqual({
      attempted: n,
      replayed: n,
      inserted: n,
      duplicates: 0,
    });
    expect(all.flatMap((r) => r.stillFailing)).toEqual([]);
    // At most 80 each: the four together could not take all 400, so the fifth had work too.
    expect(results.every((r) => r.attempted <= 80)).toBe(true);
    expect(rest.attempted).toBeGreaterThanOrEqual(n - 4 * 80);

    const letters = await pending('dl-concurrent');
    expect(letters.filter((l) => l.replayed_at === null || l.replay_attempts !== 1)).toEqual([]);
    const [stored] = await queryRows<{ n: number; distinct_texts: number }>(
      t.db,
      sql`SELECT count(*)::int AS n, count(DISTINCT event_metadata->>'text')::int AS distinct_texts FROM engagement_events WHERE post_id = ${postId}`,
    );
    expect(stored).toEqual({ n, distinct_texts: n });
    expect((await replayDeadLetters(t.db, { source: 'dl-concurrent' })).attempted).toBe(0);
  });

  it('two replays of the same ids at once: one takes them, the other skips them (SKIP LOCKED), nothing twice', async () => {
    const events: EngagementEventInput[] = Array.from({ length: 20 }, (_, i) => ({
      platform: 'tiktok',
      platformPostId: 'dl-same-ids',
      eventType: 'like',
      eventTimestamp: new Date(Date.UTC(2026, 10, 21, 8) + i * 1000),
      platformUserId: `fan-${i}`,
    }));
    await recordEngagementEvents(t.db, events, { source: 'dl-same-ids' });
    const ids = (await pending('dl-same-ids')).map((l) => l.id);
    expect(ids).toHaveLength(20);
    await createPublishedPost(t.db, 'tiktok', 'dl-same-ids', user);
    const a = createDb(t.url, { max: 1 });
    const b = createDb(t.url, { max: 1 });
    try {
      const [ra, rb] = await Promise.all([replayDeadLetters(a, { ids }), replayDeadLetters(b, { ids })]);
      expect(ra.replayed + rb.replayed).toBe(20);
      expect(ra.inserted + rb.inserted).toBe(20);
      expect(ra.duplicates + rb.duplicates).toBe(0);
    } finally {
      await close(a);
      await close(b);
    }
    expect((await pending('dl-same-ids')).map((l) => l.replay_attempts)).toEqual(Array(20).fill(1));
  });
});

describe('the same bad webhook delivered twice', () => {
  // Platforms redeliver until they get a 200; an endpoint that answers 200 after dead-lettering still
  // sees a body twice when its first answer is lost. One dead letter per distinct bad item.
  const unreadable = {
    object: 'instagram',
    entry: [{ id: '178', time: 1763977000, changes: [{ field: 'comments', value: { id: 'dl-twice-bad', text: 'no media' } }] }],
  };
  const unknownPost = {
    object: 'instagram',
    entry: [
      {
        id: '178',
        time: 1763977000,
        changes: [{ field: 'comments', value: { id: 'dl-twice-c1', from: { id: '5', username: 'early' }, text: 'first', media: { id: 'dl-twice-later' } } }],
      },
    ],
  };

  it('an item the parser refuses: one dead letter, not two', async () => {
    for (let i = 0; i < 2; i++) {
      const r = await ingestEngagementWebhook(t.db, 'instagram', JSON.parse(JSON.stringify(unreadable)));
      expect(r.parseRejected.map((x) => x.field)).toEqual(['entry[0].changes[0].value.media']);
    }
    const letters = await queryRows<{ n: number }>(
      t.db,
      sql`SELECT count(*)::int AS n FROM engagement_dead_letters WHERE kind = 'webhook' AND payload @> '{"entry":[{"changes":[{"value":{"id":"dl-twice-bad"}}]}]}'`,
    );
    expect(letters[0]!.n).toBe(1);
  });

  it('an event for a post not stored yet: one dead letter, replayed once into one event', async () => {
    for (let i = 0; i < 2; i++) {
      const r = await ingestEngagementWebhook(t.db, 'instagram', JSON.parse(JSON.stringify(unknownPost)));
      expect(r.rejected.map((x) => x.field)).toEqual(['platformPostId']);
    }
    const letters = await queryRows<{ id: number }>(
      t.db,
      sql`SELECT id::int AS id FROM engagement_dead_letters WHERE kind = 'event' AND payload->>'platformEventId' = 'dl-twice-c1'`,
    );
    expect(letters).toHaveLength(1);
    await createPublishedPost(t.db, 'instagram', 'dl-twice-later', user);
    expect(await replayDeadLetters(t.db, { ids: letters.map((l) => l.id) })).toMatchObject({ attempted: 1, replayed: 1, inserted: 1, duplicates: 0 });
    // Redelivered after the replay: stored already, so a duplicate and no new letter.
    expect(await ingestEngagementWebhook(t.db, 'instagram', unknownPost)).toMatchObject({ inserted: 0, duplicates: 1, rejected: [] });
  });

  it('delivered twice at the same moment (two connections): still one dead letter of each', async () => {
    const body = (round: number) => ({
      object: 'instagram',
      entry: [
        {
          id: '178',
          time: 1763977000,
          changes: [
            { field: 'comments', value: { id: `dl-race-bad-${round}`, text: 'no media' } },
            { field: 'comments', value: { id: `dl-race-c-${round}`, from: { id: '7' }, text: 'hi', media: { id: 'dl-race-post' } } },
          ],
        },
      ],
    });
    const a = createDb(t.url, { max: 1 });
    const b = createDb(t.url, { max: 1 });
    const rounds = 20;
    try {
      // A new body each round, so both deliveries find no letter yet and race to write one.
      for (let round = 0; round < rounds; round++) {
        await Promise.all([ingestEngagementWebhook(a, 'instagram', body(round)), ingestEngagementWebhook(b, 'instagram', body(round))]);
      }
    } finally {
      await close(a);
      await close(b);
    }
    const kinds = await queryRows<{ kind: string; n: number }>(
      t.db,
      sql`SELECT kind, count(*)::int AS n FROM engagement_dead_letters
          WHERE payload::text LIKE '%dl-race-%' GROUP BY kind ORDER BY kind`,
    );
    expect(kinds).toEqual([
      { kind: 'event', n: rounds },
      { kind: 'webhook', n: rounds },
    ]);
  });

  it('the same bad row twice in one call: one dead letter, both rows reported', async () => {
    const bad = { postId: '00000000-0000-4000-8000-000000000001', eventType: 'poke', eventTimestamp: '2026-11-20T08:00:00Z' };
    const r = await recordEngagementEvents(t.db, [bad, { ...bad }] as unknown as EngagementEventInput[], { source: 'dl-in-call' });
    expect(r.rejected.map((x) => x.index)).toEqual([0, 1]);
    expect(await pending('dl-in-call')).toHaveLength(1);
  });

  it('a bad item that was replayed and fails again later is a new dead letter (only pending ones are matched)', async () => {
    const body = {
      object: 'instagram',
      entry: [{ id: '178', time: 1763977000, changes: [{ field: 'comments', value: { id: 'dl-again', from: { id: '6' }, text: 'x', media: { id: 'dl-again-post' } } }] }],
    };
    await ingestEngagementWebhook(t.db, 'instagram', body);
    const [letter] = await queryRows<{ id: number }>(t.db, sql`SELECT id::int AS id FROM engagement_dead_letters WHERE payload->>'platformEventId' = 'dl-again'`);
    // Mark it handled by hand (an operator's decision), then the platform sends the same item again.
    await t.db.execute(sql`UPDATE engagement_dead_letters SET replayed_at = now() WHERE id = ${letter!.id}`);
    await ingestEngagementWebhook(t.db, 'instagram', body);
    const rows = await queryRows<{ pending: boolean }>(
      t.db,
      sql`SELECT replayed_at IS NULL AS pending FROM engagement_dead_letters WHERE payload->>'platformEventId' = 'dl-again' ORDER BY id`,
    );
    expect(rows).toEqual([{ pending: false }, { pending: true }]);
  });
});
