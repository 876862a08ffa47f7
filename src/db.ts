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
  /** Passed through to postgres.js, e.g. `{ ssl: 'require' }`. */
  postgres?: postgres.Options<Record<string, postgres.PostgresType>>;
}

/**
 * A typed Drizzle database over postgres.js. `url` defaults to `DATABASE_URL`; call `close(db)` when done.
 */
export function createDb(url: string | undefined = process.env.DATABASE_URL, options: CreateDbOptions = {}): PostgresDb {
  if (!url) {
    throw new Error('createDb: no connection string. Pass one, or set DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/app).');
  }
  const client = postgres(url, {
    max: options.max ?? 10,
    onnotice: () => {},
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
