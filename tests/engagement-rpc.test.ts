import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows, type Db, type PostgresDb } from '../src/db.js';
import { migrationsFolder } from '../src/migrate.js';
import {
  eventKey,
  eventKeySource,
  recordEngagementEvents,
  type EngagementEventInput,
  type RecordEngagementResult,
} from '../src/queries/index.js';
import { asApi, authenticatorDb, close, signedIn } from './support/api.js';
import { useTestDb } from './support/db.js';
import { createPublishedPost, createUser, workspaceOf } from './support/fixtures.js';
import { rolledBack } from './support/tx.js';
import { pgError } from './support/errors.js';

// supabase-js with the service key, as PostgREST runs it: logged in as `authenticator`, a transaction
// that switches to the API role (SET LOCAL ROLE + request.jwt.claims), then
//   supabase.rpc('record_engagement_events', { events })                 -> record_engagement_events(events)
//   supabase.from('engagement_events').insert({ post_id, event_type, ... }) -> INSERT without event_key,
//                                                                           refused with an error naming the RPC
// Migration 0034; the functions' text is also in sql/functions/.

const t = useTestDb();
const USER = randomUUID();
const posts = new Map<string, string>();

type Role = 'service_role' | 'anon' | 'authenticated';
/** Logged in as `authenticator`, as PostgREST is. */
let api: PostgresDb;

/** Runs `work` as one API request of `role` (tests/support/api.ts: SET LOCAL ROLE + request.jwt.claims). */
function as<T>(role: Role, work: (tx: Db) => Promise<T>, { rollback = false } = {}): Promise<T> {
  return asApi(api, role === 'authenticated' ? signedIn(USER) : { role }, work, { rollback });
}

/**
 * supabase.rpc('record_engagement_events', { events[, source] }) as PostgREST runs it: the request body
 * (`{"events": [...], "source": ...}`, JSON text) read with json_to_record, and the function called with
 * the named arguments the body has (PostgREST's fromJsonBodyF + call). `json` is the events' JSON text.
 */
async function rpcText(json: string, source?: string, role: Role = 'service_role'): Promise<RecordEngagementResult> {
  const body = `{"events":${json}${source === undefined ? '' : `,"source":${JSON.stringify(source)}`}}`;
  return as(role, async (tx) => {
    const [row] = await queryRows<{ r: RecordEngagementResult }>(
      tx,
      sql`SELECT ${
        source === undefined
          ? sql`public.record_engagement_events(events := pgrst_body.events)`
          : sql`public.record_engagement_events(events := pgrst_body.events, source := pgrst_body.source)`
      } AS r
          FROM (SELECT ${body}::text::json AS json_data) pgrst_payload,
          LATERAL (SELECT "events", "source" FROM json_to_record(pgrst_payload.json_data) AS _("events" json, "source" text)) pgrst_body`,
    );
    return row!.r;
  });
}
const rpc = (events: unknown[], source?: string) => rpcText(JSON.stringify(events), source);

/** The same call from SQL (a pg_cron job, psql, a server with a direct connection). */
async function sqlCall(json: string, source: string): Promise<RecordEngagementResult> {
  return as('service_role', async (tx) => {
    const [row] = await queryRows<{ r: RecordEngagementResult }>(
      tx,
      sql`SELECT public.record_engagement_events(${json}::text::json, ${source}) AS r`,
    );
    return row!.r;
  });
}

/** The HINT of the PostgreSQL error a promise is rejected with. */
async function hintOf(promise: Promise<unknown>): Promise<string | undefined> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  let e = err as { cause?: unknown; hint?: string } | undefined;
  while (e && e.hint === undefined && e.cause) e = e.cause as typeof e;
  return e?.hint;
}

const createPost = (platform: string, platformPostId: string) => createPublishedPost(t.db, platform, platformPostId, USER);

async function letters(source: string) {
  return queryRows<{ batch_index: number; field: string; reason: string; payload: unknown; platform: string | null; kind: string }>(
    t.db,
    sql`SELECT batch_index, field, reason, payload, platform, kind FROM engagement_dead_letters WHERE source = ${source} ORDER BY batch_index`,
  );
}

beforeAll(async () => {
  api = authenticatorDb(t.url);
  await createUser(t.db, { id: USER });
  for (const [platform, ppid] of [
    ['instagram', 'rpc_ig_1'],
    ['instagram', 'rpc_ig_2'],
    ['tiktok', 'rpc_tt_1'],
    ['youtube', 'rpc_yt_1'],
  ] as const) {
    posts.set(ppid, await createPost(platform, ppid));
  }
});
afterAll(async () => {
  if (api) await close(api);
});

