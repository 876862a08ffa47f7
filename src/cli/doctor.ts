import { sql } from 'drizzle-orm';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { queryRows, type Db } from '../db.js';
import { migrationsFolder, releasedMigrationHashes } from '../migrate.js';
import { ADVISOR_LEVEL, type AdvisorLint } from '../queries/advisor.js';
import { auditSecurity } from '../queries/security.js';
import { checkPublishingQueue } from './doctor-publishing.js';

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface DoctorCheck {
  name: string;
  status: CheckStatus;
  summary: string;
  /** What to do about a warning or a failure. */
  fix?: string;
}

export interface DoctorReport {
  healthy: boolean;
  checks: DoctorCheck[];
}

/** Partitions the maintenance job keeps ahead of the current month; fewer means it has not run lately. */
export const PARTITIONS_AHEAD_TARGET = 3;

const MAINTAIN = 'run `social-db maintain` (or the pg_cron job) to create partitions and move waiting rows';

/**
 * The health checks of `social-db doctor`. Read-only: nothing is changed. Unhealthy (`fail`): pending
 * or foreign migrations, the current or next month without a partition, rows waiting in the DEFAULT
 * partition, a table without row-level security. `warn` only: no pg_cron, fewer partitions ahead
 * than maintenance keeps, dead-letter rows waiting for a replay. Publishing: see checkPublishingQueue.
 */
export async function runDoctor(db: Db): Promise<DoctorReport> {
  const checks: DoctorCheck[] = [];
  const migrations = await checkMigrations(db);
  checks.push(migrations);
  const schemaReady = migrations.status !== 'fail' || !migrations.summary.startsWith('no migrations');
  checks.push(await checkPgCron(db));
  if (schemaReady && (await exists(db, 'public.engagement_events'))) {
    checks.push(await checkPartitionsAhead(db));
    checks.push(await checkDefaultPartition(db));
  }
  checks.push(await checkDeadLetters(db));
  if (schemaReady) checks.push(await checkPublishingQueue(db));
  checks.push(await checkRowLevelSecurity(db));
  if (schemaReady) checks.push(await checkSecurityAudit(db));
  return { healthy: checks.every((c) => c.status !== 'fail'), checks };
}

async function exists(db: Db, name: string): Promise<boolean> {
  const rows = await queryRows<{ ok: boolean }>(db, sql`SELECT to_regclass(${name}) IS NOT NULL AS ok`);
  return rows[0]?.ok === true;
}

async function checkMigrations(db: Db): Promise<DoctorCheck> {
  const journal = readMigrationFiles({ migrationsFolder });
  const name = 'migrations';
  if (!(await exists(db, 'drizzle.__drizzle_migrations'))) {
    return { name, status: 'fail', summary: `no migrations applied (0 of ${journal.length})`, fix: 'run `social-db migrate`' };
  }
  const applied = await queryRows<{ hash: string; created_at: string }>(
    db,
    sql`SELECT hash, created_at::text AS created_at FROM drizzle.__drizzle_migrations ORDER BY created_at`,
  );
  const appliedHashes = new Set(applied.map((a) => a.hash));
  const lastApplied = applied.reduce((m, a) => Math.max(m, Number(a.created_at)), 0);
  // drizzle applies every journal entry newer than the last applied one; an entry with a known hash is applied.
  const pending = journal.filter((m) => !appliedHashes.has(m.hash) && m.folderMillis > lastApplied);
  const known = new Set([...journal.map((m) => m.hash), ...Object.values(releasedMigrationHashes).flat()]);
  const foreign = applied.filter((a) => !known.has(a.hash));
  if (pending.length > 0) {
    return {
      name,
      status: 'fail',
      summary: `${applied.length} applied, ${pending.length} pending of ${journal.length} in the journal`,
      fix: 'run `social-db migrate`',
    };
  }
  if (foreign.length > 0) {
    return {
      name,
      status: 'warn',
      summary: `${journal.length} of ${journal.length} applied, plus ${foreign.length} not in this package's journal (applied by another version, or edited after it was applied)`,
      fix: 'compare the package version with the one that migrated this database',
    };
  }
  return { name, status: 'ok', summary: `${applied.length} applied, ${journal.length} in the journal, none pending` };
}

