// postgres.js and PGlite both put the server's SQLSTATE in `code`, and Node's socket errors their errno
// name (ECONNREFUSED); Drizzle wraps either as the `cause` of its "Failed query" error, and callers
// may wrap again. Every reader of driver errors unwraps here, so they all read the same error.

/** The PostgreSQL fields callers branch on; postgres.js and PGlite name the last two differently. */
export interface PgErrorFields {
  code?: string;
  message?: string;
  constraint_name?: string;
  column_name?: string;
}

/**
 * The error of `err`'s `cause` chain that carries a `code` (a SQLSTATE or an errno name), or the
 * innermost one when none does.
 */
export function driverErrorOf(err: unknown): unknown {
  let e = err as { code?: unknown; cause?: unknown } | null | undefined;
  while (e && typeof e === 'object' && typeof e.code !== 'string' && e.cause && typeof e.cause === 'object') {
    e = e.cause as typeof e;
  }
  return e;
}

/** The PostgreSQL error behind a driver or Drizzle error, as plain fields (absent when not strings). */
export function pgErrorOf(err: unknown): PgErrorFields {
  const pg = (driverErrorOf(err) ?? {}) as {
    code?: unknown;
    message?: unknown;
    constraint_name?: unknown;
    constraint?: unknown;
    column_name?: unknown;
    column?: unknown;
  };
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return {
    code: text(pg.code),
    message: text(pg.message),
    constraint_name: text(pg.constraint_name) ?? text(pg.constraint),
    column_name: text(pg.column_name) ?? text(pg.column),
  };
}