/** Rows that break every rule of engagementEventInputSchema, one or more at a time. */
function badRows(postId: string): unknown[] {
  const base = { postId, eventType: 'like', eventTimestamp: '2026-11-21T10:00:00Z' };
  const byPair = { platform: 'instagram', platformPostId: 'rpc_ig_1', eventType: 'like', eventTimestamp: '2026-11-21T10:00:00Z' };
  return [
    'not an object',
    [base],
    42,
    { ...base, postId: 'abc' },
    { ...base, postId: 3 },
    { ...base, postId: null },
    { ...base, platform: 3 },
    { ...base, platform: null },
    { ...base, platform: 'a'.repeat(51) },
    { ...base, platform: 'A'.repeat(51) },
    { ...base, platform: 'Insta' },
    { ...byPair, platformPostId: '' },
    { ...byPair, platformPostId: 'x'.repeat(101) },
    { ...byPair, platformPostId: '😀'.repeat(101) }, // zod counts code points, as varchar(100) does
    { ...byPair, platformPostId: 5 },
    { ...base, eventType: 'poke' },
    { ...base, eventType: 3 },
    { postId, eventTimestamp: '2026-11-21T10:00:00Z' },
    { postId, eventType: 'like' },
    { ...base, eventTimestamp: 1763460000 },
    { ...base, eventTimestamp: null },
    { ...base, eventTimestamp: '21/11/2026' },
    { ...base, eventTimestamp: '2026-02-30T10:00:00Z' },
    { ...base, eventTimestamp: '2026-11-18T24:00:00Z' },
    { ...base, eventTimestamp: '2026-11-18T10:00Z' },
    { ...base, eventTimestamp: '2026-11-18' },
    { ...base, eventTimestamp: '2026-11-18T10:00:00' },
    { ...base, eventTimestamp: '2026-11-18T10:00:00z' },
    { ...base, eventTimestamp: '0000-01-01T00:00:00Z' },
    { ...base, eventTimestamp: '1969-12-31T23:59:59Z' },
    { ...base, eventTimestamp: '2040-01-01T00:00:00Z' },
    { ...base, platformEventId: '' },
    { ...base, platformEventId: 5 },
    { ...base, platformEventId: 'e'.repeat(501) },
    { ...base, platformUserId: 'u'.repeat(101) },
    { ...base, platformUserId: '😀'.repeat(101) },
    { ...base, platformUsername: 7 },
    { ...base, userFollowerCount: 1.5 },
    { ...base, userFollowerCount: -1 },
    { ...base, userFollowerCount: -1.5 },
    { ...base, userFollowerCount: 2147483648 },
    { ...base, userFollowerCount: '5' },
    { ...base, eventValue: null },
    { ...base, eventValue: 86401 },
    { ...base, eventValue: -5 },
    { ...base, eventValue: 1e20 },
    { ...base, eventValue: '1' },
    { ...base, countryCode: 'USA' },
    { ...base, countryCode: 1 },
    { ...base, countryCode: 'd3' },
    { ...base, ageRange: '10-12' },
    { ...base, ageRange: 25 },
    { ...base, gender: 'x' },
    { ...base, eventMetadata: [1] },
    { ...base, eventMetadata: 's' },
    { ...base, eventMetadata: { t: 'x'.repeat(70_000) } },
    { ...base, foo: 1 },
    { ...base, zeta: 1, alpha: 2, mid: 3 }, // reported in the order written
    { ...base, foo: 1, eventType: 'poke' },
    { ...base, eventType: 'poke', eventValue: -1, countryCode: 'USA', gender: 'x' },
    { eventType: 'like', eventTimestamp: '2026-11-21T10:00:00Z' },
    { ...base, platformPostId: 'x' },
    { platformPostId: 'x', eventType: 'like', eventTimestamp: '2026-11-21T10:00:00Z' },
    { eventType: 'poke', eventTimestamp: '2026-11-21T10:00:00Z' },
    // Valid rows naming posts that do not exist, or the wrong platform.
    { ...base, postId: randomUUID() },
    { ...base, platform: 'tiktok' },
    { ...base, platform: 'myspace' },
    { ...byPair, platformPostId: 'nope' },
    { ...byPair, platform: 'myspace' },
  ];
}

