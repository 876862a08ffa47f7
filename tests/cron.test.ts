import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { close, createDb, queryRows, type PostgresDb } from '../src/db.js';
import { migrate, migrationsFolder } from '../src/migrate.js';
import { scheduleMaintenance, unscheduleMaintenance } from '../src/queries/maintenance.js';
import { useTestDb } from './support/db.js';
import { withDatabase } from './support/server.js';
import { asRole, createSupabaseDatabase, supabaseCronSql } from './support/supabase.js';

// pg_cron runs jobs in one database per server, `cron.database_name`; .ci/run sets it to this name. The
// test owns that database: it creates it, migrates it, and drops it. Every other test database is the
// "no pg_cron here" case. The database is laid out as a Supabase project (tests/support/supabase.ts):
// pg_cron enabled by the platform's superuser and usable by the non-superuser migrator, which migrates
// the database and so owns the jobs, as `postgres` does on Supabase.
const CRON_DB = 'socialdb_cron';
const JOBS = [
  'social-archive-engagement-events',
  'social-detect-trending-topics',
  'social-ensure-partitions',
  'social-prune-topic-mentions',
  'social-publishing-maintenance',
  'social-refresh-daily-platform-metrics',
  'social-refresh-engaged-users',
  'social-refresh-post-analytics',
  'social-refresh-template-performance',
];

const HOW_TO_ENABLE = [
  'pg_cron is not enabled on the test server, so scheduling cannot be tested for real. To enable it:',
  '  apt-get install postgresql-15-cron',
  "  printf \"shared_preload_libraries = 'pg_cron'\\ncron.database_name = 'socialdb_cron'\\n\" > /etc/postgresql/15/main/conf.d/pg_cron.conf",
  '  pg_ctlcluster 15 main restart',
  '(.ci/run does exactly this.)',
].join('\n');

function admin() {
  return postgres(inject('adminUrl'), { max: 1, onnotice: () => {} });
}

/** The platform's side: pg_cron enabled in socialdb_cron by the superuser, as Supabase does for projects. */
async function enableCronAsSupabase() {
  const inDb = postgres(withDatabase(inject('adminUrl'), CRON_DB), { max: 1, onnotice: () => {} });
  try {
    await inDb.unsafe(supabaseCronSql(inject('migratorRole')));
  } finally {
    await inDb.end({ timeout: 5 });
  }
}

/**
 * socialdb_cron owned by the migrator: laid out as a fresh Supabase project with pg_cron enabled, or
 * cloned from the migrated template (pg_cron not enabled). Returns a pool logged in as the migrator.
 */
async function recreateCronDatabase(template?: string, notices?: string[]): Promise<PostgresDb> {
  const migrator = inject('migratorRole');
  const a = admin();
  try {
    await a.unsafe(`DROP DATABASE IF EXISTS "${CRON_DB}" WITH (FORCE)`);
    if (template) await a.unsafe(`CREATE DATABASE "${CRON_DB}" TEMPLATE "${template}" OWNER "${migrator}"`);
  } finally {
    await a.end({ timeout: 5 });
  }
  if (!template) {
    await createSupabaseDatabase(inject('adminUrl'), CRON_DB, migrator);
    await enableCronAsSupabase();
  }
  return createDb(asRole(inject('adminUrl'), migrator, CRON_DB), {
    max: 1,
    ...(notices ? { postgres: { onnotice: (n) => notices.push(`${n.severity}: ${n.message}`) } } : {}),
  });
}

/** Who owns each job, read by the superuser (cron.job's policy shows a non-superuser only its own). */
async function jobOwners(): Promise<{ name: string; username: string }[]> {
  const inDb = postgres(withDatabase(inject('adminUrl'), CRON_DB), { max: 1, onnotice: () => {} });
  try {
    return await inDb<{ name: string; username: string }[]>`SELECT jobname AS name, username FROM cron.job ORDER BY jobname`;
  } finally {
    await inDb.end({ timeout: 5 });
  }
}

async function dropCronDatabase(db: PostgresDb | undefined) {
  if (db) {
    // Jobs live in the database's cron.job table; unscheduling first also stops any run in progress.
    await unscheduleMaintenance(db).catch(() => {});
    await close(db);
  }
  const a = admin();
  try {
    await a.unsafe(`DROP DATABASE IF EXISTS "${CRON_DB}" WITH (FORCE)`);
  } finally {
    await a.end({ timeout: 5 });
  }
}

const jobsQuery = sql`SELECT jobname AS name, count(*)::int AS n, min(jobid)::int AS jobid, min(schedule) AS schedule,
                             min(command) AS command, min(database) AS database
                      FROM cron.job GROUP BY jobname ORDER BY jobname`;
