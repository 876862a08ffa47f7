import { sql, type SQL } from 'drizzle-orm';
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { describe, expect, inject, it } from 'vitest';
import { close, createDb, queryRows, type Db } from '../src/db.js';
import { migrate } from '../src/migrate.js';
import { withDatabase } from './support/server.js';
import { asRole, createSupabaseDatabase } from './support/supabase.js';
import { asApi, authenticatorDb, serviceKey } from './support/api.js';
import { useTestDb } from './support/db.js';
import { pgError } from './support/errors.js';
import { rolledBack } from './support/tx.js';
import { auditSecurity, syncApiGrants, type SecurityFinding, type SecurityRule } from '../src/queries/security.js';
import { runDoctor } from '../src/cli/doctor.js';

// Security rules checked on the catalog of a fully migrated database, so every table, view and
// function anyone adds later is held to them without this file having to name it.

const t = useTestDb();

/**
 * Probes are created as the role that runs the migrations, as every object of the package is: the
 * default privileges that apply are that role's (on a server whose superuser is supabase_admin, the
 * superuser's own defaults would grant the API roles more).
 */
/**
 * Supabase's default privileges grant the API roles everything on what the migrator creates; these
 * probes state their grants themselves, so the defaults are switched off for the (rolled back) probe.
 */
async function withoutSupabaseDefaults(tx: Db): Promise<void> {
  for (const kind of ['TABLES', 'FUNCTIONS', 'SEQUENCES']) {
    await tx.execute(sql.raw(`ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON ${kind} FROM anon, authenticated, service_role`));
  }
}

const asMigrator = <T>(work: (tx: Db) => Promise<T>): Promise<T> =>
  rolledBack(t.db, async (tx) => {
    await tx.execute(sql.raw(`SET LOCAL ROLE "${inject('migratorRole')}"`));
    return work(tx);
  });

/**
 * The package's schemas: every schema the migrations made, except `auth` (Supabase's own; the bootstrap
 * only stands it in on bare servers) and `drizzle` (the migrator's journal), which are checked separately.
 */
const packageSchema = (nsp: SQL) => sql`(
  ${nsp} not in ('pg_catalog', 'information_schema', 'auth', 'drizzle')
  and ${nsp} !~ '^pg_(toast|temp_|toast_temp_)'
  and not exists (
    select 1 from pg_depend d join pg_namespace n on n.oid = d.objid
    where d.classid = 'pg_namespace'::regclass and d.deptype = 'e' and n.nspname = ${nsp}))`;

/** The package's schemas, from the catalog: a schema someone adds (an archive, say) is audited too. */
async function packageSchemas(db: Db): Promise<string[]> {
  const rows = await queryRows<{ nspname: string }>(
    db,
    sql`select n.nspname from pg_namespace n where ${packageSchema(sql`n.nspname`)} order by 1`,
  );
  return rows.map((r) => r.nspname);
}

async function findings(db: Db, rule?: SecurityRule): Promise<SecurityFinding[]> {
  const all = await auditSecurity(db, { schemas: await packageSchemas(db) });
  return rule ? all.filter((f) => f.rule === rule) : all;
}

