/**
 * A transaction pooler for the tests: PgBouncer in `pool_mode = transaction`, as Supabase's port 6543
 * behaves (no session state, no prepared statement kept between transactions).
 *
 * - `viaPooler(url)`: with `SOCIAL_DB_TEST_POOLER_URL` set, the same database through that pooler
 *   (createTestDatabase hands such connections out, with `pooler: 'transaction'`); else `url` as is.
 * - `startPgBouncer(serverUrl)`: a PgBouncer of our own in front of a server (tests/pooler.test.ts).
 * - `tsx tests/support/pooler.ts serve <serverUrl> [port]`: the same from a shell (.ci/run's pooler
 *   leg); prints the pooler's URL, runs until SIGTERM/SIGINT, then prints what went through it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import postgres from 'postgres';
import { freePort, redact } from './server.js';

/** The variable that routes the per-file test databases through a transaction pooler. */
export const POOLER_URL_ENV = 'SOCIAL_DB_TEST_POOLER_URL';

/**
 * `url` (a per-file test database on the server) through the transaction pooler named by
 * `SOCIAL_DB_TEST_POOLER_URL`: its host and port replace the server's, database, user and password
 * stay (PgBouncer's `* = host=... port=...` reaches every database of the server). Identity when unset.
 */
export function viaPooler(url: string, env: NodeJS.ProcessEnv = process.env): { url: string; pooler?: 'transaction' } {
  const poolerUrl = env[POOLER_URL_ENV];
  if (!poolerUrl) return { url };
  const pooler = new URL(poolerUrl);
  const u = new URL(url);
  u.hostname = pooler.hostname;
  u.port = pooler.port;
  return { url: u.toString(), pooler: 'transaction' };
}

