-- What Supabase provides and this package relies on: the `auth` schema with `auth.users` and
-- `auth.uid()` / `auth.role()`, and the API roles anon / authenticated / service_role. On Supabase all
-- of it exists, belongs to the platform's roles, and the migrating `postgres` may not create in `auth`
-- nor grant on it (PostgreSQL checks CREATE before it notices that an IF NOT EXISTS object exists), so
-- every step below first looks, creates only what is missing and grants only what it may grant: there
-- this migration changes nothing and says nothing. On a bare PostgreSQL (CI, PGlite, a developer's
-- server) it creates a minimal stand-in, so the same migrations run everywhere.
--
-- This file was edited once after release (the Supabase issue): databases that applied the earlier
-- text keep working; `doctor` knows its hash (src/migrate.ts, releasedMigrationHashes).
--
-- drizzle applies all pending migrations in one transaction on one connection: on a fresh database the
-- early migrations' NOTICEs (IF NOT EXISTS skips, "pg_cron not here") would reach the client as noise,
-- printed as raw objects by some drivers. Warnings and errors still come through.
SET LOCAL client_min_messages = warning;
--> statement-breakpoint
DO $$
BEGIN
  IF to_regnamespace('auth') IS NULL THEN
    CREATE SCHEMA auth;
  END IF;
  IF to_regclass('auth.users') IS NULL THEN
    CREATE TABLE auth.users (
      id uuid PRIMARY KEY,
      email varchar(255),
      phone text UNIQUE,
      email_confirmed_at timestamptz,
      phone_confirmed_at timestamptz,
      last_sign_in_at timestamptz,
      created_at timestamptz DEFAULT now(),
      updated_at timestamptz DEFAULT now()
    );
  END IF;
END
$$;
--> statement-breakpoint
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon') THEN
    CREATE ROLE anon NOLOGIN NOINHERIT;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN
    CREATE ROLE authenticated NOLOGIN NOINHERIT;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN
    -- As on Supabase: the server-side key bypasses row-level security.
    CREATE ROLE service_role NOLOGIN NOINHERIT BYPASSRLS;
  END IF;
END
$$;
--> statement-breakpoint
DO $$
BEGIN
  -- Supabase's definitions: the JWT's `sub` and `role`, from either claim setting PostgREST may use.
  IF to_regprocedure('auth.uid()') IS NULL THEN
    EXECUTE $fn$
      CREATE FUNCTION auth.uid() RETURNS uuid
      LANGUAGE sql STABLE
      AS $body$
        SELECT coalesce(
          nullif(current_setting('request.jwt.claim.sub', true), ''),
          (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
        )::uuid
      $body$
    $fn$;
  END IF;
  IF to_regprocedure('auth.role()') IS NULL THEN
    EXECUTE $fn$
      CREATE FUNCTION auth.role() RETURNS text
      LANGUAGE sql STABLE
      AS $body$
        SELECT coalesce(
          nullif(current_setting('request.jwt.claim.role', true), ''),
          (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
        )::text
      $body$
    $fn$;
  END IF;
END
$$;
--> statement-breakpoint
DO $$
BEGIN
  -- Only where this role may grant (it made the objects above, or is a superuser): on Supabase the API
  -- roles already have these privileges and `postgres` holds them without grant option, so a GRANT
  -- there would only raise "no privileges were granted".
  IF has_schema_privilege('auth', 'USAGE WITH GRANT OPTION') THEN
    GRANT USAGE ON SCHEMA auth TO anon, authenticated, service_role;
  END IF;
  IF has_function_privilege('auth.uid()', 'EXECUTE WITH GRANT OPTION')
     AND has_function_privilege('auth.role()', 'EXECUTE WITH GRANT OPTION') THEN
    GRANT EXECUTE ON FUNCTION auth.uid(), auth.role() TO anon, authenticated, service_role;
  END IF;
END
$$;
