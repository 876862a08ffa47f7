import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { queryRows } from '../src/db.js';
import { ensurePartitionsSince } from '../src/demo/partitions.js';
import { runCli as cli } from './support/cli.js';
import { createTestDatabase, dropTestDatabase } from './support/db.js';

// `social-db demo` (what `npm run demo` runs) against a server and on embedded PGlite, in this process
// through the CLI's `main` (the bin calls the same function; tests/cli.test.ts runs the bin itself).

const tempDirs: string[] = [];
afterAll(() => {
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

describe('social-db demo', () => {
  it('against a server: migrates, loads, prints every dashboard section, and a re-run replaces only its own rows', async () => {
    const target = await createTestDatabase({ max: 1 });
    try {
      await target.db.execute(sql`INSERT INTO auth.users (id, email) VALUES ('11111111-1111-4111-8111-111111111111', 'someone@else.example')`);
      const args = ['demo', '--posts', '60', '--events', '3000', '--days', '14'];
      const first = await cli(args, { DATABASE_URL: target.url });
      expect(first.stderr).toBe('');
      expect(first.code).toBe(0);
      for (const heading of ['Top content by category', 'Daily platform metrics', 'Trending topics', 'Conversion funnel', 'drizzle-kit studio', '4983']) {
        expect(first.stdout).toContain(heading);
      }
      const count = async () =>
        (await queryRows<{ posts: number; users: number }>(
          target.db,
          sql`SELECT (SELECT count(*)::int FROM social_posts) AS posts, (SELECT count(*)::int FROM auth.users) AS users`,
        ))[0]!;
      expect(await count()).toEqual({ posts: 60, users: 2 });
      const second = await cli(args, { DATABASE_URL: target.url });
      expect(second.code).toBe(0);
      expect(second.stdout).toContain('Replaced the rows of a previous demo run');
      expect(await count()).toEqual({ posts: 60, users: 2 });
      // Deterministic: the same seed prints the same data section.
      // Mentions are facts of the outside world, not demo rows: a same-day re-run replays them (no new rows).
      expect(second.stdout).toMatch(/topic mentions through recordTopicMentions \(0 new, [\d,]+ already stored, 0 rejected\)/);
      const strip = (s: string) =>
        s.split('\nGenerating')[1]!.split('\nRollups')[0]!.replace(/ in [\d.]+s/g, '').replace(/^.*topic mentions.*$/gm, '');
      expect(strip(second.stdout)).toBe(strip(first.stdout));
      expect(first.stdout).toMatch(/✓ [\d,]+ events through recordEngagementEvents \(0 duplicates, 0 rejected\)/);
    } finally {
      await dropTestDatabase(target);
    }
  });

  it('without a database URL: uses the PGlite folder, and refuses to empty a folder that is not one', async () => {
    const base = mkdtempSync(join(tmpdir(), 'socialdb-cli-'));
    tempDirs.push(base);
    const dir = join(base, 'pglite');
    const r = await cli(['demo', '--posts', '12', '--events', '300', '--days', '3'], { SOCIAL_DB_PGLITE_DIR: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Embedded database (PGlite) in ${dir}`);
    expect(r.stdout).toContain('Top content by category');
    expect(readFileSync(join(dir, 'PG_VERSION'), 'utf8').trim()).toMatch(/^\d+/);
    const doctor = await cli(['doctor'], { SOCIAL_DB_PGLITE_DIR: dir });
    expect(doctor.stdout).toMatch(/WARN\s+pg_cron\s+not installed/);
    expect(doctor.stdout).toMatch(/^healthy/m);
    expect(doctor.code).toBe(0);

    // doctor never creates a database where there is none.
    const nowhere = join(base, 'nowhere');
    const missing = await cli(['doctor', '--pglite', nowhere]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('holds no PGlite database');
    expect(existsSync(nowhere)).toBe(false);

    const precious = join(base, 'precious');
    mkdirSync(precious);
    writeFileSync(join(precious, 'notes.txt'), 'keep me');
    const refused = await cli(['demo', '--pglite', precious]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('is not a PGlite data folder');
    expect(readFileSync(join(precious, 'notes.txt'), 'utf8')).toBe('keep me');
  });
});

describe('past months of the demo and the benchmark', () => {
  it('are made by ensure_engagement_partitions, like the maintenance makes them: month CHECK, RLS, grants, policy; no placeholder left', async () => {
    const t = await createTestDatabase({ max: 2 });
    try {
      const now = new Date();
      const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 5, 17));
      const created = await ensurePartitionsSince(t.db, from);
      const past = created.filter((p) => p.rangeStart < new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)));
      expect(past.map((p) => p.rangeStart.toISOString())).toEqual(
        [5, 4, 3, 2, 1].map((k) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - k, 1)).toISOString()),
      );
      // Each past month went through DEFAULT as one placeholder row, which is gone again.
      expect(past.every((p) => p.rowsMoved === 1)).toBe(true);
      const [left] = await queryRows<{ events: number; queued: number }>(
        t.db,
        sql`SELECT (SELECT count(*)::int FROM engagement_events) AS events, (SELECT count(*)::int FROM engagement_rollup_queue) AS queued`,
      );
      expect(left).toEqual({ events: 0, queued: 0 });
      // Every month, past or ahead, looks the same in the catalog: nothing tells the demo's apart.
      const months = await queryRows<{ name: string; month_check: boolean; rls: boolean; acl: string; policies: string }>(
        t.db,
        sql`SELECT c.relname AS name,
                   EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.conname = c.relname || '_month' AND k.convalidated) AS month_check,
                   c.relrowsecurity AS rls,
                   coalesce(c.relacl::text, '') AS acl,
                   (SELECT string_agg(p.polname || ':' || p.polroles::regrole[]::text, ',' ORDER BY p.polname) FROM pg_policy p WHERE p.polrelid = c.oid) AS policies
              FROM engagement_partition_ranges('engagement_events') r JOIN pg_class c ON c.oid = r.partition
             WHERE NOT r.is_default`,
      );
      expect(months.length).toBeGreaterThanOrEqual(9); // 5 past, the current month and 3 ahead
      for (const m of months) {
        expect(m, m.name).toMatchObject({ month_check: true, rls: true, acl: months.at(-1)!.acl, policies: 'partition_service_role:{service_role}' });
      }
      expect(await ensurePartitionsSince(t.db, from)).toEqual([]);
    } finally {
      await dropTestDatabase(t);
    }
  });
});