describe('record_engagement_events(events) (supabase.rpc)', () => {
  it('rejects every bad row with the same field and reason as recordEngagementEvents, and dead-letters it the same way', async () => {
    const rows = badRows(posts.get('rpc_ig_1')!);
    const viaTs = await recordEngagementEvents(t.db, rows as EngagementEventInput[], { source: 'parity-ts' });
    const viaRpc = await rpc(rows, 'parity-rpc');
    expect(viaTs.inserted).toBe(0);
    expect(viaRpc).toEqual({ inserted: 0, duplicates: 0, rejected: viaTs.rejected });
    expect(viaRpc.rejected).toHaveLength(rows.length);
    // Spot checks of what the parity covers.
    const at = (i: number) => viaRpc.rejected.find((r) => r.index === i)!;
    expect(at(0)).toEqual({ index: 0, field: '(row)', error: 'Invalid input: expected object, received string' });
    expect(at(13)).toMatchObject({ field: 'platformPostId', error: 'at most 100 characters' });
    expect(at(57).field).toBe('zeta, alpha, mid');
    expect(at(59).error).toMatch(/^expected one of .*; also eventValue: must not be negative; countryCode: .*; gender: /);

    const ts = await letters('parity-ts');
    const rpcLetters = await letters('parity-rpc');
    expect(rpcLetters).toEqual(ts);
    expect(rpcLetters.map((l) => l.batch_index)).toEqual(rows.map((_, i) => i));
    expect(rpcLetters[0]!.payload).toBe('not an object');
  });

  it('writes one dead letter per distinct bad row: a redelivered request or a repeated row adds none', async () => {
    const bad = { postId: posts.get('rpc_ig_1')!, eventType: 'teleport', eventTimestamp: '2026-11-14T10:00:00Z' };
    const first = await rpc([bad, bad], 'rpc-redelivered');
    expect(first.rejected.map((r) => r.index)).toEqual([0, 1]);
    await rpc([bad], 'rpc-redelivered');
    await Promise.all([rpc([bad], 'rpc-redelivered'), rpc([bad], 'rpc-redelivered')]);
    expect((await letters('rpc-redelivered')).map((l) => l.batch_index)).toEqual([0]);
    // The TypeScript path keeps the same rule, so either may follow the other.
    await recordEngagementEvents(t.db, [bad, bad] as unknown as EngagementEventInput[], { source: 'rpc-redelivered' });
    expect(await letters('rpc-redelivered')).toHaveLength(1);
  });

  it('rejects a null element, keeping a JSON null as its payload', async () => {
    // (recordEngagementEvents does the same since its dead-letter insert keeps JSON null as JSON.)
    const good = { postId: posts.get('rpc_ig_1')!, eventType: 'save', eventTimestamp: '2026-11-14T10:00:00Z' };
    expect(await rpc([null, good], 'rpc-null')).toEqual({
      inserted: 1,
      duplicates: 0,
      rejected: [{ index: 0, field: '(row)', error: 'Invalid input: expected object, received null' }],
    });
    expect(await letters('rpc-null')).toEqual([
      { batch_index: 0, field: '(row)', reason: 'Invalid input: expected object, received null', payload: null, platform: null, kind: 'event' },
    ]);
  });

  it('a mixed batch: good rows stored, bad rows rejected and dead-lettered, repeats counted as duplicates', async () => {
    const ig1 = posts.get('rpc_ig_1')!;
    const base = { postId: ig1, eventTimestamp: '2026-11-21T11:00:00Z' };
    const batch: unknown[] = [
      { ...base, eventType: 'like', platformEventId: 'rpc-mix-0' }, // 0 good
      { ...base, eventType: 'poke', platformEventId: 'rpc-mix-1' }, // 1 eventType
      { ...base, eventType: 'like', countryCode: ' de ', ageRange: '25-34', gender: 'female', platformUserId: 'u6' }, // 2 good
      { postId: randomUUID(), eventType: 'like', eventTimestamp: '2026-11-21T11:00:00Z' }, // 3 postId
      { platform: 'tiktok', platformPostId: 'rpc_tt_1', eventType: 'view', eventTimestamp: '2026-11-21T11:00:00.123456+02:00', eventValue: 30 }, // 4 good
      { ...base, eventType: 'like', platformEventId: 'rpc-mix-0' }, // 5 repeat of 0
      { ...base, eventType: 'comment', platformEventId: 'rpc-mix-6', eventMetadata: { text: 'love it #legday', n: 2 } }, // 6 good
      { ...base, eventType: 'view', eventValue: -5, platformEventId: 'rpc-mix-7' }, // 7 eventValue
      { platform: 'tiktok', platformPostId: 'rpc_tt_1', eventType: 'view', eventTimestamp: '2026-11-21T09:00:00.123Z', eventValue: 30 }, // 8 repeat of 4
    ];
    const first = await rpc(batch, 'rpc-mixed');
    expect(first.inserted).toBe(4);
    expect(first.duplicates).toBe(2);
    expect(first.rejected.map((r) => [r.index, r.field])).toEqual([
      [1, 'eventType'],
      [3, 'postId'],
      [7, 'eventValue'],
    ]);
    expect(first.rejected[1]!.error).toBe(`no post with id ${(batch[3] as { postId: string }).postId}`);

    const stored = await queryRows<{ event_type: string; event_timestamp: string; country_code: string | null; event_value: number; event_metadata: unknown }>(
      t.db,
      sql`SELECT event_type, to_char(event_timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS event_timestamp, country_code, event_value, event_metadata
          FROM engagement_events WHERE post_id IN (${ig1}, ${posts.get('rpc_tt_1')!}) AND event_timestamp >= '2026-11-21T09:00:00Z' AND event_timestamp < '2026-11-21T12:00:00Z'
          ORDER BY event_type, country_code NULLS FIRST`,
    );
    expect(stored).toEqual([
      { event_type: 'comment', event_timestamp: '2026-11-21T11:00:00.000000', country_code: null, event_value: 1, event_metadata: { text: 'love it #legday', n: 2 } },
      { event_type: 'like', event_timestamp: '2026-11-21T11:00:00.000000', country_code: null, event_value: 1, event_metadata: null },
      { event_type: 'like', event_timestamp: '2026-11-21T11:00:00.000000', country_code: 'DE', event_value: 1, event_metadata: null },
      // Cut to milliseconds, as a JavaScript Date keeps it.
      { event_type: 'view', event_timestamp: '2026-11-21T09:00:00.123000', country_code: null, event_value: 30, event_metadata: null },
    ]);

    const dead = await letters('rpc-mixed');
    expect(dead.map((l) => [l.batch_index, l.field, l.kind])).toEqual([
      [1, 'eventType', 'event'],
      [3, 'postId', 'event'],
      [7, 'eventValue', 'event'],
    ]);
    expect(dead.map((l) => l.reason)).toEqual(first.rejected.map((r) => r.error));
    expect(dead[0]!.payload).toEqual(batch[1]);

    // A replay stores nothing and counts every valid row as a duplicate.
    const again = await rpc(batch, 'rpc-mixed-replay');
    expect(again).toEqual({ inserted: 0, duplicates: 6, rejected: first.rejected });
    // The TypeScript path finds the same keys: all of its valid rows are duplicates too.
    const viaTs = await recordEngagementEvents(t.db, batch as EngagementEventInput[], { source: 'rpc-mixed-ts' });
    expect(viaTs).toEqual({ inserted: 0, duplicates: 6, rejected: first.rejected });
  });

  it('derives the same event keys as eventKey(eventKeySource(...)), both ways round', async () => {
    const ig2 = posts.get('rpc_ig_2')!;
    const yt = posts.get('rpc_yt_1')!;
    const events: EngagementEventInput[] = [
      { postId: ig2, eventType: 'like', eventTimestamp: '2026-11-20T08:00:00.123Z', platformUserId: 'key-user' },
      { postId: ig2.toUpperCase(), eventType: 'save', eventTimestamp: '2026-11-20T08:00:01+01:00' },
      { platform: 'instagram', platformPostId: 'rpc_ig_2', eventType: 'comment', eventTimestamp: '2026-11-20T08:00:02Z', platformEventId: 'key-c1' },
      { platform: 'youtube', platformPostId: 'rpc_yt_1', eventType: 'view', eventTimestamp: '2026-11-20T08:00:03.9999Z', platformUserId: 'ü 😀' },
    ];
    const result = await rpc(events);
    expect(result).toEqual({ inserted: 4, duplicates: 0, rejected: [] });
    const rows = await queryRows<{ event_type: string; k: string }>(
      t.db,
      sql`SELECT event_type, event_key::text AS k FROM engagement_events
          WHERE post_id IN (${ig2}, ${yt}) AND event_timestamp >= '2026-11-20T07:00:00Z' AND event_timestamp < '2026-11-20T08:01:00Z'
          ORDER BY event_timestamp`,
    );
    const expected = [
      eventKeySource({ platform: 'instagram', postId: ig2, eventType: 'like', eventTimestamp: new Date('2026-11-20T08:00:00.123Z'), platformUserId: 'key-user' }),
      eventKeySource({ platform: 'instagram', postId: ig2, eventType: 'save', eventTimestamp: new Date('2026-11-20T08:00:01+01:00') }),
      eventKeySource({ platform: 'instagram', postId: ig2, eventType: 'comment', eventTimestamp: new Date('2026-11-20T08:00:02Z'), platformEventId: 'key-c1' }),
      eventKeySource({ platform: 'youtube', postId: yt, eventType: 'view', eventTimestamp: new Date('2026-11-20T08:00:03.9999Z'), platformUserId: 'ü 😀' }),
    ];
    expect(expected[3]).toBe(`youtube:${yt}:view:ü 😀:2026-11-20T08:00:03.999Z`);
    expect(rows).toEqual([
      { event_type: 'save', k: eventKey(expected[1]!).toString() },
      { event_type: 'like', k: eventKey(expected[0]!).toString() },
      { event_type: 'comment', k: eventKey(expected[2]!).toString() },
      { event_type: 'view', k: eventKey(expected[3]!).toString() },
    ]);
    expect(await recordEngagementEvents(t.db, events)).toEqual({ inserted: 0, duplicates: 4, rejected: [] });

    // And TypeScript first, the RPC second.
    const later = events.map((e, i) => ({ ...e, eventTimestamp: `2026-11-20T09:00:0${i}.5${i}Z`, platformEventId: i === 2 ? 'key-c2' : undefined }));
    expect(await recordEngagementEvents(t.db, later)).toEqual({ inserted: 4, duplicates: 0, rejected: [] });
    expect(await rpc(later)).toEqual({ inserted: 0, duplicates: 4, rejected: [] });
  });

  it('counts repeats within a batch and across calls as duplicates, never storing them twice', async () => {
    const tt = posts.get('rpc_tt_1')!;
    const batch = Array.from({ length: 50 }, (_, i) => ({
      platform: 'tiktok',
      platformPostId: 'rpc_tt_1',
      eventType: 'like',
      eventTimestamp: `2026-11-22T00:00:${String(i % 40).padStart(2, '0')}Z`,
      platformUserId: `dup-user-${i % 40}`, // rows 40..49 repeat rows 0..9
    }));
    expect(await rpc(batch)).toEqual({ inserted: 40, duplicates: 10, rejected: [] });
    expect(await rpc(batch)).toEqual({ inserted: 0, duplicates: 50, rejected: [] });
    const [n] = await queryRows<{ n: number }>(
      t.db,
      sql`SELECT count(*)::int AS n FROM engagement_events WHERE post_id = ${tt} AND event_timestamp >= '2026-11-22' AND event_timestamp < '2026-11-23'`,
    );
    expect(n!.n).toBe(40);
  });

  it('stays linear in the batch size: 5,000 events in one call', async () => {
    // Guards the MATERIALIZED steps of engagement_events_from_json: inlined, 2,000 rows took 39 s.
    const postId = posts.get('rpc_yt_1')!;
    const batch = Array.from({ length: 5_000 }, (_, i) => ({
      postId,
      eventType: i % 2 ? 'view' : 'comment',
      eventTimestamp: new Date(Date.UTC(2026, 10, 12) + i * 1000).toISOString(),
      platformUserId: `lin-${i}`,
      eventMetadata: i % 2 ? undefined : { text: `nice #legday ${i}` },
    }));
    const started = performance.now();
    expect(await rpc(batch)).toEqual({ inserted: 5_000, duplicates: 0, rejected: [] });
    expect(performance.now() - started).toBeLessThan(30_000);
  });

  it('a row the database refuses (a rule the checks do not know) is rejected alone; the rest is stored', async () => {
    const postId = posts.get('rpc_ig_1')!;
    await t.db.execute(sql`ALTER TABLE engagement_events ADD CONSTRAINT test_rpc_no_profile_visit CHECK (event_type <> 'profile_visit')`);
    try {
      const batch = Array.from({ length: 20 }, (_, i) => ({
        postId,
        eventType: i === 7 || i === 13 ? 'profile_visit' : 'save',
        eventTimestamp: '2026-11-19T09:00:00Z',
        platformEventId: `rpc-db-refused-${i}`,
      }));
      batch.push({ ...batch[0]! }); // and a duplicate
      batch.push({ ...batch[0]!, eventType: 'poke' }); // and a row the checks refuse
      const result = await rpc(batch, 'rpc-db-refusal');
      expect(result.inserted).toBe(18);
      expect(result.duplicates).toBe(1);
      expect(result.rejected.map((r) => [r.index, r.field])).toEqual([
        [7, 'eventType'],
        [13, 'eventType'],
        [21, 'eventType'],
      ]);
      expect(result.rejected[0]!.error).toMatch(/^refused by the database: .*test_rpc_no_profile_visit/);
      expect((await letters('rpc-db-refusal')).map((l) => l.batch_index)).toEqual([7, 13, 21]);
    } finally {
      await t.db.execute(sql`ALTER TABLE engagement_events DROP CONSTRAINT test_rpc_no_profile_visit`);
    }
  });

  it("writes each event's workspace itself, from the post it resolves, as recordEngagementEvents does (no fill trigger needed)", async () => {
    const other = await createUser(t.db);
    await createPublishedPost(t.db, 'tiktok', 'rpc_ws_other', other);
    const at = '2026-11-17T11:11:11Z';
    const batch = [
      { postId: posts.get('rpc_ig_2')!, eventType: 'like', eventTimestamp: at, platformEventId: 'rpc-ws-1' },
      { platform: 'tiktok', platformPostId: 'rpc_ws_other', eventType: 'share', eventTimestamp: at, platformEventId: 'rpc-ws-2' },
    ];
    const expected = [
      { type: 'like', ws: await workspaceOf(t.db, USER) },
      { type: 'share', ws: await workspaceOf(t.db, other) },
    ];
    // With the fill trigger disabled, only a writer that names workspace_id can store an event.
    const withoutFillTrigger = (write: (tx: Db) => Promise<unknown>) =>
      rolledBack(t.db, async (tx) => {
        await tx.execute(sql`ALTER TABLE engagement_events DISABLE TRIGGER engagement_events_fill_workspace`);
        const plain = await pgError(
          tx.transaction((sp) =>
            sp.execute(sql`INSERT INTO engagement_events (post_id, event_timestamp, event_key, event_type)
                           VALUES (${posts.get('rpc_ig_2')!}::uuid, ${at}::timestamptz, 1, 'like')`),
          ),
        );
        expect(plain).toMatchObject({ code: '23502', column_name: 'workspace_id' });
        await write(tx);
        return queryRows<{ type: string; ws: string }>(
          tx,
          sql`SELECT event_type AS type, workspace_id::text AS ws FROM engagement_events WHERE event_timestamp = ${at}::timestamptz ORDER BY 1`,
        );
      });
    expect(await withoutFillTrigger((tx) => queryRows(tx, sql`SELECT record_engagement_events(${JSON.stringify(batch)}::json) AS r`))).toEqual(expected);
    expect(await withoutFillTrigger((tx) => recordEngagementEvents(tx, batch as EngagementEventInput[]))).toEqual(expected);
    // And for real, through the Data API.
    expect(await rpc(batch)).toMatchObject({ inserted: 2, rejected: [] });
    expect(
      await queryRows(t.db, sql`SELECT event_type AS type, workspace_id::text AS ws FROM engagement_events WHERE event_timestamp = ${at}::timestamptz ORDER BY 1`),
    ).toEqual(expected);
  });

  it('a row the database refuses for its workspace is rejected on postId, by the RPC as by recordEngagementEvents', async () => {
    const other = await createUser(t.db);
    const postId = await createPublishedPost(t.db, 'youtube', 'rpc_ws_refused', other);
    const workspace = await workspaceOf(t.db, other);
    // A rule on workspace_id the checks do not know (say, a workspace frozen for a migration).
    await t.db.execute(sql.raw(`ALTER TABLE engagement_events ADD CONSTRAINT test_rpc_frozen_workspace CHECK (workspace_id <> '${workspace}')`));
    try {
      const row = (i: number) => ({ postId, eventType: 'view', eventTimestamp: '2026-11-17T12:00:00Z', platformEventId: `rpc-frozen-${i}` });
      const viaRpc = await rpc([row(1)], 'rpc-frozen');
      const viaTs = await recordEngagementEvents(t.db, [row(2)] as EngagementEventInput[], { source: 'ts-frozen' });
      for (const r of [viaRpc, viaTs]) {
        expect(r.inserted).toBe(0);
        expect(r.rejected.map((x) => [x.index, x.field])).toEqual([[0, 'postId']]);
        expect(r.rejected[0]!.error).toMatch(/^refused by the database: .*test_rpc_frozen_workspace/);
      }
    } finally {
      await t.db.execute(sql`ALTER TABLE engagement_events DROP CONSTRAINT test_rpc_frozen_workspace`);
    }
  });

  it('called from SQL, a row jsonb cannot hold (NUL, lone surrogate) is one rejected row, named by its field, not a refused call', async () => {
    const postId = posts.get('rpc_yt_1')!;
    const rows: unknown[] = [
      { postId, eventType: 'comment', eventTimestamp: '2026-11-18T07:00:00Z', platformEventId: 'rpc-nul-0', eventMetadata: { text: 'ok' } },
      { postId, eventType: 'comment', eventTimestamp: '2026-11-18T07:00:01Z', platformEventId: 'rpc-nul-1', eventMetadata: { text: 'a\u0000b' } },
      { postId, eventType: 'like', eventTimestamp: '2026-11-18T07:00:02Z', platformUsername: 'x\ud800y' },
      { postId, eventType: 'like', eventTimestamp: '2026-11-18T07:00:03Z', platformUserId: 'nul\u0000user' },
    ];
    // JSON.stringify writes \u0000 and \ud800 escapes, as supabase-js sends them.
    const json = JSON.stringify(rows);
    expect(json).toContain('\\u0000');
    expect(json).toContain('\\ud800');
    // Through PostgREST the body never reaches the function: json_to_record refuses the NUL.
    expect(await pgError(rpcText(json, 'rpc-nul'))).toMatchObject({ code: '22P05' });
    // Called from SQL, each such row is one rejection.
    const viaRpc = await sqlCall(json, 'rpc-nul');
    expect(viaRpc.inserted).toBe(1);
    const viaTs = await recordEngagementEvents(t.db, rows as EngagementEventInput[], { source: 'ts-nul' });
    expect(viaTs).toEqual({ inserted: 0, duplicates: 1, rejected: viaRpc.rejected });
    expect(viaRpc.rejected).toEqual([
      { index: 1, field: 'eventMetadata', error: 'contains a NUL character (\\u0000), which PostgreSQL cannot store' },
      { index: 2, field: 'platformUsername', error: 'contains a lone UTF-16 surrogate (not valid Unicode)' },
      { index: 3, field: 'platformUserId', error: 'contains a NUL character (\\u0000), which PostgreSQL cannot store' },
    ]);
    // A backslash before "u0000" is text, not a NUL: stored as sent. (recordEngagementEvents refuses
    // this row: its metadata check looks for the six characters \u0000 in the JSON text.)
    const text = 'C:\\u0000 \ud83d\ude00';
    const [stored] = await rpc([{ postId, eventType: 'comment', eventTimestamp: '2026-11-18T07:00:04Z', platformEventId: 'rpc-nul-4', eventMetadata: { text } }]).then(
      async (r) => {
        expect(r).toEqual({ inserted: 1, duplicates: 0, rejected: [] });
        return queryRows<{ m: { text: string } }>(t.db, sql`SELECT event_metadata AS m FROM engagement_events WHERE post_id = ${postId} AND event_timestamp = '2026-11-18T07:00:04Z'`);
      },
    );
    expect(stored!.m.text).toBe(text);
    // A number beyond PostgreSQL's numeric range cannot be read either: that row alone is refused.
    const huge = await sqlCall(
      `[{"postId":"${postId}","eventType":"save","eventTimestamp":"2026-11-18T07:00:05Z"},` +
        `{"postId":"${postId}","eventType":"save","eventTimestamp":"2026-11-18T07:00:06Z","eventMetadata":{"n":1e1000000}}]`,
      'rpc-huge',
    );
    expect(huge).toEqual({
      inserted: 1,
      duplicates: 0,
      rejected: [{ index: 1, field: '(row)', error: 'not readable as JSON: value overflows numeric format' }],
    });
    expect((await letters('rpc-huge'))[0]!.payload).toMatch(/"n":1e1000000/); // its JSON text, as a string
    // Kept as TypeScript keeps them: the NUL and the lone surrogate as U+FFFD.
    expect(await letters('rpc-nul')).toEqual(await letters('ts-nul'));
    expect((await letters('rpc-nul'))[0]!.payload).toMatchObject({ eventMetadata: { text: 'a\uFFFDb' } });
  });

  it('refuses an argument that is not an array, naming the expected shape', async () => {
    const e = await pgError(rpcText('{"postId": "x"}'));
    expect(e.code).toBe('22023');
    expect(e.message).toMatch(/events must be a JSON array of event objects, not object/);
  });

  it('keeps text with \\ " { } , NULL, tab, newline and emoji byte for byte', async () => {
    const postId = posts.get('rpc_ig_2')!;
    const tricky = 'a\\b "q" {x} , NULL \t tab \n line 😀 ü\u2028';
    const nasty = ['NULL', '\\', '"', '{}', ',', '\t', '\n', '😀', tricky];
    const events = nasty.map((s, i) => ({
      postId,
      eventType: 'comment',
      eventTimestamp: `2026-11-17T10:00:0${i}Z`,
      platformEventId: `rpc-text-${s}`,
      platformUserId: s,
      platformUsername: s.slice(0, 100),
      eventMetadata: { text: s, [s]: [s, null, 'NULL'] },
    }));
    expect(await rpc(events)).toEqual({ inserted: nasty.length, duplicates: 0, rejected: [] });
    const rows = await queryRows<{ platform_user_id: string; platform_username: string; event_metadata: unknown; k: string; hex: string }>(
      t.db,
      sql`SELECT platform_user_id, platform_username, event_metadata, event_key::text AS k, encode(convert_to(platform_user_id, 'UTF8'), 'hex') AS hex
          FROM engagement_events WHERE post_id = ${postId} AND event_timestamp >= '2026-11-17T10:00:00Z' AND event_timestamp < '2026-11-17T10:01:00Z'
          ORDER BY event_timestamp`,
    );
    expect(rows.map((r) => r.platform_user_id)).toEqual(nasty);
    expect(rows.map((r) => r.platform_username)).toEqual(nasty);
    expect(rows.map((r) => r.event_metadata)).toEqual(events.map((e) => e.eventMetadata));
    expect(rows.map((r) => r.hex)).toEqual(nasty.map((s) => Buffer.from(s, 'utf8').toString('hex')));
    expect(rows.map((r) => r.k)).toEqual(nasty.map((s) => eventKey(`instagram:rpc-text-${s}`).toString()));
  });

  it('is executable by service_role only: anon and authenticated get permission denied', async () => {
    const events = JSON.stringify([{ postId: posts.get('rpc_ig_1')!, eventType: 'like', eventTimestamp: '2026-11-16T10:00:00Z' }]);
    for (const role of ['anon', 'authenticated'] as const) {
      const e = await pgError(rpcText(events, undefined, role));
      expect(e.code).toBe('42501');
      expect(e.message).toMatch(/permission denied for function record_engagement_events/);
    }
    const rows = await queryRows<{ fn: string; anon: boolean; authenticated: boolean; service: boolean; public: boolean }>(
      t.db,
      sql`SELECT p.oid::regprocedure::text AS fn,
                 has_function_privilege('anon', p.oid, 'EXECUTE') AS anon,
                 has_function_privilege('authenticated', p.oid, 'EXECUTE') AS authenticated,
                 has_function_privilege('service_role', p.oid, 'EXECUTE') AS service,
                 coalesce(aclexplode_public.granted, false) AS public
          FROM pg_proc p
          LEFT JOIN LATERAL (SELECT true AS granted FROM aclexplode(p.proacl) a WHERE a.grantee = 0 LIMIT 1) aclexplode_public ON true
          WHERE p.pronamespace = 'public'::regnamespace
            AND p.proname IN ('record_engagement_events', 'engagement_events_from_json', 'engagement_events_event_key_required')
          ORDER BY 1`,
    );
    expect(rows).toEqual([
      { fn: 'engagement_events_event_key_required()', anon: false, authenticated: false, service: true, public: false },
      { fn: 'engagement_events_from_json(json,integer[])', anon: false, authenticated: false, service: true, public: false },
      { fn: 'record_engagement_events(json,text)', anon: false, authenticated: false, service: true, public: false },
    ]);
  });

  it('runs as the caller with search_path pinned to empty, with no UPDATE or DELETE, and matches sql/functions/', async () => {
    const rows = await queryRows<{ name: string; definer: boolean; config: string[] | null; body: string; def: string }>(
      t.db,
      sql`SELECT p.proname AS name, p.prosecdef AS definer, p.proconfig AS config, p.prosrc AS body, pg_get_functiondef(p.oid) AS def
          FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace
            AND p.proname IN ('record_engagement_events', 'engagement_events_from_json', 'engagement_events_event_key_required')
          ORDER BY 1`,
    );
    expect(rows.map((r) => r.name)).toEqual(['engagement_events_event_key_required', 'engagement_events_from_json', 'record_engagement_events']);
    // The newest migration that (re)defines each function carries its file verbatim.
    const journal = JSON.parse(readFileSync(`${migrationsFolder}/meta/_journal.json`, 'utf8')) as { entries: { tag: string }[] };
    const migrations = journal.entries.map((e) => readFileSync(`${migrationsFolder}/${e.tag}.sql`, 'utf8'));
    for (const r of rows) {
      const migration = migrations.findLast((m) => m.includes(`FUNCTION public.${r.name}(`))!;
      expect(r.definer).toBe(false);
      expect(r.config).toEqual(['search_path=""']);
      expect(r.body).not.toMatch(/\b(UPDATE|DELETE)\b/i);
      // The folder holds each function's current text, and the migration has it verbatim.
      const file = readFileSync(new URL(`../sql/functions/${r.name}.sql`, import.meta.url), 'utf8');
      for (const statement of file.split(/\n+(?=REVOKE |GRANT )/)) expect(migration).toContain(statement.trim());
      expect(file).toContain(r.body);
    }
  });
});

