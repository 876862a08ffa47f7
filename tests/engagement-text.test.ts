import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { close, createEmbeddedDb, queryRows, type Db } from '../src/db.js';
import { migrate } from '../src/migrate.js';
import { recordEngagementEvents, type EngagementEventInput } from '../src/queries/engagement/index.js';
import { useTestDb } from './support/db.js';
import { createPublishedPost, createUser } from './support/fixtures.js';
import { fc, runs } from './support/property.js';

// recordEngagementEvents sends each column as one PostgreSQL array literal (src/queries/engagement/
// array-literal.ts): text with the literal's own syntax in it (\ " { } , NULL, blanks) must arrive as
// sent, byte for byte, in the text columns and in the jsonb metadata (keys and values).

const NASTY = [
  'back\\slash',
  '\\',
  '\\\\',
  '"quoted"',
  '"',
  '{braces}',
  '{',
  '}',
  '{"a":"b"}',
  'a,b,c',
  ',',
  'NULL',
  'null',
  'Null',
  '',
  ' ',
  'tab\there',
  'new\nline',
  'crlf\r\nend',
  '😀 emoji 👍🏽 and 🇨🇦',
  '\\N',
  "'single'",
  '$1 %s ${x}',
  ' leading and trailing ',
  '\u00a0nbsp\u200bzwsp',
  'all: \\ " { } , NULL \t \n 😀',
];

const md5 = (s: string) => createHash('md5').update(s, 'utf8').digest('hex');

interface Stored {
  key: string;
  user_id: string | null;
  username: string | null;
  user_md5: string | null;
  username_md5: string | null;
  metadata: Record<string, unknown> | null;
  text_md5: string | null;
}

/** Stores one event per text (as user id, username and metadata), then reads them back. */
async function roundTrip(db: Db, postId: string, tag: string, texts: readonly string[]): Promise<{ sent: EngagementEventInput[]; stored: Map<string, Stored> }> {
  const sent: EngagementEventInput[] = texts.map((s, i) => ({
    postId,
    eventType: 'comment',
    eventTimestamp: new Date(Date.UTC(2026, 10, 20, 9) + i * 1000),
    platformEventId: `${tag}-${i}`,
    platformUserId: s,
    platformUsername: s,
    eventMetadata: { text: s, nested: { [s]: [s, s.length] }, [`key ${s}`]: s },
  }));
  const result = await recordEngagementEvents(db, sent, { source: tag });
  expect(result).toEqual({ inserted: texts.length, duplicates: 0, rejected: [] });
  const rows = await queryRows<Stored & Record<string, unknown>>(
    db,
    sql`SELECT event_metadata->>'text' AS key, platform_user_id AS user_id, platform_username AS username,
               md5(platform_user_id) AS user_md5, md5(platform_username) AS username_md5,
               event_metadata AS metadata, md5(event_metadata->>'text') AS text_md5
        FROM engagement_events WHERE post_id = ${postId}::uuid AND event_metadata ? 'nested'`,
  );
  return { sent, stored: new Map(rows.map((r) => [r.key, r])) };
}

function expectSame(texts: readonly string[], stored: Map<string, Stored>) {
  for (const s of texts) {
    const row = stored.get(s);
    expect(row, JSON.stringify(s)).toBeDefined();
    // The driver's strings, and the server's own bytes (md5 computed in PostgreSQL).
    expect({ user: row!.user_id, name: row!.username, meta: row!.metadata }, JSON.stringify(s)).toEqual({
      user: s,
      name: s,
      meta: { text: s, nested: { [s]: [s, s.length] }, [`key ${s}`]: s },
    });
    expect([row!.user_md5, row!.username_md5, row!.text_md5], JSON.stringify(s)).toEqual([md5(s), md5(s), md5(s)]);
  }
}

describe('text through recordEngagementEvents, byte for byte', () => {
  const t = useTestDb({ max: 4 });
  let user: string;
  beforeAll(async () => {
    user = await createUser(t.db);
  });

  it('on PostgreSQL (postgres.js): \\ " { } , NULL, empty, blanks, tabs, newlines, emoji', async () => {
    const postId = await createPublishedPost(t.db, 'instagram', 'text-fixed', user);
    const { stored } = await roundTrip(t.db, postId, 'text-fixed', NASTY);
    expect(stored.size).toBe(NASTY.length);
    expectSame(NASTY, stored);
  });

  it('any mix of those pieces (fast-check: a failure shrinks to the shortest text)', async () => {
    const piece = fc.constantFrom('\\', '"', '{', '}', ',', 'NULL', 'null', ' ', '\t', '\n', '\r', '😀', '👍🏽', 'é', 'a', "'", '\u00a0', '\\N');
    const text = fc.string({ unit: piece, maxLength: 20 });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(text, { minLength: 1, maxLength: 12 }), async (texts) => {
        const tag = `text-prop-${run++}`;
        const postId = await createPublishedPost(t.db, 'tiktok', tag, user);
        const { stored } = await roundTrip(t.db, postId, tag, texts);
        expect(stored.size).toBe(texts.length);
        expectSame(texts, stored);
      }),
      { numRuns: runs(30) },
    );
  });
});

describe('text through recordEngagementEvents on embedded PGlite, byte for byte', () => {
  let db: Awaited<ReturnType<typeof createEmbeddedDb>> | undefined;
  afterAll(async () => {
    if (db) await close(db);
  });

  it('the same texts arrive the same', async () => {
    db = await createEmbeddedDb();
    await migrate(db);
    const user = await createUser(db);
    const postId = await createPublishedPost(db, 'youtube', 'text-pglite', user);
    const { stored } = await roundTrip(db, postId, 'text-pglite', NASTY);
    expect(stored.size).toBe(NASTY.length);
    expectSame(NASTY, stored);
  });
});
