#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { close, type Db } from './db.js';
import { migrate } from './migrate.js';
import { formatReport, runDoctor } from './cli/doctor.js';
import { CliError, EXIT, EXIT_CODES_HELP, explain, openTarget, resolveTarget, type Target } from './cli/target.js';
import type { Io } from './cli/io.js';
import { table } from './demo/table.js';

export type { Io } from './cli/io.js';

const CONNECTION_HELP = `Database:
  --database-url <url>  PostgreSQL server to use (default: the DATABASE_URL environment variable)
  --pglite <dir>        with neither, the embedded PGlite database in this folder
                        (default: SOCIAL_DB_PGLITE_DIR, else ./.pglite)`;

const MAIN_HELP = `social-db: the JMEFit social-growth database (PostgreSQL, Drizzle)

Usage: social-db <command> [options]

Commands:
  migrate   apply the package's pending migrations
  maintain  run the maintenance jobs once (partitions ahead, DEFAULT rows, archiving) and print the report
  doctor    check the database's health; exit 1 when something needs fixing
  demo      load a realistic month for a fitness brand and print the dashboard

Run \`social-db <command> --help\` for a command's options.

${CONNECTION_HELP}

${EXIT_CODES_HELP}
`;

interface Command {
  help: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(values: Record<string, string | boolean | undefined>, io: Io): Promise<number>;
}