describe('tables', () => {
  it('every table in the package’s schemas, partitions included, has row-level security enabled', async () => {
    expect(await findings(t.db, 'rls_disabled')).toEqual([]);
    const checked = await queryRows<{ n: number }>(
      t.db,
      sql`select count(*)::int as n from pg_class c join pg_namespace n on n.oid = c.relnamespace
          where c.relkind in ('r', 'p') and ${packageSchema(sql`n.nspname`)}`,
    );
    expect(checked[0]!.n).toBeGreaterThan(15); // the core tables and the engagement_events partitions
  });

  it('a table added without row-level security, in public or a schema of its own, is found', async () => {
    const found = await asMigrator(async (tx) => {
      await tx.execute(sql`create table public.rls_probe_forgotten (id int)`);
      await tx.execute(sql`create schema rls_probe_archive`);
      await tx.execute(sql`create table rls_probe_archive.old_events (id int)`);
      await tx.execute(sql`create table public.rls_probe_closed (id int)`);
      await tx.execute(sql`alter table public.rls_probe_closed enable row level security`);
      return findings(tx, 'rls_disabled');
    });
    expect(found.map((r) => r.object)).toEqual(['public.rls_probe_forgotten', 'rls_probe_archive.old_events']);
  });

  it('no policy is for PUBLIC, only social_platforms has one for anon, and auth.uid() is called once per statement', async () => {
    expect(await findings(t.db, 'policy_for_public')).toEqual([]);
    expect(await findings(t.db, 'anon_policy')).toEqual([]);
    expect(await findings(t.db, 'auth_uid_per_row')).toEqual([]);
    const probes = await asMigrator(async (tx) => {
      await tx.execute(sql`create policy rls_probe_everyone on public.trending_topics for select using (true)`);
      await tx.execute(sql`create policy rls_probe_anon on public.post_analytics for select to anon using (true)`);
      await tx.execute(sql`create policy rls_probe_slow on public.social_posts for select to authenticated using (user_id = auth.uid())`);
      return findings(tx);
    });
    expect(probes.filter((f) => f.object.includes('rls_probe')).map((f) => `${f.rule} ${f.object}`)).toEqual([
      'policy_for_public public.trending_topics rls_probe_everyone',
      'anon_policy public.post_analytics rls_probe_anon',
      'auth_uid_per_row public.social_posts rls_probe_slow',
      // Neither goes through a membership either.
      'policy_without_membership public.social_posts rls_probe_slow',
      'policy_without_membership public.trending_topics rls_probe_everyone',
    ]);
  });

  it('every policy for authenticated goes through a membership, reference tables aside; one that does not is found', async () => {
    expect(await findings(t.db, 'policy_without_membership')).toEqual([]);
    // The rule has something to look at: most policies for authenticated call member_workspaces.
    const [{ n }] = (await queryRows<{ n: number }>(
      t.db,
      sql`select count(*)::int as n from pg_policy p where 'authenticated'::regrole = any (p.polroles)
            and coalesce(pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid)) like '%member_workspaces(%'`,
    )) as [{ n: number }];
    expect(n).toBeGreaterThan(20);
    const probes = await asMigrator(async (tx) => {
      await withoutSupabaseDefaults(tx);
      const member = sql.raw(`workspace_id = any ((select social_private.member_workspaces('editor'))::uuid[])`);
      // The old owner-based policy: any customer who signs in may create rows of their own.
      await tx.execute(sql`create policy rls_probe_owner on public.social_posts for insert to authenticated with check (user_id = (select auth.uid()))`);
      await tx.execute(sql`create policy rls_probe_signed_in on public.trending_topics for select to authenticated using (true)`);
      // Membership to find the row, none for what it becomes.
      await tx.execute(sql`create policy rls_probe_half on public.content_templates for update to authenticated using (${member}) with check (true)`);
      // A look-alike of the membership function, in public.
      await tx.execute(sql`create function public.member_workspaces(text) returns uuid[] language sql stable set search_path = public, pg_temp
                           as 'select array_agg(id) from public.workspaces'`);
      await tx.execute(sql`create policy rls_probe_lookalike on public.social_accounts for select to authenticated
                           using (workspace_id = any ((select public.member_workspaces('viewer'))::uuid[]))`);
      // A table without row-level security that authenticated may read.
      await tx.execute(sql`create table public.rls_probe_open (id int)`);
      await tx.execute(sql`grant select on public.rls_probe_open to authenticated`);
      // Fine: a reference table, and a member's own membership row.
      await tx.execute(sql`create policy rls_probe_reference on public.post_metric_catalog for select to authenticated using (true)`);
      await tx.execute(sql`create policy rls_probe_self on public.workspace_members for select to authenticated using (user_id = (select auth.uid()))`);
      // social-db doctor fails its security audit on them.
      const audit = (await runDoctor(tx)).checks.find((c) => c.name === 'security audit');
      expect({ status: audit?.status, summary: audit?.summary }).toEqual({
        status: 'fail',
        summary: expect.stringContaining('policy_without_membership: public.content_templates rls_probe_half'),
      });
      return findings(tx, 'policy_without_membership');
    });
    expect(probes.map((f) => `${f.object}: ${f.detail}`)).toEqual([
      'public.content_templates rls_probe_half: its WITH CHECK for authenticated does not call social_private.member_workspaces: being signed in would be enough',
      'public.rls_probe_open: authenticated may read it, and it has no row-level security',
      'public.social_accounts rls_probe_lookalike: its USING for authenticated does not call social_private.member_workspaces: being signed in would be enough',
      'public.social_posts rls_probe_owner: its WITH CHECK for authenticated does not call social_private.member_workspaces: being signed in would be enough',
      'public.trending_topics rls_probe_signed_in: its USING for authenticated does not call social_private.member_workspaces: being signed in would be enough',
    ]);
  });

  it('anon and authenticated hold exactly the table privileges their policies are written for', async () => {
    expect(await findings(t.db, 'grant_mismatch')).toEqual([]);
    // The check compares something: the owner tables are writable, platforms readable by anon.
    const acl = await queryRows<{ posts: boolean; analytics: boolean; platforms: boolean; anon_posts: boolean }>(
      t.db,
      sql`select has_table_privilege('authenticated', 'social_posts', 'SELECT, INSERT, UPDATE, DELETE') as posts,
                 has_table_privilege('authenticated', 'post_analytics', 'INSERT, UPDATE, DELETE, TRUNCATE') as analytics,
                 has_table_privilege('anon', 'social_platforms', 'SELECT') as platforms,
                 has_table_privilege('anon', 'social_posts', 'SELECT') as anon_posts`,
    );
    expect(acl).toEqual([{ posts: true, analytics: false, platforms: true, anon_posts: false }]);
  });

  it('authenticated writes only what the matrix lets a workspace’s staff write; anon writes nothing', async () => {
    const rows = await queryRows<{ role: string; name: string }>(
      t.db,
      sql`select r.role, c.oid::regclass::text as name
          from pg_class c join pg_namespace n on n.oid = c.relnamespace, (values ('anon'), ('authenticated')) r(role)
          where c.relkind in ('r', 'p', 'v', 'm', 'f') and ${packageSchema(sql`n.nspname`)}
            and has_table_privilege(r.role, c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE')
          order by 1, 2`,
    );
    // Publishing's settings table once it exists (the other tables are this release's).
    const [{ publishing }] = (await queryRows<{ publishing: boolean }>(
      t.db,
      sql`select to_regclass('public.account_publishing_settings') is not null as publishing`,
    )) as [{ publishing: boolean }];
    expect(rows).toEqual([
      ...(publishing ? [{ role: 'authenticated', name: 'account_publishing_settings' }] : []),
      { role: 'authenticated', name: 'content_templates' },
      { role: 'authenticated', name: 'social_accounts' },
      { role: 'authenticated', name: 'social_posts' },
      { role: 'authenticated', name: 'workspace_members' },
      { role: 'authenticated', name: 'workspaces' },
    ]);
  });

  it('a grant without a policy, or a policy without a grant, is found', async () => {
    const before = (await findings(t.db, 'grant_mismatch')).map((f) => f.detail);
    const after = await asMigrator(async (tx) => {
      await tx.execute(sql`grant select on public.social_posts to anon`);
      await tx.execute(sql`grant truncate on public.social_posts to authenticated`);
      await tx.execute(sql`create policy rls_probe_update on public.trending_topics for update to authenticated using (true)`);
      return findings(tx, 'grant_mismatch');
    });
    expect(after.filter((f) => !before.includes(f.detail)).map((f) => `${f.object}: ${f.detail}`)).toEqual([
      'public.social_posts: anon holds {SELECT}, its policies need {}',
      'public.social_posts: authenticated holds {DELETE, INSERT, SELECT, TRUNCATE, UPDATE}, its policies need {DELETE, INSERT, SELECT, UPDATE}',
      'public.trending_topics: authenticated holds {SELECT}, its policies need {SELECT, UPDATE}',
    ]);
  });

  it('sequences are usable only by roles that may insert into the table they number', async () => {
    expect(await findings(t.db, 'sequence_open')).toEqual([]);
    const probe = await asMigrator(async (tx) => {
      await tx.execute(sql`grant usage on sequence social_platforms_id_seq to authenticated`);
      return findings(tx, 'sequence_open');
    });
    expect(probe.map((f) => f.object)).toEqual(['public.social_platforms_id_seq']);
  });

  it('service_role reaches every table, view and sequence', async () => {
    expect(await findings(t.db, 'service_role_missing')).toEqual([]);
  });

  it('materialized views, and views that would read as their owner, are closed to anon and authenticated', async () => {
    expect(await findings(t.db, 'view_open')).toEqual([]);
    const probe = await asMigrator(async (tx) => {
      await withoutSupabaseDefaults(tx);
      await tx.execute(sql`create materialized view public.rls_probe_mv as select id from social_posts`);
      await tx.execute(sql`create view public.rls_probe_v as select id from social_posts`);
      await tx.execute(sql`create view public.rls_probe_inv with (security_invoker = true) as select id from social_posts`);
      await tx.execute(sql`grant select on public.rls_probe_mv, public.rls_probe_v, public.rls_probe_inv to authenticated`);
      return findings(tx, 'view_open');
    });
    expect(probe.map((f) => f.object)).toEqual(['public.rls_probe_mv', 'public.rls_probe_v']);
  });

  it('auth.users, the migrations journal and the archive schema are closed to the API roles', async () => {
    const rows = await queryRows<{ anon: boolean; authenticated: boolean; journal: boolean; archive: boolean }>(
      t.db,
      sql`select has_table_privilege('anon', 'auth.users', 'SELECT, INSERT, UPDATE, DELETE') as anon,
                 has_table_privilege('authenticated', 'auth.users', 'SELECT, INSERT, UPDATE, DELETE') as authenticated,
                 has_schema_privilege('anon', 'drizzle', 'USAGE') or has_schema_privilege('authenticated', 'drizzle', 'USAGE') as journal,
                 has_schema_privilege('anon', 'archive', 'USAGE') or has_schema_privilege('authenticated', 'archive', 'USAGE') as archive`,
    );
    expect(rows).toEqual([{ anon: false, authenticated: false, journal: false, archive: false }]);
  });
});

