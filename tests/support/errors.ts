import { pgErrorOf, type PgErrorFields } from '../../src/pg-error.js';

/** The PostgreSQL error behind a rejected promise (drizzle wraps it in `cause`), or a failure if it resolved. */
export async function pgError(promise: Promise<unknown>): Promise<PgErrorFields & { message: string }> {
  try {
    await promise;
  } catch (err) {
    const e = pgErrorOf(err);
    return { ...e, message: e.message ?? String(err) };
  }
  throw new Error('expected the database to refuse this, but it succeeded');
}
