import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { close, createDb, queryRows } from '../src/db.js';
import { migrate, MigrationError } from '../src/migrate.js';
import { sql } from 'drizzle-orm';
import { asRole, createSupabaseDatabase } from './support/supabase.js';
import { withDatabase } from './support/server.js';

// A refused migration names the server's error, the migration file and the statement, and leaves the
// database as it was (drizzle-kit migrate 0.31 only exits 1 after its spinner).

const name = `socialdb_test_migerr_${process.pid}_${randomBytes(3).toString('hex')}`;

afterAll(async () => {
  const admin = postgres(inject('adminUrl'), { max: 1, onnotice: () => {} });
  await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.end();
});

describe('migrate() when the server refuses a statement', () => {
  it('throws a MigrationError naming the file, the statement and the SQLSTATE, and changes nothing', async () => {
    const migrator = inject('migratorRole');
    await createSupabaseDatabase(inject('adminUrl'), name, migrator);
    // Something of the platform's already stands where the package wants to create a table.
    const admin = postgres(withDatabase(inject('adminUrl'), name), { max: 1, onnotice: () => {} });
    await admin.unsafe('create table public.social_platforms (x int); alter table public.social_platforms owner to supabase_admin');
    await admin.end();

    const db = createDb(asRole(inject('adminUrl'), migrator, name), { max: 1 });
    try {
      const err = await migrate(db).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(MigrationError);
      const m = err as MigrationError;
      expect(m).toMatchObject({ code: '42P07', file: expect.stringMatching(/^0001_.*\.sql$/), statementNumber: 1 });
      expect(m.statement).toMatch(/^CREATE TABLE "social_platforms"/);
      expect(m.message).toMatch(/already exists \(42P07\)\n {2}0001_\w+\.sql, statement 1: CREATE TABLE "social_platforms"/);
      // One transaction: nothing applied, nothing recorded (drizzle creates its journal table beforehand).
      const [left] = await queryRows<{ applied: number; accounts: boolean }>(
        db,
        sql`select (select count(*)::int from drizzle.__drizzle_migrations) as applied,
                   to_regclass('public.social_accounts') is not null as accounts`,
      );
      expect(left).toEqual({ applied: 0, accounts: false });
    } finally {
      await close(db);
    }
  });
});