describe('functions', () => {
  it('none is executable by PUBLIC or anon', async () => {
    const names = await queryRows<{ name: string }>(
      t.db,
      sql`select p.oid::regprocedure::text as name from pg_proc p where p.pronamespace = 'public'::regnamespace`,
    );
    expect(names.map((f) => f.name)).toEqual(
      expect.arrayContaining(['ensure_engagement_partitions(integer)', 'sync_api_grants(regclass[])']),
    );
    expect(await findings(t.db, 'function_public_execute')).toEqual([]);
    expect(await findings(t.db, 'function_anon_execute')).toEqual([]);
  });

  it('every SECURITY DEFINER function pins search_path, with pg_temp named so it is not searched first', async () => {
    expect(await findings(t.db, 'definer_search_path')).toEqual([]);
  });

  it('authenticated executes only read functions that run under its own rights (RLS applies), and the membership helper', async () => {
    expect(await findings(t.db, 'authenticated_unsafe_function')).toEqual([]);
    // The one SECURITY DEFINER function authenticated may execute: every membership policy calls it,
    // and the Data API does not serve its schema, so no request calls it by name.
    const definers = await queryRows<{ name: string; volatile: string }>(
      t.db,
      sql`select p.oid::regprocedure::text as name, p.provolatile::text as volatile from pg_proc p
          where p.prosecdef and has_function_privilege('authenticated', p.oid, 'EXECUTE')
            and p.pronamespace in (select oid from pg_namespace where ${packageSchema(sql`nspname`)}) order by 1`,
    );
    expect(definers).toEqual([{ name: 'social_private.member_workspaces(text)', volatile: 's' }]);
    // The same function in public would be an RPC that reads past row-level security.
    const exposed = await asMigrator(async (tx) => {
      await tx.execute(sql`create function public.rls_probe_members(text) returns uuid[] language sql stable security definer
                           set search_path = public, pg_temp as 'select array_agg(id) from public.workspaces'`);
      await tx.execute(sql`grant execute on function public.rls_probe_members(text) to authenticated`);
      return findings(tx, 'authenticated_unsafe_function');
    });
    expect(exposed.map((f) => f.object)).toEqual(['rls_probe_members(text)']);
  });

  it('functions created without REVOKE, or SECURITY DEFINER without a pinned search_path, are found', async () => {
    const found = await asMigrator(async (tx) => {
      await withoutSupabaseDefaults(tx);
      await tx.execute(sql`create function public.rls_probe_open() returns int language sql as 'select 1'`);
      await tx.execute(sql`create function public.rls_probe_definer() returns int language sql security definer as 'select 1'`);
      await tx.execute(sql`create function public.rls_probe_pinned() returns int language sql security definer
                           set search_path = public as 'select 1'`);
      await tx.execute(sql`create function public.rls_probe_writer() returns int language sql as 'select 1'`);
      await tx.execute(sql`revoke all on function public.rls_probe_definer(), public.rls_probe_pinned(), public.rls_probe_writer() from public`);
      await tx.execute(sql`grant execute on function public.rls_probe_definer(), public.rls_probe_writer() to authenticated`);
      await tx.execute(sql`grant execute on function public.rls_probe_pinned() to anon`);
      return findings(tx);
    });
    expect(found.filter((f) => f.object.includes('rls_probe')).map((f) => `${f.rule} ${f.object}`)).toEqual([
      'function_public_execute rls_probe_open()',
      'function_anon_execute rls_probe_pinned()',
      'definer_search_path rls_probe_definer()',
      'definer_search_path rls_probe_pinned()',
      'authenticated_unsafe_function rls_probe_definer()',
      'authenticated_unsafe_function rls_probe_open()',
      'authenticated_unsafe_function rls_probe_writer()',
      // Supabase's Security Advisor: every function without SET search_path, definer or not.
      'function_search_path_mutable rls_probe_definer()',
      'function_search_path_mutable rls_probe_open()',
      'function_search_path_mutable rls_probe_writer()',
      // ... and its SECURITY DEFINER functions callable through /rest/v1/rpc.
      'anon_security_definer_function_executable rls_probe_pinned()',
      'authenticated_security_definer_function_executable rls_probe_definer()',
    ]);
  });
});

