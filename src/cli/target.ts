import { existsSync, readdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { sql } from 'drizzle-orm';
import { close, createDb, createEmbeddedDb, queryRows, type Db } from '../db.js';
import { driverErrorOf } from '../pg-error.js';

/** Exit codes of `social-db` (documented in docs/cli.md and every `--help`). */
export const EXIT = {
  ok: 0,
  /** doctor found a problem; maintain or demo could not finish its job. */
  unhealthy: 1,
  /** Unknown command or flag, bad flag value. */
  usage: 2,
  /** The database cannot be reached: server down, wrong host/port, authentication, no such database. */
  unreachable: 3,
  /** Connected, but the role lacks a privilege the command needs. */
  permission: 4,
  /** Anything else (an SQL error, a bug): the message says what. */
  failure: 5,
} as const;

export const EXIT_CODES_HELP = `Exit codes:
  0  success (doctor: healthy, warnings allowed)
  1  doctor found a problem, or the command could not finish its job
  2  usage error (unknown command or flag, bad value)
  3  database unreachable (server down, wrong host/port/password, database missing)
  4  permission denied (the message names the privilege to grant)
  5  other error (the message says what)`;

/** An error the CLI prints as is and exits with `code`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

export function redact(url: string): string {
  return url.replace(/:\/\/([^:@/]+):[^@/]*@/, '://$1:***@');
}

export interface Target {
  kind: 'server' | 'pglite';
  /** Redacted URL, or the PGlite folder. */
  label: string;
  url?: string;
  dir?: string;
}

export const DEFAULT_PGLITE_DIR = './.pglite';

/** `--database-url`, else DATABASE_URL, else the embedded PGlite folder (`--pglite`, SOCIAL_DB_PGLITE_DIR, ./.pglite). */
export function resolveTarget(flags: { 'database-url'?: string; pglite?: string }, env: NodeJS.ProcessEnv = process.env): Target {
  const url = flags['database-url'] ?? env.DATABASE_URL;
  if (url) {
    if (!/^postgres(ql)?:\/\//.test(url)) {
      throw new CliError(`database URL must start with postgres:// or postgresql:// (got ${redact(url)})`, EXIT.usage);
    }
    return { kind: 'server', url, label: redact(url) };
  }
  const dir = resolve(flags.pglite ?? env.SOCIAL_DB_PGLITE_DIR ?? DEFAULT_PGLITE_DIR);
  return { kind: 'pglite', dir, label: `PGlite folder ${dir}` };
}

/** True for a folder PGlite (PostgreSQL) wrote: it has PG_VERSION. */
export function isPgliteFolder(dir: string): boolean {
  return existsSync(resolve(dir, 'PG_VERSION'));
}

/**
 * Empties the demo's PGlite folder. Refuses a folder that holds anything else, so a mistyped
 * SOCIAL_DB_PGLITE_DIR can never delete someone's files.
 */
export function resetPgliteFolder(dir: string): void {
  if (!existsSync(dir)) return;
  if (readdirSync(dir).length > 0 && !isPgliteFolder(dir)) {
    throw new CliError(
      `${dir} is not empty and is not a PGlite data folder (no PG_VERSION); not deleting it. Choose another folder with --pglite or SOCIAL_DB_PGLITE_DIR.`,
      EXIT.usage,
    );
  }
  rmSync(dir, { recursive: true, force: true });
}

/** Opens the target and proves the connection with one query, translating failures into actionable messages. */
export async function openTarget(target: Target, options: { create?: boolean } = {}): Promise<Db> {
  if (target.kind === 'pglite') {
    // Opening a missing folder would create an empty database there; only migrate and demo may.
    if (options.create === false && !isPgliteFolder(target.dir!)) {
      throw new CliError(
        `no database: DATABASE_URL is not set and ${target.dir} holds no PGlite database.\n` +
          'Set DATABASE_URL (or pass --database-url) to check a server, or create the embedded one with `social-db migrate` or `npm run demo`.',
        EXIT.unreachable,
      );
    }
    try {
      return await createEmbeddedDb(target.dir);
    } catch (err) {
      throw new CliError(`cannot open the embedded database in ${target.dir}: ${(err as Error).message}`, EXIT.unreachable);
    }
  }
  const db = createDb(target.url, { max: 4, postgres: { connect_timeout: 10 } });
  try {
    await queryRows(db, sql`select 1 as ok`);
  } catch (err) {
    await close(db).catch(() => {});
    throw explain(err, target);
  }
  return db;
}

interface PgErrorLike {
  code?: string;
  message?: string;
  errno?: string;
}

