import postgres from 'postgres';

/** A PostgreSQL server the tests may create and drop their own databases on. */
export interface TestServer {
  /** Connection URL of a maintenance database on that server (never one the tests create). */
  adminUrl: string;
  source: 'DATABASE_URL' | 'local server' | 'testcontainers';
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
  'Tried, in order: DATABASE_URL (not set), a local server at the libpq defaults (no answer), Testcontainers (no container runtime).',
  'Do one of:',
  '  - set DATABASE_URL to a server where this user may CREATE DATABASE, e.g.',
  '      DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm test',
  '  - start a local server on 127.0.0.1:5432 (or set PGHOST/PGPORT/PGUSER), e.g.',
  '      pg_ctlcluster 15 main start',
  '  - start Docker (or another container runtime) so Testcontainers can run postgres:15.',
].join('\n');

/** DATABASE_URL when set; else a server at the libpq defaults when one answers; else Testcontainers. */
export async function findTestServer(env: NodeJS.ProcessEnv = process.env): Promise<TestServer | undefined> {
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
    return undefined;
  }
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
