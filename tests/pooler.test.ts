import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { close, createDb, isTransactionPooler, queryRows, type Db } from '../src/db.js';
import { recordEngagementEvents, type EngagementEventInput } from '../src/queries/index.js';
import { useTestDb } from './support/db.js';
import { createPublishedPost, createUser } from './support/fixtures.js';
import { pgbouncerBinary, PGBOUNCER_MISSING, startPgBouncer, type PgBouncer } from './support/pooler.js';
import { withDatabase } from './support/server.js';

// Supabase's transaction pooler (port 6543) hands every transaction to whichever server connection is
// free: nothing of a session survives a transaction, prepared statements included. These tests run
// recordEngagementEvents through a real PgBouncer in pool_mode = transaction.
//
// Without the option, a default createDb(url) on a pooler port other than 6543 keeps postgres.js's
// prepared statements: the first recordEngagementEvents of 10,000 events stores them, and the replay
// fails with `prepared statement "..." does not exist` (a statement prepared on one server connection,
// used on another inside a transaction, where postgres.js cannot re-prepare it). The last test below
// reproduces that failure deterministically with two clients.

const inCi = process.env.CI === 'true' || process.env.CI === '1';
const missing = pgbouncerBinary() ? null : PGBOUNCER_MISSING;
if (missing && !inCi) {
  process.stderr.write(`\n[tests/pooler.test.ts] skipping 'through PgBouncer in transaction mode': ${missing}\n\n`);
}

async function portIsFree(port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}
const supabasePort = 6543;
const port6543Busy = (await portIsFree(supabasePort)) ? null : `127.0.0.1:${supabasePort} is taken by another process`;
if (!missing && port6543Busy && !inCi) {
  process.stderr.write(`\n[tests/pooler.test.ts] skipping the port-${supabasePort} test: ${port6543Busy}\n\n`);
}

describe('createDb: which URLs are a transaction pooler', () => {
  const prepareOf = async (url: string, options?: Parameters<typeof createDb>[1]) => {
    const db = createDb(url, options); // postgres.js connects lazily: nothing is opened here
    try {
      return db.$client.options.prepare;
    } finally {
      await close(db);
    }
  };

  it('port 6543 or pooler: "transaction" turns prepared statements off; anything else keeps them', async () => {
    expect(await prepareOf('postgres://postgres.ref:pw@aws-0-eu-central-1.pooler.supabase.com:6543/postgres')).toBe(false);
    expect(await prepareOf('postgres://postgres.ref:pw@aws-0-eu-central-1.pooler.supabase.com:5432/postgres')).toBe(true);
    expect(await prepareOf('postgres://postgres:pw@db.ref.supabase.co:5432/postgres')).toBe(true);
    expect(await prepareOf('postgres://u@127.0.0.1:16432/db', { pooler: 'transaction' })).toBe(false);
    expect(await prepareOf('postgres://u@[::1]:6543/db')).toBe(false);
    expect(await prepareOf('postgres://u@h1:5432,h2:6543/db')).toBe(false);
    expect(await prepareOf('postgres://u@h/db', { postgres: { port: 6543 } })).toBe(false);
  });

  it('an explicit choice wins: pooler "direct"/"session", postgres.prepare, ?prepare= in the URL', async () => {
    expect(await prepareOf('postgres://u@h:6543/db', { pooler: 'direct' })).toBe(true);
    expect(await prepareOf('postgres://u@h:6543/db', { pooler: 'session' })).toBe(true);
    expect(await prepareOf('postgres://u@h:6543/db', { postgres: { prepare: true } })).toBe(true);
    expect(await prepareOf('postgres://u@h:5432/db', { pooler: 'transaction', postgres: { prepare: true } })).toBe(true);
    expect(await prepareOf('postgres://u@h:6543/db?prepare=true')).not.toBe(false); // postgres.js keeps the text 'true'
    expect(isTransactionPooler('postgres://u@h/db', {}, { PGPORT: '6543' })).toBe(true);
    expect(isTransactionPooler('postgres://u@h:5432/db', {}, { PGPORT: '6543' })).toBe(false);
  });
});