type JobRow = { name: string; n: number; jobid: number; schedule: string; command: string; database: string };

/** The scheduling migration's statements, as drizzle's migrator splits them. */
function schedulingMigration(): string[] {
  const file = readdirSync(migrationsFolder).find((f) => /^\d{4}_maintenance_schedule\.sql$/.test(f));
  if (!file) throw new Error(`no *_maintenance_schedule.sql in ${migrationsFolder}`);
  return readFileSync(join(migrationsFolder, file), 'utf8')
    .split('--> statement-breakpoint')
    .map((s) => s.trim())
    .filter(Boolean);
}

let cronDb: PostgresDb | undefined;
afterAll(async () => {
  await dropCronDatabase(cronDb);
});

/** Why the server cannot run the pg_cron tests, or null when it can. */
async function pgCronProblem(): Promise<string | null> {
  const a = admin();
  try {
    const [s] = await a<{ preload: string; cron_db: string | null; available: boolean }[]>`
      SELECT current_setting('shared_preload_libraries') AS preload,
             current_setting('cron.database_name', true) AS cron_db,
             EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_cron') AS available`;
    const problems = [
      !s!.available && 'the pg_cron package is not installed',
      !s!.preload.split(',').map((x) => x.trim()).includes('pg_cron') && `shared_preload_libraries is '${s!.preload}'`,
      s!.cron_db !== CRON_DB && `cron.database_name is ${s!.cron_db === null ? 'not set' : `'${s!.cron_db}'`}`,
    ].filter(Boolean);
    return problems.length > 0 ? `${HOW_TO_ENABLE}\nFound: ${problems.join('; ')}.` : null;
  } finally {
    await a.end({ timeout: 5 });
  }
}

// CI (.ci/run) enables pg_cron and sets SOCIAL_DB_REQUIRE_PG_CRON=1: there, a server without it fails
// the run. Elsewhere (a developer's plain PostgreSQL) these tests are reported as skipped, with the
// reason printed, and the tests of the path without pg_cron below still run.
const requirePgCron = process.env.SOCIAL_DB_REQUIRE_PG_CRON === '1';
const cronProblem = await pgCronProblem();
if (cronProblem && !requirePgCron) {
  process.stderr.write(`\n[tests/cron.test.ts] skipping 'scheduling with pg_cron': ${cronProblem}\n\n`);
}