describe('auditSecurity()', () => {
  it('names the field and the reason for bad input', async () => {
    await expect(auditSecurity(t.db, { schemas: [] })).rejects.toThrow(/schemas: name at least one schema/);
    await expect(auditSecurity(t.db, { schemas: [''] })).rejects.toThrow(/schemas\.0: empty schema name/);
  });
});

describe('roles', () => {
  it('exist as on Supabase: only service_role bypasses row-level security, none is a superuser', async () => {
    const rows = await queryRows<{ rolname: string; rolbypassrls: boolean; rolsuper: boolean }>(
      t.db,
      sql`select rolname, rolbypassrls, rolsuper from pg_roles
          where rolname in ('anon', 'authenticated', 'service_role') order by rolname`,
    );
    expect(rows).toEqual([
      { rolname: 'anon', rolbypassrls: false, rolsuper: false },
      { rolname: 'authenticated', rolbypassrls: false, rolsuper: false },
      { rolname: 'service_role', rolbypassrls: true, rolsuper: false },
    ]);
  });
});

describe('sync_api_grants() / syncApiGrants()', () => {
  it('names the field and the reason for bad input, and unknown tables', async () => {
    await expect(syncApiGrants(t.db, { relations: [] })).rejects.toThrow(/syncApiGrants: relations: name at least one table/);
    await expect(syncApiGrants(t.db, { relations: ['social_posts', ' '] })).rejects.toThrow(/relations\.1: empty relation name/);
    const unknown = await pgError(syncApiGrants(t.db, { relations: ['no_such_table'] }));
    expect(unknown.message).toMatch(/relation "no_such_table" does not exist/);
  });


  it('derives grants from policies, closes partitions by name, and is idempotent', async () => {
    const result = await asMigrator(async (tx) => {
      await tx.execute(sql`create table public.rls_probe (id bigint generated always as identity primary key, user_id uuid)`);
      await tx.execute(sql`alter table public.rls_probe enable row level security`);
      await tx.execute(sql`create policy rls_probe_read on public.rls_probe for select to authenticated using (user_id = (select auth.uid()))`);
      await tx.execute(sql`create policy rls_probe_add on public.rls_probe for insert to authenticated with check (user_id = (select auth.uid()))`);
      await tx.execute(sql`grant all on public.rls_probe to anon`); // as Supabase's default privileges would
      await tx.execute(sql`create table public.rls_probe_parted (id int, at date) partition by range (at)`);
      await tx.execute(sql`create table public.rls_probe_parted_2026 partition of public.rls_probe_parted for values from ('2026-01-01') to ('2027-01-01')`);
      await tx.execute(sql`grant select on public.rls_probe_parted_2026 to authenticated`);
      const first = await syncApiGrants(tx, { relations: ['rls_probe', 'public.rls_probe_parted'] });
      const second = await syncApiGrants(tx, { relations: ['rls_probe', 'public.rls_probe_parted'] });
      const acl = await queryRows<{ anon: boolean; auth: string; seq: boolean; part: boolean }>(
        tx,
        sql`select has_table_privilege('anon', 'rls_probe', 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE') as anon,
                   (select string_agg(p, ',' order by p) from unnest(array['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) p
                     where has_table_privilege('authenticated', 'rls_probe', p)) as auth,
                   has_sequence_privilege('authenticated', 'rls_probe_id_seq', 'USAGE') as seq,
                   has_table_privilege('authenticated', 'rls_probe_parted_2026', 'SELECT') as part`,
      );
      return { first, second, acl };
    });
    expect(result.second).toEqual(result.first);
    expect(result.first).toContainEqual({ relation: 'rls_probe', grantee: 'authenticated', privileges: 'INSERT, SELECT' });
    expect(result.first).toContainEqual({ relation: 'rls_probe_parted_2026', grantee: 'service_role', privileges: 'ALL' });
    expect(result.acl).toEqual([{ anon: false, auth: 'INSERT,SELECT', seq: true, part: false }]);
  });

  it('refuses a policy for PUBLIC, an empty list and a table it does not own', async () => {
    const publicPolicy = await pgError(
      asMigrator(async (tx) => {
        await tx.execute(sql`create table public.rls_probe (id int)`);
        await tx.execute(sql`create policy rls_probe_everyone on public.rls_probe for select using (true)`);
        await tx.execute(sql`select * from sync_api_grants(array['rls_probe']::regclass[])`);
      }),
    );
    expect(publicPolicy.message).toMatch(/policy rls_probe_everyone on rls_probe applies to PUBLIC/);
    const empty = await pgError(asMigrator((tx) => tx.execute(sql`select * from sync_api_grants(array[]::regclass[])`)));
    expect(empty.message).toMatch(/relations: name at least one table/);
    const notAllowed = await pgError(
      asMigrator(async (tx) => {
        await tx.execute(sql`set local role service_role`);
        await tx.execute(sql`select * from sync_api_grants(array['social_posts']::regclass[])`);
      }),
    );
    expect(notAllowed.message).toMatch(/permission denied for function sync_api_grants/);
    // Even if someone granted EXECUTE, a non-owner gets an error instead of GRANT's silent no-op.
    const notOwner = await pgError(
      asMigrator(async (tx) => {
        await tx.execute(sql`grant execute on function sync_api_grants(regclass[]) to service_role`);
        await tx.execute(sql`set local role service_role`);
        await tx.execute(sql`select * from sync_api_grants(array['social_posts']::regclass[])`);
      }),
    );
    expect(notOwner.message).toMatch(/social_posts is not owned by service_role/);
  });
});

describe('on Supabase', () => {
  it('migrations and monthly partitions end with the same privileges despite Supabase’s default grants', async () => {
    const name = `socialdb_test_supabase_${process.pid}_${randomBytes(3).toString('hex')}`;
    const admin = postgres(inject('adminUrl'), { max: 1, onnotice: () => {} });
    // A database laid out as a hosted project, default privileges for the migrating role included,
    // migrated as that non-superuser role.
    await createSupabaseDatabase(inject('adminUrl'), name, inject('migratorRole'));
    const db = createDb(asRole(inject('adminUrl'), inject('migratorRole'), name), { max: 1 });
    const api = authenticatorDb(withDatabase(inject('adminUrl'), name), 1);
    try {
      await migrate(db);
      expect(await findings(db)).toEqual([]);
      // Months the maintenance adds later, through the Data API with the service key, are created under
      // the same default privileges (ensure_engagement_partitions runs as its owner).
      const added = await asApi(api, serviceKey, (tx) => queryRows(tx, sql`select * from ensure_engagement_partitions(6)`));
      expect(added.length).toBeGreaterThan(0);
      expect(await findings(db)).toEqual([]);
    } finally {
      await close(db);
      await close(api);
      await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end({ timeout: 5 });
    }
  });
});