async function checkPgCron(db: Db): Promise<DoctorCheck> {
  const name = 'pg_cron';
  const rows = await queryRows<{ installed: boolean; available: boolean }>(
    db,
    sql`SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_cron') AS installed,
               EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_cron') AS available`,
  );
  const { installed, available } = rows[0] ?? { installed: false, available: false };
  if (!installed) {
    return {
      name,
      status: 'warn',
      summary: available ? 'available on the server but not installed in this database' : 'not installed (not available on this server)',
      fix: 'without pg_cron nothing runs maintenance on schedule: run `social-db maintain` from an external scheduler (daily)',
    };
  }
  const jobs = await queryRows<{ n: number }>(
    db,
    sql`SELECT count(*)::int AS n FROM cron.job WHERE database = current_database()`,
  ).catch(() => [{ n: -1 }]);
  const n = jobs[0]?.n ?? 0;
  if (n === 0) {
    return {
      name,
      status: 'warn',
      summary: 'installed, but no job is scheduled for this database',
      fix: 'pg_cron runs jobs only in cron.database_name; there, scheduling happens in the migrations. Elsewhere run `social-db maintain` daily',
    };
  }
  return { name, status: 'ok', summary: n > 0 ? `installed, ${n} job(s) scheduled for this database` : 'installed' };
}

async function checkPartitionsAhead(db: Db): Promise<DoctorCheck> {
  const name = 'partitions ahead';
  // Months from the current one on, each with whether some partition of engagement_events covers it.
  const rows = await queryRows<{ month: string; covered: boolean }>(
    db,
    sql`WITH bounds AS (
          SELECT (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \\(''([^'']+)''\\) TO \\(''([^'']+)''\\)')) AS b
            FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
           WHERE i.inhparent = 'public.engagement_events'::regclass
        ), ranges AS (
          SELECT b[1]::timestamptz AS lo, b[2]::timestamptz AS hi FROM bounds WHERE b IS NOT NULL
        )
        SELECT to_char(m AT TIME ZONE 'UTC', 'YYYY-MM') AS month,
               EXISTS (SELECT 1 FROM ranges r WHERE r.lo <= m AND r.hi >= m + interval '1 month') AS covered
          FROM generate_series(date_trunc('month', now(), 'UTC'), date_trunc('month', now(), 'UTC') + interval '24 months', interval '1 month') AS m
         ORDER BY m`,
  );
  const current = rows[0];
  let ahead = 0;
  for (const r of rows.slice(1)) {
    if (!r.covered) break;
    ahead++;
  }
  const missing = rows.slice(0, PARTITIONS_AHEAD_TARGET + 1).filter((r) => !r.covered).map((r) => r.month);
  if (!current?.covered || ahead < 1) {
    return {
      name,
      status: 'fail',
      summary: `${!current?.covered ? `no partition for the current month ${current?.month}` : `no partition for next month ${rows[1]?.month}`}; months missing: ${missing.join(', ')}`,
      fix: `events of those months go to the DEFAULT partition: ${MAINTAIN}`,
    };
  }
  if (ahead < PARTITIONS_AHEAD_TARGET) {
    return {
      name,
      status: 'warn',
      summary: `${ahead} month(s) ahead of ${current.month}, maintenance keeps ${PARTITIONS_AHEAD_TARGET}; missing: ${missing.join(', ')}`,
      fix: MAINTAIN,
    };
  }
  return { name, status: 'ok', summary: `${ahead} months ahead of ${current.month} (through ${rows[ahead]!.month})` };
}

async function checkDefaultPartition(db: Db): Promise<DoctorCheck> {
  const name = 'DEFAULT partition';
  if (!(await exists(db, 'public.engagement_events_default'))) {
    return { name, status: 'warn', summary: 'engagement_events_default does not exist: events of a month without partition fail to insert', fix: 'run `social-db migrate`' };
  }
  const rows = await queryRows<{ n: number; month: string | null }>(
    db,
    sql`SELECT count(*)::int AS n, to_char(date_trunc('month', event_timestamp, 'UTC') AT TIME ZONE 'UTC', 'YYYY-MM') AS month
          FROM engagement_events_default GROUP BY 2 ORDER BY 2`,
  );
  const total = rows.reduce((s, r) => s + r.n, 0);
  if (total > 0) {
    return {
      name,
      status: 'fail',
      summary: `${total.toLocaleString('en-US')} row(s) waiting in engagement_events_default (${rows.map((r) => `${r.month}: ${r.n}`).join(', ')})`,
      fix: `they are outside every monthly partition, so rollups and archiving miss them: ${MAINTAIN}`,
    };
  }
  return { name, status: 'ok', summary: 'no rows waiting in engagement_events_default' };
}