describe.skipIf(cronProblem !== null && !requirePgCron)('scheduling with pg_cron', () => {
  it('the test server has pg_cron preloaded for database socialdb_cron', () => {
    if (cronProblem) throw new Error(cronProblem);
  });

  it('migrating an empty Supabase-like socialdb_cron as its owner schedules every job once, owned by it; migrating again duplicates none', async () => {
    const notices: string[] = [];
    cronDb = await recreateCronDatabase(undefined, notices);
    const db = cronDb;
    await migrate(db);
    // As on Supabase, where pg_cron serves the project's database: no WARNING, no NOTICE either.
    expect(notices).toEqual([]);
    const first = await queryRows<JobRow>(db, jobsQuery);
    expect(first.map((j) => j.name)).toEqual(JOBS);
    for (const j of first) expect(j).toMatchObject({ n: 1, database: CRON_DB });
    expect(await jobOwners()).toEqual(JOBS.map((name) => ({ name, username: inject('migratorRole') })));
    expect(Object.fromEntries(first.map((j) => [j.name, j.schedule]))).toEqual({
      'social-archive-engagement-events': '40 3 1 * *',
      'social-detect-trending-topics': '0 * * * *',
      'social-ensure-partitions': '7 0 * * *',
      'social-prune-topic-mentions': '15 2 * * *',
      'social-publishing-maintenance': '* * * * *',
      'social-refresh-daily-platform-metrics': '20 2 * * *',
      'social-refresh-engaged-users': '30 2 * * *',
      'social-refresh-post-analytics': '*/15 * * * *',
      'social-refresh-template-performance': '25 2 * * *',
    });

    // drizzle never applies a recorded migration twice, so the scheduling migration's own SQL is run
    // again as it stands, then the whole migrate.
    for (const statement of schedulingMigration()) await db.execute(sql.raw(statement));
    await migrate(db);
    const again = await queryRows<JobRow>(db, jobsQuery);
    expect(again).toEqual(first);

    expect(await jobOwners()).toEqual(JOBS.map((name) => ({ name, username: inject('migratorRole') })));

    // Every command is valid SQL against this database's functions: run each as pg_cron would, as the
    // job's owner.
    for (const j of again) await db.execute(sql.raw(j.command));
  });

  it('a database cloned from the migrated template is scheduled by calling the function, again without duplicates', async () => {
    await dropCronDatabase(cronDb);
    cronDb = await recreateCronDatabase(inject('templateDatabase'));
    const db = cronDb;
    // The template was migrated on a database pg_cron does not serve: nothing scheduled, no extension.
    const [ext] = await queryRows<{ n: number }>(db, sql`SELECT count(*)::int AS n FROM pg_extension WHERE extname = 'pg_cron'`);
    expect(ext!.n).toBe(0);

    // Before pg_cron is enabled the owner cannot create it (it is no trusted extension; on Supabase,
    // supautils lets `postgres` do it): not scheduled, with the reason, and no error.
    const before = await scheduleMaintenance(db);
    expect(before).toMatchObject({ scheduled: false });
    expect((before as { reason: string }).reason).toMatch(/^pg_cron could not be enabled here: permission denied to create extension "pg_cron"\. Have a superuser run CREATE EXTENSION pg_cron/);

    // The project enables pg_cron (Supabase: Database > Extensions), then its owner schedules.
    await enableCronAsSupabase();
    const first = await scheduleMaintenance(db);
    expect(first.scheduled).toBe(true);
    const second = await scheduleMaintenance(db, { retention: { years: 3 } });
    expect(second.scheduled && second.jobs.map((j) => j.jobid)).toEqual(first.scheduled && first.jobs.map((j) => j.jobid));
    const jobs = await queryRows<JobRow>(db, jobsQuery);
    expect(jobs.map((j) => [j.name, j.n])).toEqual(JOBS.map((n) => [n, 1]));
    expect(jobs.find((j) => j.name === 'social-archive-engagement-events')!.command).toBe(
      "SELECT count(*) FROM archive_old_engagement_events('3 years'::interval)",
    );

    expect(await jobOwners()).toEqual(JOBS.map((name) => ({ name, username: inject('migratorRole') })));

    expect((await unscheduleMaintenance(db)).sort()).toEqual(JOBS);
    const [left] = await queryRows<{ n: number }>(db, sql`SELECT count(*)::int AS n FROM cron.job`);
    expect(left!.n).toBe(0);
  });
});

describe('scheduling without pg_cron', () => {
  const t = useTestDb();

  it('the migration applied on an ordinary database, changed nothing, and said why', async () => {
    const [state] = await queryRows<{ applied: number; ext: number; fn: boolean }>(
      t.db,
      sql`SELECT (SELECT count(*) FROM drizzle.__drizzle_migrations)::int AS applied,
                 (SELECT count(*) FROM pg_extension WHERE extname = 'pg_cron')::int AS ext,
                 to_regprocedure('schedule_social_maintenance(interval)') IS NOT NULL AS fn`,
    );
    const journal = JSON.parse(readFileSync(join(migrationsFolder, 'meta/_journal.json'), 'utf8')) as { entries: unknown[] };
    expect(state).toEqual({ applied: journal.entries.length, ext: 0, fn: true });

    // What the migration said, heard through a client that listens to notices.
    const notices: string[] = [];
    const client = postgres(t.url, { max: 1, onnotice: (n) => notices.push(String(n.message)) });
    try {
      const [r] = await client<{ result: { scheduled: boolean; reason: string } }[]>`SELECT schedule_social_maintenance() AS result`;
      expect(r!.result.scheduled).toBe(false);
      // The reason names what this server lacks (the test runs with and without pg_cron installed).
      const [server] = await client<{ available: boolean; cron_db: string | null }[]>`
        SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_cron') AS available,
               current_setting('cron.database_name', true) AS cron_db`;
      const expected = !server!.available
        ? 'pg_cron is not installed on this server'
        : server!.cron_db === null
          ? 'pg_cron is installed but not loaded: add pg_cron to shared_preload_libraries and restart'
          : `pg_cron runs jobs in database ${server!.cron_db} only (cron.database_name), not in ${t.name}`;
      expect(r!.result.reason).toBe(expected);
      expect(notices).toEqual([
        `social maintenance not scheduled: ${r!.result.reason}. Run runMaintenance(db) or \`social-db maintain\` on a timer instead.`,
      ]);
      const [ext] = await client<{ n: number }[]>`SELECT count(*)::int AS n FROM pg_extension WHERE extname = 'pg_cron'`;
      expect(ext!.n).toBe(0);
    } finally {
      await client.end({ timeout: 5 });
    }
    expect(await unscheduleMaintenance(t.db)).toEqual([]);
  });
});