describe.skipIf(missing !== null && !inCi)('through PgBouncer in transaction mode', () => {
  const t = useTestDb();
  let bouncer: PgBouncer;
  /** This file's database on the server itself (not through any pooler). */
  let direct: string;
  const user = randomUUID();
  let postId: string;

  beforeAll(async () => {
    if (missing) throw new Error(`${missing}. CI (CI=true) must run these tests, not skip them.`);
    direct = withDatabase(inject('adminUrl'), t.name);
    bouncer = await startPgBouncer(inject('adminUrl'));
    await createUser(t.db, { id: user });
    postId = await createPublishedPost(t.db, 'tiktok', 'pooler_1', user);
  });

  afterAll(async () => {
    await bouncer?.stop();
  });

  /** `n` distinct events, labelled so each test has its own. */
  const events = (label: string, n = 10_000): EngagementEventInput[] =>
    Array.from({ length: n }, (_, i) => ({
      postId,
      eventType: i % 3 ? 'view' : 'like',
      eventTimestamp: new Date(Date.UTC(2026, 10, 2) + i * 1000),
      platformEventId: `${label}-${i}`,
      platformUserId: `u${i % 500}`,
    }));

  const stored = async (label: string) => {
    const [row] = await queryRows<{ n: number }>(
      t.db,
      sql`SELECT count(*)::int AS n FROM engagement_events WHERE post_id = ${postId}::uuid AND event_key = ANY (
            SELECT engagement_event_key('tiktok:' || ${label} || '-' || g) FROM generate_series(0, 9999) g)`,
    );
    return row!.n;
  };

  /** Stores 10,000 events, replays them, and returns the first call's rate. */
  const ingestAndReplay = async (db: Db, label: string) => {
    // Warm up (connections, type fetch, JIT) so the rate is the steady one.
    expect((await recordEngagementEvents(db, events(`${label}-warm`, 2_000))).inserted).toBe(2_000);
    const batch = events(label);
    const started = performance.now();
    const first = await recordEngagementEvents(db, batch);
    const seconds = (performance.now() - started) / 1000;
    expect(first).toEqual({ inserted: 10_000, duplicates: 0, rejected: [] });
    const replay = await recordEngagementEvents(db, batch);
    expect(replay).toEqual({ inserted: 0, duplicates: 10_000, rejected: [] });
    // A replay in another order, split differently, lands on other server connections: still duplicates.
    const again = await recordEngagementEvents(db, [...batch].reverse(), { chunkSize: 700, concurrency: 4 });
    expect(again).toEqual({ inserted: 0, duplicates: 10_000, rejected: [] });
    expect(await stored(label)).toBe(10_000);
    return Math.round(10_000 / seconds);
  };

  it('createDb(url, { pooler: "transaction" }): 10,000 events stored once, every replay counted as duplicates', async () => {
    const db = createDb(bouncer.via(direct), { pooler: 'transaction' });
    try {
      expect(db.$client.options.prepare).toBe(false);
      const pooled = await ingestAndReplay(db, 'opt');
      const server = createDb(direct);
      let directRate: number;
      try {
        directRate = await ingestAndReplay(server, 'direct');
      } finally {
        await close(server);
      }
      process.stdout.write(
        `[pooler] recordEngagementEvents, 10,000 events: ${pooled.toLocaleString('en-US')} events/s through PgBouncer ` +
          `(transaction mode, prepare off), ${directRate.toLocaleString('en-US')} events/s direct (prepare on)\n`,
      );
      // The statements really went through PgBouncer.
      expect((await bouncer.stats()).transactions).toBeGreaterThan(3);
    } finally {
      await close(db);
    }
  });

  it.skipIf(port6543Busy !== null && !inCi)(
    `a plain createDb(url) on port ${supabasePort}: recognised, same result`,
    async () => {
      if (port6543Busy) throw new Error(`${port6543Busy}: CI must run this test.`);
      const supabaseLike = await startPgBouncer(inject('adminUrl'), { port: supabasePort });
      const db = createDb(supabaseLike.via(direct));
      try {
        expect(new URL(supabaseLike.via(direct)).port).toBe(String(supabasePort));
        expect(db.$client.options.prepare).toBe(false);
        const rate = await ingestAndReplay(db, 'port6543');
        process.stdout.write(`[pooler] port ${supabasePort}, plain createDb(url): ${rate.toLocaleString('en-US')} events/s\n`);
      } finally {
        await close(db);
        await supabaseLike.stop();
      }
    },
  );

  it('why: prepared statements (the postgres.js default) break behind it, and prepare: false does not', async () => {
    // A pooler of its own, so the server connections are known: after the first query there is one.
    const fresh = await startPgBouncer(inject('adminUrl'));
    const url = fresh.via(direct);
    const run = async (client: postgres.Sql) => {
      const holder = postgres(url, { max: 1, prepare: false, onnotice: () => {} });
      try {
        // Prepared (when prepare is on) on the pooler's only server connection, S1.
        expect(await client`SELECT ${1}::int AS x`).toEqual([{ x: 1 }]);
        // Another client holds S1 in an open transaction...
        let release!: () => void;
        let holding!: () => void;
        const isHolding = new Promise<void>((resolve) => (holding = resolve));
        const held = holder.begin(async (tx) => {
          await tx`SELECT 1`;
          holding();
          await new Promise<void>((resolve) => (release = resolve));
        });
        await isHolding;
        try {
          // ...so this transaction runs on a new server connection S2, where nothing was prepared.
          return await client
            .begin(async (tx) => tx`SELECT ${1}::int AS x`)
            .then(
              (rows) => ({ rows }),
              (err: Error) => ({ error: err.message }),
            );
        } finally {
          release();
          await held;
        }
      } finally {
        await holder.end({ timeout: 5 });
      }
    };
    try {
      const prepared = postgres(url, { max: 1, onnotice: () => {} });
      try {
        expect(await run(prepared)).toEqual({ error: expect.stringMatching(/prepared statement "[^"]+" does not exist/) });
      } finally {
        await prepared.end({ timeout: 5 });
      }
      const unprepared = createDb(url, { max: 1, pooler: 'transaction' });
      try {
        expect(await run(unprepared.$client)).toEqual({ rows: [{ x: 1 }] });
      } finally {
        await close(unprepared);
      }
    } finally {
      await fresh.stop();
    }
  });
});
