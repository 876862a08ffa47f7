import { defineConfig } from 'drizzle-kit';

// Two targets: a PostgreSQL server (DATABASE_URL) or the embedded PGlite folder the demo writes
// (SOCIAL_DB_PGLITE_DIR, default ./.pglite). `generate` and `check` need neither.
const url = process.env.DATABASE_URL;
const pgliteDir = process.env.SOCIAL_DB_PGLITE_DIR ?? './.pglite';

export default defineConfig({
  dialect: 'postgresql',
  schema: './src/schema/index.ts',
  // DRIZZLE_OUT lets the drift check generate into a scratch copy instead of the real folder.
  out: process.env.DRIZZLE_OUT ?? './drizzle',
  strict: true,
  verbose: true,
  // auth.users belongs to Supabase; the package only references it.
  schemaFilter: ['public'],
  // anon / authenticated / service_role exist on Supabase; our bootstrap migration creates them elsewhere.
  entities: { roles: { provider: 'supabase' } },
  migrations: { table: '__drizzle_migrations', schema: 'drizzle' },
  ...(url
    ? { dbCredentials: { url } }
    : { driver: 'pglite' as const, dbCredentials: { url: pgliteDir } }),
});
