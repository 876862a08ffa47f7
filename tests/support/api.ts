import { sql, TransactionRollbackError } from 'drizzle-orm';
import { close, createDb, type Db, type PostgresDb } from '../../src/db.js';
import { POOLER_URL_ENV } from './pooler.js';
import { asRole } from './supabase.js';

// The Data API's path into the database: PostgREST logs in as `authenticator` (NOINHERIT, so it holds
// no privilege of its own) and, per request, opens a transaction, switches to the request's role and
// publishes the JWT's claims. supabase-js's `.from()` and `.rpc()` calls arrive exactly like this.

export type ApiWho = { role: 'anon' } | { role: 'service_role' } | { role: 'authenticated'; sub?: string };

export const anonKey: ApiWho = { role: 'anon' };
export const serviceKey: ApiWho = { role: 'service_role' };
export const signedIn = (sub: string): ApiWho => ({ role: 'authenticated', sub });

/**
 * A pool logged in as `authenticator` to the test database at `url` (already routed through the
 * transaction pooler on CI's pooler leg, where prepared statements must be off). Close it with `close`.
 */
export function authenticatorDb(url: string, max = 4): PostgresDb {
  return createDb(asRole(url, 'authenticator'), { max, ...(process.env[POOLER_URL_ENV] ? { pooler: 'transaction' as const } : {}) });
}

/**
 * One API request: `work` runs in a transaction as `who`, with `request.jwt.claims` set as PostgREST
 * sets them. Committed unless `rollback` (then the result is returned and every change undone).
 */
export async function asApi<T>(api: Db, who: ApiWho, work: (tx: Db) => Promise<T>, options: { rollback?: boolean } = {}): Promise<T> {
  let result: T | undefined;
  try {
    await api.transaction(async (tx) => {
      await tx.execute(sql.raw(`SET LOCAL ROLE ${who.role}`));
      const claims = { role: who.role, ...(who.role === 'authenticated' && who.sub ? { sub: who.sub } : {}) };
      await tx.execute(sql`select set_config('request.jwt.claims', ${JSON.stringify(claims)}, true)`);
      result = await work(tx);
      if (options.rollback) tx.rollback();
    });
  } catch (err) {
    if (!(options.rollback && err instanceof TransactionRollbackError)) throw err;
  }
  return result as T;
}

export { close };