describe("supabase.from('engagement_events').insert() without event_key", () => {
  const NAMES_THE_RPC = /^engagement_events\.event_key is required: record events with supabase\.rpc\('record_engagement_events', \{ events \}\), which derives it$/;

  /** What PostgREST runs for .insert({ post_id, event_type, event_timestamp }): event_key left out. */
  const plainInsert = (postId: string, at: string, table = 'engagement_events') =>
    as('service_role', (tx) =>
      tx.execute(sql`INSERT INTO ${sql.identifier(table)} (post_id, event_type, event_timestamp, platform_user_id)
                     SELECT r.post_id, r.event_type, r.event_timestamp, r.platform_user_id
                     FROM json_populate_recordset(NULL::engagement_events, ${JSON.stringify([{ post_id: postId, event_type: 'view', event_timestamp: at, platform_user_id: 'plain' }])}::text::json) r`),
    );

  it('fails with an error that names the RPC (SQLSTATE 23502, column event_key, a hint with the key recipe)', async () => {
    const postId = posts.get('rpc_ig_1')!;
    const e = await pgError(plainInsert(postId, '2026-11-15T10:00:00.123Z'));
    expect(e).toMatchObject({ code: '23502', column_name: 'event_key' });
    expect(e.message).toMatch(NAMES_THE_RPC);
    expect(await hintOf(plainInsert(postId, '2026-11-15T10:00:00.123Z'))).toMatch(
      /record_engagement_events\(events\) takes the objects recordEngagementEvents takes.*engagement_event_key/,
    );
    // Nothing was stored; the RPC stores the same event.
    const [n] = await queryRows<{ n: number }>(t.db, sql`SELECT count(*)::int AS n FROM engagement_events WHERE post_id = ${postId} AND event_timestamp = '2026-11-15T10:00:00.123Z'`);
    expect(n!.n).toBe(0);
    expect(await rpc([{ postId, eventType: 'view', eventTimestamp: '2026-11-15T10:00:00.123Z', platformUserId: 'plain' }])).toEqual({
      inserted: 1,
      duplicates: 0,
      rejected: [],
    });
  });

  it('holds on every partition: by name, the DEFAULT one, and those ensure_engagement_partitions creates later', async () => {
    const postId = posts.get('rpc_tt_1')!;
    await t.db.execute(sql`SELECT count(*) FROM ensure_engagement_partitions(12)`);
    const parts = await queryRows<{ part: string; dflt: string | null }>(
      t.db,
      sql`SELECT c.relname AS part, pg_get_expr(d.adbin, d.adrelid) AS dflt
          FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
          JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'event_key'
          LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
          WHERE i.inhparent = 'engagement_events'::regclass ORDER BY 1`,
    );
    expect(parts.length).toBeGreaterThan(12);
    expect(parts.map((p) => p.part)).toContain('engagement_events_default');
    expect(parts.filter((p) => p.dflt !== 'engagement_events_event_key_required()')).toEqual([]);
    const ahead = new Date();
    ahead.setUTCMonth(ahead.getUTCMonth() + 11, 15);
    for (const [at, table] of [
      ['1999-06-15T12:00:00Z', 'engagement_events'], // routed to DEFAULT
      ['1999-06-15T12:00:00Z', 'engagement_events_default'],
      [ahead.toISOString(), 'engagement_events'], // a partition made after the migration
    ] as const) {
      expect((await pgError(plainInsert(postId, at, table))).message).toMatch(NAMES_THE_RPC);
    }
  });

  it('a key given is kept, and an explicit NULL key is the plain NOT NULL error', async () => {
    const postId = posts.get('rpc_ig_1')!;
    const [kept] = await as('service_role', (tx) =>
      queryRows<{ k: string }>(
        tx,
        sql`INSERT INTO engagement_events (post_id, event_type, event_timestamp, event_key)
            VALUES (${postId}, 'like', '2026-11-15T12:00:00Z', 42) RETURNING event_key::text AS k`,
      ),
    );
    expect(kept!.k).toBe('42');
    const e = await pgError(
      as('service_role', (tx) =>
        tx.execute(sql`INSERT INTO engagement_events (post_id, event_type, event_timestamp, event_key) VALUES (${postId}, 'like', now(), NULL)`),
      ),
    );
    expect(e).toMatchObject({ code: '23502', column_name: 'event_key' });
    expect(e.message).toMatch(/violates not-null constraint/);
  });
});
