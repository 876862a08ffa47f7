/** The PostgreSQL error behind a rejected promise (drizzle wraps it in `cause`), or a failure if it resolved. */
export async function pgError(promise: Promise<unknown>): Promise<{
  message: string;
  code?: string;
  constraint_name?: string;
  column_name?: string;
}> {
  try {
    await promise;
  } catch (err) {
    let e = err as { cause?: unknown; message: string };
    while (e.cause && typeof e.cause === 'object') e = e.cause as typeof e;
    return e as unknown as { message: string; code?: string; constraint_name?: string; column_name?: string };
  }
  throw new Error('expected the database to refuse this, but it succeeded');
}
