import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { close, createDb, createEmbeddedDb, queryRows, type Db } from '../src/db.js';
import { migrate, migrationsFolder } from '../src/migrate.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { useEmptyDatabases } from './support/db.js';

const run = promisify(execFile);
const emptyDatabases = useEmptyDatabases('empty');
const emptyDatabase = async () => (await emptyDatabases()).url;

/** Every object the migrations made, as text: equal on two databases means the same objects. */
const catalogFingerprint = sql`
  SELECT string_agg(x, E'\n' ORDER BY x) AS fp FROM (
    SELECT 'rel ' || n.nspname || '.' || c.relname || ' ' || c.relkind::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname IN ('public', 'auth', 'drizzle')
    UNION ALL SELECT 'con ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = 'public'::regnamespace
    UNION ALL SELECT 'fn ' || p.oid::regprocedure::text FROM pg_proc p WHERE pronamespace IN ('public'::regnamespace, 'auth'::regnamespace)
    UNION ALL SELECT 'trg ' || tgname FROM pg_trigger WHERE NOT tgisinternal
    UNION ALL SELECT 'mig ' || hash FROM drizzle.__drizzle_migrations
    UNION ALL SELECT 'platform ' || name FROM social_platforms
  ) s(x)`;

const journal = JSON.parse(readFileSync(join(migrationsFolder, 'meta/_journal.json'), 'utf8')) as {
  entries: { tag: string; when: number }[];
};

/** What drizzle must record for each migration, in journal order: the file's hash and the journal's time. */
const expected = readMigrationFiles({ migrationsFolder }).map((m) => ({ hash: m.hash, at: String(m.folderMillis) }));

async function recorded(db: Db): Promise<{ id: number; hash: string; at: string }[]> {
  return queryRows(db, sql`select id::int as id, hash, created_at::text as at from drizzle.__drizzle_migrations order by id`);
}

let migrateFingerprint: string | undefined;

describe('migrations', () => {
  it('journal times strictly increase and the Supabase bootstrap comes first', () => {
    expect(journal.entries[0]?.tag).toMatch(/supabase_bootstrap/);
    for (let i = 1; i < journal.entries.length; i++) {
      expect(journal.entries[i]!.when).toBeGreaterThan(journal.entries[i - 1]!.when);
    }
  });

  // drizzle's migrator applies what is newer than the last recorded migration, so "a second run
  // changes nothing" holds by construction. What can go wrong is what gets recorded: a row per journal
  // entry, with the file's hash and the journal's time (what decides, on the next run, what is pending).
  it('migrate() applies on an empty database and records each journal entry once, with its hash and time; a second run records nothing', async () => {
    const db = createDb(await emptyDatabase(), { max: 1 });
    try {
      await migrate(db);
      const first = await recorded(db);
      expect(first.map(({ hash, at }) => ({ hash, at }))).toEqual(expected);
      await migrate(db);
      expect(await recorded(db)).toEqual(first);
      const platforms = await queryRows<{ name: string }>(db, sql`select name from social_platforms order by name`);
      expect(platforms.map((p) => p.name)).toEqual(['instagram', 'tiktok', 'youtube']);
      migrateFingerprint = (await queryRows<{ fp: string }>(db, catalogFingerprint))[0]!.fp;
    } finally {
      await close(db);
    }
  });

  it('drizzle-kit migrate records the same rows and makes the same objects as migrate()', async () => {
    const url = await emptyDatabase();
    const env = { ...process.env, DATABASE_URL: url };
    await run('npx', ['drizzle-kit', 'migrate'], { env, cwd: process.cwd() });
    const db = createDb(url, { max: 1 });
    try {
      expect((await recorded(db)).map(({ hash, at }) => ({ hash, at }))).toEqual(expected);
      const [kit] = await queryRows<{ fp: string }>(db, catalogFingerprint);
      expect(kit!.fp).toContain('rel public.engagement_events p');
      expect(migrateFingerprint, 'the migrate() test ran first').toBeDefined();
      expect(kit!.fp).toBe(migrateFingerprint);
    } finally {
      await close(db);
    }
  });

  it('the same migrations apply on embedded PGlite', async () => {
    const db = await createEmbeddedDb();
    try {
      await migrate(db);
      await migrate(db);
      const parts = await queryRows<{ n: number }>(
        db,
        sql`select count(*)::int as n from pg_inherits where inhparent = 'engagement_events'::regclass`,
      );
      expect(parts[0]!.n).toBeGreaterThanOrEqual(5); // current month + 3 ahead + DEFAULT
      const applied = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from drizzle.__drizzle_migrations`);
      expect(applied[0]!.n).toBe(journal.entries.length);
    } finally {
      await close(db);
    }
  });
});
