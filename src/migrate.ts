import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import type { Db } from './db.js';
import { driverErrorOf } from './pg-error.js';

/** The package's `drizzle/` folder (SQL migrations and journal), wherever the package is installed. */
export const migrationsFolder: string = fileURLToPath(new URL('../drizzle/', import.meta.url));

/** Where drizzle-kit and `migrate()` record applied migrations (same as drizzle.config.ts). */
export const migrationsTable = { table: '__drizzle_migrations', schema: 'drizzle' } as const;

/**
 * Earlier texts of migrations edited after release, by tag: the hashes drizzle recorded for them stay
 * valid. Only 0000 was ever edited (the Supabase issue: as released it could not run on Supabase,
 * where nothing can run before it). drizzle decides what to apply by time, not hash, so such a
 * database is never migrated twice; `doctor` uses this list to recognise it instead of calling it foreign.
 */
export const releasedMigrationHashes: Readonly<Record<string, readonly string[]>> = {
  '0000_supabase_bootstrap': ['666115ae8ebce0cab40cb6ee8efc998efcba1a7a99deb5fe59ab9234185a5e72'],
};

/**
 * Applies pending migrations, in journal order, in one transaction: the same as `drizzle-kit migrate`
 * with this package's drizzle.config.ts. Works on postgres.js and PGlite databases.
 */
export async function migrate(db: Db): Promise<void> {
  const migrations = readMigrationFiles({ migrationsFolder });
  // Both drizzle drivers' migrators are this one call on the dialect; going through it directly
  // lets one function serve every driver.
  const internals = db as unknown as {
    dialect: { migrate(m: unknown, session: unknown, config: unknown): Promise<void> };
    session: unknown;
  };
  try {
    await internals.dialect.migrate(migrations, internals.session, {
      migrationsFolder,
      migrationsTable: migrationsTable.table,
      migrationsSchema: migrationsTable.schema,
    });
  } catch (err) {
    throw MigrationError.from(err);
  }
}

/**
 * A migration the server refused. The whole run was rolled back (one transaction), so the database is
 * as it was before. `file` and `statement` say where; `code`, `detail` and `hint` are the server's.
 */
export class MigrationError extends Error {
  override readonly name = 'MigrationError';
  constructor(
    message: string,
    readonly serverMessage: string,
    readonly code: string | undefined,
    /** The migration file, e.g. `0000_supabase_bootstrap.sql` (undefined when the statement is not one of ours). */
    readonly file: string | undefined,
    /** 1-based position of the statement in its file (statements are separated by `--> statement-breakpoint`). */
    readonly statementNumber: number | undefined,
    readonly statement: string | undefined,
    readonly detail: string | undefined,
    readonly hint: string | undefined,
    options: { cause: unknown },
  ) {
    super(message, options);
  }

  /** Finds the failing statement's file and position; any other error is wrapped with the server's words. */
  static from(err: unknown): MigrationError {
    if (err instanceof MigrationError) return err;
    const pg = (driverErrorOf(err) ?? {}) as { message?: string; code?: string; detail?: string; hint?: string };
    const query = (err as { query?: unknown }).query;
    const serverMessage = typeof pg.message === 'string' ? pg.message : String((err as Error)?.message ?? err);
    const at = typeof query === 'string' ? locateStatement(query) : undefined;
    const where = at ? `${at.file}, statement ${at.statementNumber}` : 'while migrating';
    const code = typeof pg.code === 'string' ? pg.code : undefined;
    const first = at?.statement.split('\n').find((l) => l.trim() && !l.trim().startsWith('--'))?.trim();
    const message = `${serverMessage}${code ? ` (${code})` : ''}\n  ${where}${first ? `: ${first.slice(0, 160)}` : ''}`;
    return new MigrationError(message, serverMessage, code, at?.file, at?.statementNumber, at?.statement, pg.detail, pg.hint, {
      cause: err,
    });
  }
}

function locateStatement(query: string): { file: string; statementNumber: number; statement: string } | undefined {
  const journal = JSON.parse(readFileSync(join(migrationsFolder, 'meta/_journal.json'), 'utf8')) as { entries: { tag: string }[] };
  const wanted = query.trim();
  for (const { tag } of journal.entries) {
    const file = `${tag}.sql`;
    const statements = readFileSync(join(migrationsFolder, file), 'utf8').split('--> statement-breakpoint');
    const i = statements.findIndex((st) => st.trim() === wanted);
    if (i >= 0) return { file, statementNumber: i + 1, statement: statements[i]!.trim() };
  }
  return undefined;
}

export { createDb, createEmbeddedDb, close } from './db.js';