async function checkDeadLetters(db: Db): Promise<DoctorCheck> {
  const name = 'dead letters';
  if (!(await exists(db, 'public.engagement_dead_letters'))) {
    return { name, status: 'ok', summary: 'no engagement_dead_letters table in this version' };
  }
  const cols = await queryRows<{ has_replayed: boolean }>(
    db,
    sql`SELECT EXISTS (SELECT 1 FROM information_schema.columns
                        WHERE table_schema = 'public' AND table_name = 'engagement_dead_letters' AND column_name = 'replayed_at') AS has_replayed`,
  );
  const pendingOnly = cols[0]?.has_replayed === true;
  const rows = await queryRows<{ n: number; oldest: string | null }>(
    db,
    pendingOnly
      ? sql`SELECT count(*)::int AS n, min(received_at)::text AS oldest FROM engagement_dead_letters WHERE replayed_at IS NULL`
      : sql`SELECT count(*)::int AS n, NULL::text AS oldest FROM engagement_dead_letters`,
  );
  const n = rows[0]?.n ?? 0;
  if (n > 0) {
    return {
      name,
      status: 'warn',
      summary: `${n.toLocaleString('en-US')} rejected event(s) waiting${rows[0]?.oldest ? ` since ${rows[0].oldest}` : ''}`,
      fix: 'read their `field` and `reason`, fix the sender or the data, then replay them',
    };
  }
  return { name, status: 'ok', summary: 'no rejected events waiting' };
}

async function checkRowLevelSecurity(db: Db): Promise<DoctorCheck> {
  const name = 'row-level security';
  const rows = await queryRows<{ table_name: string; rls: boolean; is_partition: boolean }>(
    db,
    sql`SELECT c.relname AS table_name, c.relrowsecurity AS rls, c.relispartition AS is_partition
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
         ORDER BY c.relname`,
  );
  const off = rows.filter((r) => !r.rls).map((r) => r.table_name);
  if (rows.length === 0) return { name, status: 'warn', summary: 'no tables in schema public', fix: 'run `social-db migrate`' };
  if (off.length > 0) {
    return {
      name,
      status: 'fail',
      summary: `${off.length} of ${rows.length} tables without RLS: ${off.join(', ')}`,
      fix: `the Supabase API roles can read them unfiltered: ALTER TABLE <name> ENABLE ROW LEVEL SECURITY (and add policies)`,
    };
  }
  return { name, status: 'ok', summary: `enabled on all ${rows.length} tables (partitions included)` };
}

/**
 * `auditSecurity`: the package's own rules plus Supabase's Security Advisor lints. A finding the
 * Advisor rates ERROR, a function that the Data API would refuse to run, or a policy that grants
 * access without a membership, fails; others warn.
 */
async function checkSecurityAudit(db: Db): Promise<DoctorCheck> {
  const name = 'security audit';
  const findings = await auditSecurity(db);
  if (findings.length === 0) return { name, status: 'ok', summary: 'no findings (package rules and Supabase Security Advisor lints)' };
  // Fail, not warn: a policy that lets any signed-in customer in, a function the Data API would refuse,
  // and what the Advisor itself calls an error.
  const severe = findings.filter(
    (f) =>
      f.rule === 'function_dml_without_where' ||
      f.rule === 'policy_without_membership' ||
      (f.rule in ADVISOR_LEVEL && ADVISOR_LEVEL[f.rule as AdvisorLint] === 'ERROR'),
  );
  const byRule = new Map<string, string[]>();
  for (const f of findings) byRule.set(f.rule, [...(byRule.get(f.rule) ?? []), f.object]);
  const shown = [...byRule].map(([rule, objects]) => `${rule}: ${objects.slice(0, 3).join(', ')}${objects.length > 3 ? ` (+${objects.length - 3})` : ''}`);
  return {
    name,
    status: severe.length > 0 ? 'fail' : 'warn',
    summary: `${findings.length} finding(s): ${shown.join('; ')}`,
    fix: 'auditSecurity(db) lists each with its reason; docs/security.md says what each rule means',
  };
}

export function formatReport(report: DoctorReport): string {
  const mark: Record<CheckStatus, string> = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL' };
  const lines = report.checks.map((c) => `  ${mark[c.status]}  ${c.name.padEnd(20)} ${c.summary}${c.fix && c.status !== 'ok' ? `\n        -> ${c.fix}` : ''}`);
  const fails = report.checks.filter((c) => c.status === 'fail').length;
  const warns = report.checks.filter((c) => c.status === 'warn').length;
  lines.push('', report.healthy ? `healthy${warns ? ` (${warns} warning${warns > 1 ? 's' : ''})` : ''}` : `UNHEALTHY: ${fails} problem${fails > 1 ? 's' : ''}${warns ? `, ${warns} warning${warns > 1 ? 's' : ''}` : ''}`);
  return lines.join('\n');
}
