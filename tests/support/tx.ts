import { TransactionRollbackError } from 'drizzle-orm';
import type { Db } from '../../src/db.js';

/** Runs `work` in a transaction on `db` that is always rolled back; returns what `work` returned. */
export async function rolledBack<T>(db: Db, work: (tx: Db) => Promise<T>): Promise<T> {
  let result: T | undefined;
  try {
    await db.transaction(async (tx) => {
      result = await work(tx);
      tx.rollback();
    });
  } catch (err) {
    if (!(err instanceof TransactionRollbackError)) throw err;
  }
  return result as T;
}