const connectionOptions = {
  'database-url': { type: 'string' },
  pglite: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

async function withDb<T>(target: Target, io: Io, fn: (db: Db) => Promise<T>, options: { create?: boolean } = {}): Promise<T> {
  io.err(`database: ${target.label}\n`);
  const db = await openTarget(target, options);
  try {
    return await fn(db);
  } catch (err) {
    throw explain(err, target);
  } finally {
    await close(db).catch(() => {});
  }
}

const commands: Record<string, Command> = {
  migrate: {
    help: `Usage: social-db migrate [options]

Applies the migrations of this package that the database has not applied yet, in one transaction
(the same as \`drizzle-kit migrate\` with the package's drizzle.config.ts). Safe to re-run.
The role needs CREATE on the database (schemas drizzle and auth) and on schema public.

${CONNECTION_HELP}

${EXIT_CODES_HELP}
`,
    options: connectionOptions,
    async run(values, io) {
      const target = resolveTarget(values as { 'database-url'?: string; pglite?: string }, io.env);
      return withDb(target, io, async (db) => {
        const started = performance.now();
        await migrate(db);
        const report = await runDoctor(db);
        const m = report.checks.find((c) => c.name === 'migrations');
        io.out(`migrated in ${((performance.now() - started) / 1000).toFixed(1)}s: ${m?.summary ?? 'done'}\n`);
        return EXIT.ok;
      });
    },
  },

  maintain: {
    help: `Usage: social-db maintain [options]

Runs the maintenance jobs once (run_social_maintenance(), as the pg_cron schedule does): creates the
monthly partitions of engagement_events ahead and moves rows waiting in the DEFAULT partition into
their month, refreshes post analytics, trends, template figures and the dashboard views, and when a
month has passed the retention, archives it. Prints each step with its time; a failing step is
reported and the others still run. Use it from an external scheduler where pg_cron is not available
(PGlite, servers without it), or by hand after \`doctor\` complains.

Options:
  --retention <n>(y|m|d)  archive whole months older than this (default 2y), e.g. 18m, 400d
  --archive               run the archive step even if no month looks due
  --no-archive            skip the archive step
  --json                  print the report as JSON
${CONNECTION_HELP}

${EXIT_CODES_HELP}
`,
    options: {
      ...connectionOptions,
      retention: { type: 'string' },
      archive: { type: 'boolean' },
      'no-archive': { type: 'boolean' },
      json: { type: 'boolean' },
    },
    async run(values, io) {
      const target = resolveTarget(values as { 'database-url'?: string; pglite?: string }, io.env);
      if (values.archive && values['no-archive']) throw new CliError('--archive and --no-archive exclude each other', EXIT.usage);
      const retention = retentionFlag(values.retention as string | undefined);
      const { runMaintenance } = await import('./queries/maintenance.js');
      return withDb(target, io, async (db) => {
        const report = await runMaintenance(db, {
          ...(retention ? { retention } : {}),
          ...(values.archive ? { archive: true } : values['no-archive'] ? { archive: false } : {}),
        });
        if (values.json) io.out(`${JSON.stringify(report, null, 2)}\n`);
        else {
          io.out(
            `${table(
              report.steps.map((s) => ({
                step: s.step,
                status: s.skipped ? 'skipped' : s.ok ? 'ok' : 'FAILED',
                ms: Math.round(s.ms),
                result: s.error ? `${s.error}${s.sqlstate ? ` (${s.sqlstate})` : ''}` : s.skipped ? s.reason : summarizeResult(s.result),
              })),
            )}\n\n${report.ok ? 'maintenance done' : 'maintenance finished with failed steps'} in ${Math.round(report.ms)} ms\n`,
          );
        }
        return report.ok ? EXIT.ok : EXIT.unhealthy;
      }, { create: false });
    },
  },

  doctor: {
    help: `Usage: social-db doctor [options]

Checks, without changing anything:
  migrations          applied vs the package's journal (FAIL when some are pending)
  pg_cron             installed and jobs scheduled for this database (WARN when not)
  partitions ahead    months of engagement_events partitions after the current one
                      (FAIL when the current or next month has none, WARN under 3)
  DEFAULT partition   rows waiting in engagement_events_default (FAIL when any)
  dead letters        rejected events waiting in engagement_dead_letters (WARN when any)
  row-level security  enabled on every table of schema public (FAIL when not)
Exits 0 when healthy (warnings allowed), 1 when any check FAILs.

Options:
  --json                print the report as JSON
${CONNECTION_HELP}

${EXIT_CODES_HELP}
`,
    options: { ...connectionOptions, json: { type: 'boolean' } },
    async run(values, io) {
      const target = resolveTarget(values as { 'database-url'?: string; pglite?: string }, io.env);
      return withDb(target, io, async (db) => {
        const report = await runDoctor(db);
        io.out(values.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`);
        return report.healthy ? EXIT.ok : EXIT.unhealthy;
      }, { create: false });
    },
  },

  demo: {
    help: `Usage: social-db demo [options]

Loads a realistic month for a fitness brand (3 platforms, accounts with daily follower history,
posts across categories and templates, long-tailed engagement, insights, conversions, topic
mentions), runs the rollups and trend detection, and prints the dashboard. Deterministic: the same
seed gives the same data (dates are relative to today, UTC).

Where the data goes:
  with DATABASE_URL or --database-url: that database. It is migrated; rows of a previous demo
    run (its user ${'0e5f1d7a-…'} and that user's posts, events and conversions) are replaced;
    nothing else is touched or dropped.
  otherwise: embedded PGlite in --pglite <dir> (default SOCIAL_DB_PGLITE_DIR, else ./.pglite),
    emptied at the start of each run (only if it is a PGlite folder). Open it afterwards with
    \`npx drizzle-kit studio\`.

Options:
  --seed <n>      PRNG seed (default 20261124)
  --days <n>      days of history (default 30)
  --posts <n>     posts (default 300)
  --events <n>    engagement events (default 40000)
${CONNECTION_HELP}

${EXIT_CODES_HELP}
`,
    options: {
      ...connectionOptions,
      seed: { type: 'string' },
      days: { type: 'string' },
      posts: { type: 'string' },
      events: { type: 'string' },
    },
    async run(values, io) {
      const target = resolveTarget(values as { 'database-url'?: string; pglite?: string }, io.env);
      const { runDemo } = await import('./cli/demo.js');
      return runDemo(target, {
        seed: intFlag(values, 'seed', 0, 2 ** 32 - 1),
        days: intFlag(values, 'days', 1, 365),
        posts: intFlag(values, 'posts', 1, 100_000),
        events: intFlag(values, 'events', 0, 10_000_000),
      }, io);
    },
  },
};

function intFlag(values: Record<string, unknown>, name: string, min: number, max: number): number | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new CliError(`--${name}: expected a whole number from ${min} to ${max}, got "${String(v)}"`, EXIT.usage);
  }
  return n;
}

/** `18m`, `2y`, `400d` as a retention period. */
function retentionFlag(v: string | undefined): { years?: number; months?: number; days?: number } | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d{1,5})\s*(y|m|d)$/i.exec(v.trim());
  if (!m || Number(m[1]) === 0) {
    throw new CliError(`--retention: expected a positive number with y, m or d (e.g. 2y, 18m, 400d), got "${v}"`, EXIT.usage);
  }
  const n = Number(m[1]);
  const unit = m[2]!.toLowerCase();
  return unit === 'y' ? { years: n } : unit === 'm' ? { months: n } : { days: n };
}

function summarizeResult(result: unknown): string {
  if (result == null) return '';
  if (Array.isArray(result)) return `${result.length} row(s)`;
  if (typeof result === 'object') return JSON.stringify(result).slice(0, 80);
  return String(result);
}

/** Runs the CLI with `argv` (without node and script); returns the exit code. */
export async function main(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    (name ? io.out : io.err)(MAIN_HELP);
    return name ? EXIT.ok : EXIT.usage;
  }
  const command = commands[name];
  if (!command) {
    io.err(`social-db: unknown command "${name}". Commands: ${Object.keys(commands).join(', ')}. See social-db --help.\n`);
    return EXIT.usage;
  }
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: rest, options: command.options, allowPositionals: false, strict: true }).values as typeof values;
  } catch (err) {
    io.err(`social-db ${name}: ${(err as Error).message}\nSee social-db ${name} --help.\n`);
    return EXIT.usage;
  }
  if (values.help) {
    io.out(command.help);
    return EXIT.ok;
  }
  try {
    return await command.run(values, io);
  } catch (err) {
    const e = explain(err);
    io.err(`social-db ${name}: ${e.message}\n`);
    return e.code;
  }
}

function isEntryPoint(): boolean {
  if (!process.argv[1]) return false;
  try {
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  const io: Io = {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
    env: process.env,
    stream: process.stdout,
  };
  main(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`social-db: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = EXIT.failure;
    },
  );
}
