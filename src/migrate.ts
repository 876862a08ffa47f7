import { fileURLToPath } from 'node:url';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import type { Db } from './db.js';

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
  await internals.dialect.migrate(migrations, internals.session, {
    migrationsFolder,
    migrationsTable: migrationsTable.table,
    migrationsSchema: migrationsTable.schema,
  });
}

export { createDb, createEmbeddedDb, close } from './db.js';
