import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, inject } from 'vitest';
import { close, createDb, type PostgresDb } from '../../src/db.js';
import { viaPooler } from './pooler.js';
import { withDatabase } from './server.js';

export interface TestDatabase {
  db: PostgresDb;
  url: string;
  name: string;
}

function admin() {
  return postgres(inject('adminUrl'), { max: 1, onnotice: () => {} });
}

/** A fresh, migrated database cloned from the run's template. Drop it with `dropTestDatabase`. */
export async function createTestDatabase(options: { max?: number } = {}): Promise<TestDatabase> {
  const name = `socialdb_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const template = inject('templateDatabase');
  const sql = admin();
  try {
    // CREATE DATABASE ... TEMPLATE fails while another session is connected to the template; retry briefly.
    for (let attempt = 0; ; attempt++) {
      try {
        // Owned by the migrator, as the template is (CREATE DATABASE would make the caller its owner).
        await sql.unsafe(`CREATE DATABASE "${name}" TEMPLATE "${template}" OWNER "${inject('migratorRole')}"`);
        break;
      } catch (err) {
        if ((err as { code?: string }).code !== '55006' || attempt >= 20) throw err;
        await new Promise((r) => setTimeout(r, 100 + attempt * 50));
      }
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
  // Through the transaction pooler when SOCIAL_DB_TEST_POOLER_URL is set (CI's pooler leg).
  const { url, pooler } = viaPooler(withDatabase(inject('adminUrl'), name));
  return { db: createDb(url, { max: options.max ?? 10, pooler }), url, name };
}

export async function dropTestDatabase(t: TestDatabase): Promise<void> {
  await close(t.db);
  const sql = admin();
  try {
    await sql.unsafe(`DROP DATABASE IF EXISTS "${t.name}" WITH (FORCE)`);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/**
 * This test file's own database: created before its tests, dropped after.
 * Use as `const t = useTestDb();` then `t.db` inside tests.
 */
export function useTestDb(options: { max?: number } = {}): TestDatabase {
  const holder = {} as TestDatabase;
  beforeAll(async () => {
    Object.assign(holder, await createTestDatabase(options));
  });
  afterAll(async () => {
    if (holder.name) await dropTestDatabase(holder);
  });
  return holder;
}

/**
 * Empty databases (no template, no migration, owned by the server's superuser) for tests of migrating
 * from nothing: `const emptyDatabase = useEmptyDatabases('cli');` then `await emptyDatabase()` in a
 * test. Every one made is dropped after the file's tests.
 */
export function useEmptyDatabases(label: string): () => Promise<{ name: string; url: string }> {
  const made: string[] = [];
  afterAll(async () => {
    if (made.length === 0) return;
    const sql = admin();
    try {
      for (const name of made) await sql.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    } finally {
      await sql.end({ timeout: 5 });
    }
  });
  return async () => {
    const name = `socialdb_test_${label}_${process.pid}_${randomBytes(3).toString('hex')}`;
    const sql = admin();
    try {
      await sql.unsafe(`CREATE DATABASE "${name}"`);
    } finally {
      await sql.end({ timeout: 5 });
    }
    made.push(name);
    return { name, url: withDatabase(inject('adminUrl'), name) };
  };
}
