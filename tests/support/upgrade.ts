import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate as drizzleMigrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { afterAll, inject } from 'vitest';
import { createDb, type PostgresDb } from '../../src/db.js';
import { migrationsFolder, migrationsTable } from '../../src/migrate.js';
import { withDatabase } from './server.js';

// Upgrade tests: a database brought to an earlier point of the journal (filled through the tables of
// that time by the test), then migrated to the head. One way to make it, for every upgrade test.

export const journal = JSON.parse(readFileSync(join(migrationsFolder, 'meta/_journal.json'), 'utf8')) as {
  entries: { idx: number; tag: string; when: number }[];
};

/** The number of migrations before the one whose tag ends with `suffix` (its index in the journal). */
export const migrationsBefore = (suffix: string): number => journal.entries.findIndex((e) => e.tag.endsWith(suffix));

/** 0000 as it was released, before the Supabase issue made it create only what is missing. */
const RELEASED_0000 = readFileSync(new URL('../fixtures/0000_supabase_bootstrap.released.sql', import.meta.url), 'utf8');

/** Databases made by `databaseAt` in the importing test file (modules are per file), dropped after its tests. */
const made: string[] = [];
afterAll(async () => {
  if (made.length === 0) return;
  const admin = postgres(inject('adminUrl'), { max: 1, onnotice: () => {} });
  for (const n of made) await admin.unsafe(`DROP DATABASE IF EXISTS "${n}" WITH (FORCE)`);
  await admin.end();
});

/**
 * A new database named `name` (dropped first if left over) migrated, as the superuser, through the
 * first `count` migrations of the journal (0000 as released, if asked). The caller closes the pool.
 */
export async function databaseAt(name: string, count: number, options: { released0000?: boolean } = {}): Promise<PostgresDb> {
  const admin = postgres(inject('adminUrl'), { max: 1, onnotice: () => {} });
  await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.unsafe(`CREATE DATABASE "${name}"`);
  await admin.end();
  made.push(name);
  const db = createDb(withDatabase(inject('adminUrl'), name), { max: 2 });
  const dir = mkdtempSync(join(tmpdir(), 'socialdb-migrations-'));
  try {
    cpSync(migrationsFolder, dir, { recursive: true });
    if (options.released0000) writeFileSync(join(dir, `${journal.entries[0]!.tag}.sql`), RELEASED_0000);
    writeFileSync(join(dir, 'meta/_journal.json'), JSON.stringify({ ...journal, entries: journal.entries.slice(0, count) }));
    await drizzleMigrate(db, { migrationsFolder: dir, migrationsTable: migrationsTable.table, migrationsSchema: migrationsTable.schema });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return db;
}