/** The pgbouncer executable: `PGBOUNCER` when set, else on PATH, else Debian's /usr/sbin/pgbouncer. */
export function pgbouncerBinary(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.PGBOUNCER) return env.PGBOUNCER;
  for (const dir of [...(env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/usr/local/sbin', '/usr/local/bin']) {
    if (dir && existsSync(path.join(dir, 'pgbouncer'))) return path.join(dir, 'pgbouncer');
  }
  return undefined;
}

/** How to get pgbouncer, for skip and failure messages. */
export const PGBOUNCER_MISSING =
  'pgbouncer is not installed (apt-get install -y pgbouncer, as .ci/run does; or set PGBOUNCER=/path/to/pgbouncer)';

export interface PgBouncer {
  /** The server's maintenance database (the admin URL's) through the pooler. */
  url: string;
  port: number;
  /** The same server database `url` names, through this pooler. */
  via(url: string): string;
  /** Totals from PgBouncer's SHOW STATS (all databases). */
  stats(): Promise<{ transactions: number; queries: number; databases: number }>;
  stop(): Promise<void>;
}

/**
 * Starts PgBouncer in transaction mode on 127.0.0.1 in front of the server of `serverUrl` (a
 * superuser's URL, like the harness's admin URL). Every database of the server is reachable
 * (`* = host=... port=...`), as every role: `auth_type = trust` (the test servers trust local
 * connections) with the admin user in the auth file and `auth_query` for the others. `port`
 * defaults to a free one. As root, PgBouncer (which refuses root) runs as the OS user `postgres`.
 */
export async function startPgBouncer(serverUrl: string, options: { port?: number } = {}): Promise<PgBouncer> {
  const binary = pgbouncerBinary();
  if (!binary) throw new Error(PGBOUNCER_MISSING);
  const server = new URL(serverUrl);
  const admin = decodeURIComponent(server.username || 'postgres');
  const password = decodeURIComponent(server.password);
  const dir = await mkdtemp(path.join(tmpdir(), 'socialdb-pgbouncer-'));
  // Read by the unprivileged user PgBouncer switches to; nothing secret unless the admin URL has a password.
  await chmod(dir, 0o755);
  const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;
  const authFile = path.join(dir, 'users.txt');
  await writeFile(authFile, `${quote(admin)} ${quote(password)}\n`, { mode: 0o644 });
  await chmod(authFile, password ? 0o600 : 0o644);

  const runAs = process.getuid?.() === 0 ? osUserFor() : undefined;
  if (runAs && password) spawnSync('chown', [runAs, authFile]);

  const log: string[] = [];
  for (let attempt = 0; ; attempt++) {
    const port = options.port ?? (await freePort());
    const ini = path.join(dir, 'pgbouncer.ini');
    await writeFile(
      ini,
      [
        '[databases]',
        `* = host=${server.hostname.replace(/^\[|\]$/g, '')} port=${server.port || 5432}`,
        '[pgbouncer]',
        'listen_addr = 127.0.0.1',
        `listen_port = ${port}`,
        'unix_socket_dir =',
        'pool_mode = transaction',
        'auth_type = trust',
        `auth_file = ${authFile}`,
        `auth_user = ${admin}`,
        `admin_users = ${admin}`,
        `stats_users = ${admin}`,
        // Test files run in parallel, each with a pool of up to 10 client connections.
        'max_client_conn = 1000',
        'default_pool_size = 20',
        // No ignore_startup_parameters: a session setting passed at connect time (postgres.js
        // `connection: { lock_timeout }`) is refused loudly, as it cannot hold behind this pooler.
        'logfile =',
        'pidfile =',
        'log_connections = 0',
        'log_disconnections = 0',
        '',
      ].join('\n'),
      { mode: 0o644 },
    );
    const child = spawn(binary, [...(runAs ? ['-u', runAs] : []), ini], { stdio: ['ignore', 'pipe', 'pipe'] });
    const started = await new Promise<string | undefined>((resolve) => {
      const onData = (chunk: Buffer) => {
        const text = chunk.toString('utf8');
        log.push(text);
        if (log.length > 50) log.shift();
        if (/listening on 127\.0\.0\.1:\d+/.test(text)) resolve(undefined);
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.on('error', (err) => resolve(err.message));
      child.on('exit', (code) => resolve(`pgbouncer exited with code ${code}`));
      setTimeout(() => resolve('pgbouncer did not report listening within 10 s'), 10_000).unref();
    });
    if (started === undefined) {
      // Keep draining its log so the pipe never fills.
      const url = `postgres://${encodeURIComponent(admin)}${password ? `:${encodeURIComponent(password)}` : ''}@127.0.0.1:${port}/${server.pathname.slice(1) || 'postgres'}`;
      return handle(child, dir, port, url, admin);
    }
    child.kill('SIGKILL');
    if (options.port === undefined && attempt < 2 && log.some((l) => /already in use/i.test(l))) continue;
    await rm(dir, { recursive: true, force: true });
    throw new Error(`${started}\n${log.join('').trim().split('\n').slice(-10).join('\n')}`);
  }
}

/** An unprivileged OS user for PgBouncer when we are root: postgres (Debian's packages create it), else nobody. */
function osUserFor(): string {
  return spawnSync('id', ['-u', 'postgres']).status === 0 ? 'postgres' : 'nobody';
}

function handle(child: ChildProcess, dir: string, port: number, url: string, admin: string): PgBouncer {
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Never outlive the process that started it (a crashed test worker, a killed run).
  const orphanGuard = () => child.kill('SIGKILL');
  process.once('exit', orphanGuard);
  void exited.then(() => process.removeListener('exit', orphanGuard));
  return {
    url,
    port,
    via(target: string) {
      const u = new URL(target);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    async stats() {
      // The admin console speaks the simple query protocol only, and has no pg_type to fetch.
      const u = new URL(url);
      u.pathname = '/pgbouncer';
      u.username = encodeURIComponent(admin);
      const sql = postgres(u.toString(), { max: 1, fetch_types: false, prepare: false, onnotice: () => {} });
      try {
        const rows = (await sql.unsafe('SHOW STATS').simple()) as unknown as Record<string, string>[];
        const real = rows.filter((r) => r.database !== 'pgbouncer');
        const sum = (k: string) => real.reduce((n, r) => n + Number(r[k] ?? 0), 0);
        return { transactions: sum('total_xact_count'), queries: sum('total_query_count'), databases: real.length };
      } finally {
        await sql.end({ timeout: 1 }).catch(() => {});
      }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

// `tsx tests/support/pooler.ts serve <serverUrl> [port]`
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [command, serverUrl, port] = process.argv.slice(2);
  if (command !== 'serve' || !serverUrl) {
    process.stderr.write('usage: tsx tests/support/pooler.ts serve <server URL> [port]\n');
    process.exit(2);
  }
  const bouncer = await startPgBouncer(serverUrl, port ? { port: Number(port) } : {});
  process.stdout.write(`pgbouncer (transaction mode) on 127.0.0.1:${bouncer.port} in front of ${redact(serverUrl)}\n`);
  process.stdout.write(`${POOLER_URL_ENV}=${bouncer.url}\n`);
  const shutdown = async () => {
    try {
      const s = await bouncer.stats();
      process.stdout.write(
        `pgbouncer: ${s.transactions} transactions, ${s.queries} queries through it, over ${s.databases} databases\n`,
      );
    } catch (err) {
      process.stderr.write(`pgbouncer: SHOW STATS failed: ${(err as Error).message}\n`);
    }
    await bouncer.stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown());
  process.once('SIGINT', () => void shutdown());
  setInterval(() => {}, 1 << 30);
}