/** Turns a driver or server error into a message a person can act on, with the matching exit code. */
export function explain(err: unknown, target?: Target): CliError {
  if (err instanceof CliError) return err;
  err = driverErrorOf(err);
  // Node reports a host with several addresses (localhost: ::1 and 127.0.0.1) as an AggregateError.
  const inner = err instanceof AggregateError && err.errors.length > 0 ? err.errors[0] : err;
  const e = { ...((inner ?? {}) as PgErrorLike), code: (err as PgErrorLike)?.code ?? (inner as PgErrorLike)?.code };
  e.message = (inner as PgErrorLike)?.message ?? (err as PgErrorLike)?.message;
  const where = target ? target.label : 'the database';
  const code = e.code ?? e.errno ?? '';
  const message = e.message ?? String(err);
  const setUrl = 'Set DATABASE_URL (or pass --database-url), e.g. DATABASE_URL=postgres://user:password@host:5432/dbname';

  if (['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'CONNECT_TIMEOUT', 'ECONNRESET'].includes(code)) {
    const why = code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? 'the host name does not resolve' : code === 'ECONNREFUSED' ? 'nothing is listening there' : 'the connection timed out';
    const check = code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? 'Check the host in the URL.' : 'Is the server running, on that host and port?';
    return new CliError(`cannot reach the database at ${where}: ${why} (${code}).\n${check} ${setUrl}.`, EXIT.unreachable);
  }
  if (code === '28P01' || code === '28000') {
    return new CliError(`the server at ${where} refused the login: ${message}.\nCheck the user and password in the URL. ${setUrl}.`, EXIT.unreachable);
  }
  if (code === '3D000') {
    return new CliError(`${message} (at ${where}).\nCreate it first (createdb <name>) or point DATABASE_URL at an existing database.`, EXIT.unreachable);
  }
  if (code === '42501') return new CliError(permissionHint(message), EXIT.permission);
  return new CliError(message, EXIT.failure);
}

/** Schemas a hosted Supabase project reserves for the platform's own roles. */
const PLATFORM_SCHEMAS = new Set(['auth', 'storage', 'realtime', 'extensions', 'vault', 'graphql', 'graphql_public', 'supabase_functions']);

/** Names the privilege behind a "permission denied" and the statement that grants it. */
export function permissionHint(message: string): string {
  const m = /permission denied for (schema|table|sequence|function|database|view|materialized view) "?([^\s"]+)"?/i.exec(message);
  const owner = /must be owner of (\w+(?: \w+)?) "?([^\s"]+)"?/i.exec(message);
  let need: string;
  if (m && m[1]!.toLowerCase() === 'schema' && PLATFORM_SCHEMAS.has(m[2]!)) {
    // On Supabase these schemas belong to the platform (supabase_admin); no project role may create in
    // them or grant on them, so "ask the owner" is advice nobody can follow there.
    need =
      `schema ${m[2]} belongs to the platform on Supabase: no project role, postgres included, may create in it or grant on it. ` +
      `Nothing of this package's needs that (migration 0000 only creates what is missing): upgrade @jmefit/social-db if the ` +
      `failing migration is the package's; if it is one of your own, create the object in public (or a schema of yours) and ` +
      `reference ${m[2]} objects only by foreign key or function call. On a server of your own, its owner can run: GRANT USAGE, CREATE ON SCHEMA ${m[2]} TO <role>;`;
  } else if (m) {
    const [, kind, name] = m;
    const grant: Record<string, string> = {
      schema: `GRANT USAGE, CREATE ON SCHEMA ${name} TO <role>;`,
      table: `GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE ${name} TO <role>;`,
      view: `GRANT SELECT ON ${name} TO <role>;`,
      'materialized view': `GRANT SELECT ON ${name} TO <role>;`,
      sequence: `GRANT USAGE, SELECT ON SEQUENCE ${name} TO <role>;`,
      function: `GRANT EXECUTE ON FUNCTION ${name} TO <role>;`,
      database: `GRANT CREATE ON DATABASE ${name} TO <role>;`,
    };
    need = `the role needs a privilege on ${kind!.toLowerCase()} ${name}. As its owner, run: ${grant[kind!.toLowerCase()]}`;
  } else if (owner) {
    need = `this step alters ${owner[1]} ${owner[2]}, which only its owner may do: run the command as the role that ran the migrations (the owner).`;
  } else {
    need = 'run the command as a role with that privilege (the migrations need CREATE on the database and schema public).';
  }
  return `permission denied: ${message}.\n${need[0]!.toUpperCase()}${need.slice(1)}`;
}
