import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { close, createDb, queryRows } from '../src/db.js';
import { migrationsFolder } from '../src/migrate.js';
import { runCli as cli, spawnCli } from './support/cli.js';
import { createTestDatabase, dropTestDatabase, useEmptyDatabases, useTestDb } from './support/db.js';
import { createUser, workspaceOf } from './support/fixtures.js';
import { withDatabase } from './support/server.js';

const t = useTestDb();

const emptyDatabase = useEmptyDatabases('cli');
const admin = () => postgres(inject('adminUrl'), { max: 1, onnotice: () => {} });
let role: string | undefined;

afterAll(async () => {
  if (!role) return;
  const sqlAdmin = admin();
  await sqlAdmin.unsafe(`DROP ROLE IF EXISTS "${role}"`);
  await sqlAdmin.end();
});

const journalLength = (JSON.parse(readFileSync(join(migrationsFolder, 'meta/_journal.json'), 'utf8')) as { entries: unknown[] }).entries.length;

describe('social-db --help and usage', () => {
  it('the bin entry point runs: --help exits 0, an unreachable database exits 3 with the redacted URL', async () => {
    const help = await spawnCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: social-db <command>');
    const down = await spawnCli(['doctor'], { DATABASE_URL: 'postgres://someone:s3cret@127.0.0.1:1/app' });
    expect(down.code).toBe(3);
    expect(down.stderr).toContain('cannot reach the database at postgres://someone:***@127.0.0.1:1/app');
    expect(down.stderr).not.toContain('s3cret');
    expect(readFileSync('src/cli.ts', 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('prints the commands and exit codes, and each command has its own --help', async () => {
    const main = await cli(['--help']);
    expect(main.code).toBe(0);
    for (const word of ['migrate', 'maintain', 'doctor', 'demo', 'Exit codes', 'DATABASE_URL']) expect(main.stdout).toContain(word);
    for (const command of ['migrate', 'maintain', 'doctor', 'demo']) {
      const r = await cli([command, '--help']);
      expect(r.code, command).toBe(0);
      expect(r.stdout).toContain(`Usage: social-db ${command}`);
      expect(r.stdout).toContain('Exit codes');
    }
  });

  it('rejects an unknown command, an unknown flag and a bad value with exit code 2', async () => {
    const unknown = await cli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
    const flag = await cli(['doctor', '--bogus']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/bogus/);
    const value = await cli(['demo', '--posts', 'many']);
    expect(value.code).toBe(2);
    expect(value.stderr).toContain('--posts: expected a whole number');
    const none = await cli([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Usage: social-db');
  });
});

describe('social-db migrate', () => {
  it('migrates a fresh database, then doctor finds it healthy', async () => {
    const { url } = await emptyDatabase();
    const r = await cli(['migrate', '--database-url', url]);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${journalLength} applied, ${journalLength} in the journal, none pending`);
    const db = createDb(url, { max: 1 });
    try {
      const [row] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from drizzle.__drizzle_migrations`);
      expect(row!.n).toBe(journalLength);
    } finally {
      await close(db);
    }
    const doctor = await cli(['doctor'], { DATABASE_URL: url });
    expect(doctor.code).toBe(0);
    expect(doctor.stdout).toMatch(/^healthy/m);
  });

  it('names the missing privilege when the role may not create objects (exit 4)', async () => {
    const { name, url } = await emptyDatabase();
    role = `socialdb_test_nopriv_${randomBytes(3).toString('hex')}`;
    const sqlAdmin = admin();
    // A password as well, so the login also works on servers that do not trust local connections.
    const password = randomBytes(12).toString('hex');
    await sqlAdmin.unsafe(`CREATE ROLE "${role}" LOGIN PASSWORD '${password}'`);
    await sqlAdmin.end();
    const u = new URL(url);
    u.username = role;
    u.password = password;
    const r = await cli(['migrate', '--database-url', u.toString()]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('permission denied');
    expect(r.stderr).toContain(`GRANT CREATE ON DATABASE ${name} TO <role>`);
  });
});

describe('social-db doctor', () => {
  it('reports a healthy database with exit 0', async () => {
    const r = await cli(['doctor', '--database-url', t.url]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ok\s+migrations\s+\d+ applied/);
    expect(r.stdout).toMatch(/ok\s+partitions ahead\s+3 months ahead/);
    expect(r.stdout).toMatch(/ok\s+DEFAULT partition\s+no rows waiting/);
    expect(r.stdout).toMatch(/ok\s+row-level security\s+enabled on all/);
    expect(r.stdout).toMatch(/^healthy/m);
    expect(r.stdout).not.toContain('FAIL');
  });

  it('tells a broken database apart (rows in DEFAULT, a missing partition, a table without RLS: exit 1), and maintain repairs it', async () => {
    const broken = await createTestDatabase({ max: 1 });
    try {
      // Rows of a month that has no partition wait in the DEFAULT partition.
      const workspace = await workspaceOf(broken.db, await createUser(broken.db));
      await broken.db.execute(sql`
        INSERT INTO engagement_events (post_id, workspace_id, event_timestamp, event_key, event_type)
        VALUES (gen_random_uuid(), ${workspace}::uuid, '1999-01-15T12:00:00Z', 1, 'like'),
               (gen_random_uuid(), ${workspace}::uuid, '1999-01-16T12:00:00Z', 2, 'view')`);
      const waiting = await cli(['doctor', '--database-url', broken.url]);
      expect(waiting.code).toBe(1);
      expect(waiting.stdout).toMatch(/FAIL\s+DEFAULT partition\s+2 row\(s\) waiting in engagement_events_default \(1999-01: 2\)/);
      expect(waiting.stdout).toMatch(/ok\s+partitions ahead/);
      expect(waiting.stdout).toContain('UNHEALTHY: 1 problem');

      // Next month's partition gone: its events would land in DEFAULT too.
      const [next] = await queryRows<{ name: string }>(
        broken.db,
        sql`SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
             WHERE i.inhparent = 'engagement_events'::regclass
               AND (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \\(''([^'']+)''\\)'))[1]::timestamptz
                   = date_trunc('month', now(), 'UTC') + interval '1 month'`,
      );
      expect(next).toBeDefined();
      await broken.db.execute(sql.raw(`ALTER TABLE engagement_events DETACH PARTITION "${next!.name}"`));
      await broken.db.execute(sql.raw(`DROP TABLE "${next!.name}"`));
      await broken.db.execute(sql`ALTER TABLE post_analytics DISABLE ROW LEVEL SECURITY`);
      const r = await cli(['doctor', '--database-url', broken.url]);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/FAIL\s+partitions ahead\s+no partition for next month/);
      expect(r.stdout).toMatch(/FAIL\s+DEFAULT partition/);
      expect(r.stdout).toMatch(/FAIL\s+row-level security\s+1 of \d+ tables without RLS: post_analytics/);
      expect(r.stdout).toContain('social-db maintain');
      // The table without RLS is also a finding of the audit and of the Security Advisor's lints.
      expect(r.stdout).toMatch(/FAIL\s+security audit\s+\d+ finding\(s\): rls_disabled: public.post_analytics;/);
      for (const lint of ['rls_disabled_in_public', 'policy_exists_rls_disabled']) {
        expect(r.stdout).toContain(`${lint}: public.post_analytics`);
      }
      expect(r.stdout).toContain('UNHEALTHY: 4 problems');

      // The way back: maintain creates the partition and moves the waiting rows into their month.
      await broken.db.execute(sql`ALTER TABLE post_analytics ENABLE ROW LEVEL SECURITY`);
      const repaired = await cli(['maintain', '--no-archive', '--database-url', broken.url]);
      expect(repaired.stdout).toMatch(/ensure_engagement_partitions\s+ok/);
      expect(repaired.code).toBe(0);
      const moved = await queryRows<{ n: number }>(broken.db, sql`SELECT count(*)::int AS n FROM engagement_events_default`);
      expect(moved[0]!.n).toBe(0);
      const after = await cli(['doctor', '--database-url', broken.url]);
      expect(after.stdout).toMatch(/ok\s+partitions ahead\s+3 months ahead/);
      expect(after.stdout).toMatch(/ok\s+DEFAULT partition/);
      expect(after.code).toBe(0);

      await broken.db.execute(sql`ALTER TABLE post_analytics DISABLE ROW LEVEL SECURITY`);
      const json = await cli(['doctor', '--json', '--database-url', broken.url]);
      expect(json.code).toBe(1);
      const report = JSON.parse(json.stdout) as { healthy: boolean; checks: { name: string; status: string }[] };
      expect(report.healthy).toBe(false);
      expect(report.checks.filter((c) => c.status === 'fail').map((c) => c.name)).toEqual(['row-level security', 'security audit']);
    } finally {
      await dropTestDatabase(broken);
    }
  });

  it('says which URL is unreachable (password redacted) and to set DATABASE_URL (exit 3)', async () => {
    const r = await cli(['doctor'], { DATABASE_URL: 'postgres://someone:s3cret@127.0.0.1:1/app' });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('cannot reach the database at postgres://someone:***@127.0.0.1:1/app');
    expect(r.stderr).toContain('DATABASE_URL');
    expect(r.stderr).not.toContain('s3cret');

    const missing = await cli(['migrate', '--database-url', withDatabase(inject('adminUrl'), 'socialdb_no_such_database')]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('database "socialdb_no_such_database" does not exist');
  });
});
