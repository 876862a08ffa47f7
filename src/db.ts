import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePostgres, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import type { PgliteDatabase } from 'drizzle-orm/pglite';
import type { SQL } from 'drizzle-orm';
import postgres from 'postgres';
import * as schema from './schema/index.js';

export type Schema = typeof schema;

/** Any Drizzle PostgreSQL database carrying this package's schema: postgres.js, PGlite, or a transaction. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type PostgresDb = PostgresJsDatabase<Schema> & { $client: postgres.Sql };
export type EmbeddedDb = PgliteDatabase<Schema>;

export interface CreateDbOptions {
  /** Pool size for postgres.js (default 10). */
  max?: number;
  /**
   * What `url` points at, named as Supabase names its connection strings:
   * - `'transaction'`: a transaction pooler (Supabase's on port 6543, Supavisor or PgBouncer with
   *   `pool_mode = transaction`). Each transaction may run on another server connection and nothing
   *   outlives a transaction, so prepared statements are turned off (postgres.js `prepare: false`).
   * - `'session'` or `'direct'`: a session pooler (Supabase's on port 5432) or the server itself;
   *   prepared statements stay on.
   *
   * When omitted, a URL on port 6543 (or `postgres.port` 6543, or `PGPORT=6543` for a URL without a
   * port) is taken as a transaction pooler; pass `'direct'` for a server that really listens on 6543.
   * An explicit `postgres: { prepare }` (or `?prepare=` in the URL) always wins.
   */
  pooler?: 'transaction' | 'session' | 'direct';
  /** Passed through to postgres.js, e.g. `{ ssl: 'require' }`. */
  postgres?: postgres.Options<Record<string, postgres.PostgresType>>;
}

/** The port of Supabase's transaction pooler (Supavisor). */
export const TRANSACTION_POOLER_PORT = 6543;

/** The ports a connection string names (several for a multi-host URL); empty when it names none. */
function urlPorts(url: string): number[] {
  const authority = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?([^/?#]*)/i.exec(url)?.[1] ?? '';
  return authority
    .split(',')
    .map((host) => /:(\d+)$/.exec(host.replace(/^\[[^\]]*\]/, (ipv6) => ipv6.replace(/:/g, '')))?.[1])
    .filter((port): port is string => port !== undefined)
    .map(Number);
}

/**
 * True when `createDb(url, options)` treats `url` as a transaction pooler (see
 * `CreateDbOptions.pooler`), i.e. turns prepared statements off unless told otherwise.
 */
export function isTransactionPooler(url: string, options: CreateDbOptions = {}, env: NodeJS.ProcessEnv = process.env): boolean {
  if (options.pooler) return options.pooler === 'transaction';
  const explicit = options.postgres?.port;
  const ports = explicit !== undefined ? [explicit].flat().map(Number) : urlPorts(url);
  if (ports.length === 0 && env.PGPORT) ports.push(Number(env.PGPORT));
  return ports.includes(TRANSACTION_POOLER_PORT);
}

/** Whether the caller chose prepared statements on or off themselves. */
function preparePassed(url: string, options: CreateDbOptions): boolean {
  const o = options.postgres as { prepare?: unknown; no_prepare?: unknown } | undefined;
  if (o && ('prepare' in o || 'no_prepare' in o)) return true;
  return /[?&]prepare=/.test(url);
}

/**
 * A typed Drizzle database over postgres.js. `url` defaults to `DATABASE_URL`; call `close(db)` when done.
 * Behind a transaction pooler (port 6543, or `{ pooler: 'transaction' }`) prepared statements are off.
 */
export function createDb(url: string | undefined = process.env.DATABASE_URL, options: CreateDbOptions = {}): PostgresDb {
  if (!url) {
    throw new Error('createDb: no connection string. Pass one, or set DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/app).');
  }
  // A transaction pooler hands each transaction to whichever server connection is free: a statement
  // prepared on one is missing on the next ("prepared statement ... does not exist"). Unnamed
  // statements work everywhere (engagement.ts reads `$client.options.prepare` for its own insert).
  const noPrepare = isTransactionPooler(url, options) && !preparePassed(url, options);
  const client = postgres(url, {
    max: options.max ?? 10,
    onnotice: () => {},
    ...(noPrepare ? { prepare: false } : {}),
    ...options.postgres,
  });
  return drizzlePostgres(client, { schema }) as PostgresDb;
}

/**
 * An embedded database (PGlite): in memory when `dataDir` is omitted, else persisted in that folder.
 * Loaded lazily so apps that only use postgres.js never load the WebAssembly build.
 */
export async function createEmbeddedDb(dataDir?: string): Promise<EmbeddedDb> {
  const [{ PGlite }, { drizzle }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('drizzle-orm/pglite'),
  ]);
  const client = new PGlite(dataDir);
  await client.waitReady;
  return drizzle(client, { schema });
}

/** True when `db` runs on postgres.js (its client is the `sql` tag function). */
export function isPostgresJs(db: Db): db is PostgresDb {
  return typeof (db as { $client?: unknown }).$client === 'function';
}

/** Closes the connection pool or the embedded database behind `db`. */
export async function close(db: Db): Promise<void> {
  const client = (db as { $client?: unknown }).$client;
  if (typeof client === 'function') await (client as postgres.Sql).end({ timeout: 5 });
  else if (client && typeof (client as { close?: unknown }).close === 'function') {
    await (client as { close(): Promise<void> }).close();
  }
}

/**
 * Runs raw SQL and returns its rows, whatever the driver: postgres.js answers with an array,
 * PGlite with `{ rows }`.
 */
export async function queryRows<T extends Record<string, unknown>>(db: Db, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown;
  if (Array.isArray(result)) return result as T[];
  return ((result as { rows?: T[] }).rows ?? []) as T[];
}
