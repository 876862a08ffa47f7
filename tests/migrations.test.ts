import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { close, createDb, createEmbeddedDb, queryRows } from '../src/db.js';
import { migrate, migrationsFolder } from '../src/migrate.js';
import { withDatabase } from './support/server.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const run = promisify(execFile);
const created: string[] = [];

async function emptyDatabase(): Promise<string> {
  const name = `socialdb_test_empty_${process.pid}_${created.length}_${Date.now() % 100000}`;
  const admin = postgres(inject('adminUrl'), { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE "${name}"`);
  await admin.end();
  created.push(name);
  return withDatabase(inject('adminUrl'), name);
}

afterAll(async () => {
  const admin = postgres(inject('adminUrl'), { max: 1, onnotice: () => {} });
  for (const name of created) await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.end();
});

/** Every object the migrations made, as text: equal before and after a re-run means nothing changed. */
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

describe('migrations', () => {
  it('journal times strictly increase and the Supabase bootstrap comes first', () => {
    expect(journal.entries[0]?.tag).toMatch(/supabase_bootstrap/);
    for (let i = 1; i < journal.entries.length; i++) {
      expect(journal.entries[i]!.when).toBeGreaterThan(journal.entries[i - 1]!.when);
    }
  });

  it('migrate() applies on an empty database, and again changes nothing', async () => {
    const db = createDb(await emptyDatabase(), { max: 1 });
    try {
      await migrate(db);
      const [first] = await queryRows<{ fp: string }>(db, catalogFingerprint);
      await migrate(db);
      const [second] = await queryRows<{ fp: string }>(db, catalogFingerprint);
      expect(second!.fp).toBe(first!.fp);
      const applied = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from drizzle.__drizzle_migrations`);
      expect(applied[0]!.n).toBe(journal.entries.length);
      const platforms = await queryRows<{ name: string }>(db, sql`select name from social_platforms order by name`);
      expect(platforms.map((p) => p.name)).toEqual(['instagram', 'tiktok', 'youtube']);
    } finally {
      await close(db);
    }
  });

  it('drizzle-kit migrate applies on an empty database, and again changes nothing', async () => {
    const url = await emptyDatabase();
    const env = { ...process.env, DATABASE_URL: url };
    await run('npx', ['drizzle-kit', 'migrate'], { env, cwd: process.cwd() });
    const db = createDb(url, { max: 1 });
    try {
      const [first] = await queryRows<{ fp: string }>(db, catalogFingerprint);
      await run('npx', ['drizzle-kit', 'migrate'], { env, cwd: process.cwd() });
      const [second] = await queryRows<{ fp: string }>(db, catalogFingerprint);
      expect(second!.fp).toBe(first!.fp);
      expect(first!.fp).toContain('rel public.engagement_events p');
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
