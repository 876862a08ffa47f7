import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { checkViewFiles, readViewFiles } from './support/sql-views.js';
import { createTestDatabase, dropTestDatabase, useTestDb } from './support/db.js';

// sql/views/ holds the current definition of every view and materialized view; migrations carry the
// history. The check holds the files to the catalog of a migrated database, in both directions.

const t = useTestDb({ max: 1 });
let sql: postgres.Sql;
beforeAll(() => {
  sql = postgres(t.url, { max: 1, prepare: false, onnotice: () => {} });
});
afterAll(async () => {
  await sql?.end({ timeout: 5 });
});

const role = () => inject('migratorRole');
const files = readViewFiles();
const withFile = (file: string, change: (text: string) => string) => new Map([...files].map(([f, s]) => [f, f === file ? change(s) : s]));

describe('sql/views/', () => {
  it('holds exactly the views the migrations create, each as the catalog has it', async () => {
    expect([...files.keys()]).toEqual(['daily_platform_metrics.sql', 'platform_engaged_users.sql', 'post_engaged_users.sql']);
    expect(await checkViewFiles(sql, { role: role() })).toEqual([]);
  });

  it('catches a file changed without a migration: query, index, privileges', async () => {
    const query = await checkViewFiles(sql, {
      role: role(),
      files: withFile('post_engaged_users.sql', (s) => s.replace('count(DISTINCT e.platform_user_id)', 'count(e.platform_user_id)')),
    });
    expect(query.map((p) => [p.kind, p.name])).toEqual([['file-differs', 'post_engaged_users']]);
    expect(query[0]!.message).toMatch(/disagree on definition/);
    const index = await checkViewFiles(sql, {
      role: role(),
      files: withFile('platform_engaged_users.sql', (s) => s.replace('CREATE UNIQUE INDEX', 'CREATE INDEX')),
    });
    expect(index.map((p) => [p.kind, p.name, /indexes/.test(p.message)])).toEqual([['file-differs', 'platform_engaged_users', true]]);
    const grants = await checkViewFiles(sql, {
      role: role(),
      files: withFile('daily_platform_metrics.sql', (s) => `${s}GRANT SELECT ON public.daily_platform_metrics TO authenticated;\n`),
    });
    expect(grants.map((p) => [p.kind, p.name, /privileges/.test(p.message)])).toEqual([['file-differs', 'daily_platform_metrics', true]]);
  });

  it('catches a view with no file, a file with no view and a file that fails', async () => {
    const partial = new Map(files);
    partial.delete('post_engaged_users.sql');
    partial.set('gone_view.sql', 'CREATE VIEW public.gone_view AS SELECT 1;');
    partial.set('daily_platform_metrics.sql', 'CREATE MATERIALIZED VIEW public.daily_platform_metrics AS SELEC 1;');
    const problems = await checkViewFiles(sql, { role: role(), files: partial });
    expect(problems.map((p) => [p.kind, p.name]).sort()).toEqual([
      ['file-fails', 'daily_platform_metrics'],
      ['file-without-view', 'gone_view'],
      ['view-without-file', 'post_engaged_users'],
    ]);
  });

  it('catches a migration that changes a view without its file', async () => {
    // A second database where a careless migration, run as the migrating role, changed a view.
    const scratch = await createTestDatabase({ max: 1 });
    const other = postgres(scratch.url, { max: 1, prepare: false, onnotice: () => {} });
    try {
      await other.begin(async (tx) => {
        await tx.unsafe(`SET LOCAL ROLE "${role()}"`);
        await tx.unsafe('GRANT SELECT ON public.post_engaged_users TO authenticated');
      });
      const problems = await checkViewFiles(other, { role: role() });
      expect(problems.map((p) => [p.kind, p.name, /privileges/.test(p.message)])).toEqual([['file-differs', 'post_engaged_users', true]]);
    } finally {
      await other.end({ timeout: 5 });
      await dropTestDatabase(scratch);
    }
  });
});
