import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { queryRows, type Db } from '../db.js';
import { parseInput, textArrayOfParams } from './_input.js';
import { ADVISOR_LINTS, adviseSecurity, findUnsafeDmlFunctions } from './advisor.js';

// Row-level security and privileges for the Supabase API roles (anon, authenticated, service_role).
// `syncApiGrants` wraps the SQL function of migration 0008; `auditSecurity` reads the catalog and
// reports every object that breaks the package's security rules. See docs/security.md.

const relationName = z
  .string()
  .trim()
  .min(1, 'empty relation name')
  .max(127, 'longer than a PostgreSQL name (schema.name, 63 bytes each)');

export const syncApiGrantsParamsSchema = z.strictObject({
  /** Tables, views or materialized views (optionally schema-qualified) to close and re-grant. */
  relations: z.array(relationName).min(1, 'name at least one table'),
});
export type SyncApiGrantsParams = z.input<typeof syncApiGrantsParamsSchema>;

export type ApiRole = 'anon' | 'authenticated' | 'service_role';

/** One grant `sync_api_grants` made: `privileges` is 'ALL' or a comma-separated list of commands. */
export interface ApiGrant {
  relation: string;
  grantee: ApiRole;
  privileges: string;
}

/**
 * Closes `relations` (and every partition of them) to anon/authenticated/PUBLIC, then grants each API
 * role exactly the commands its row-level security policies are written for; service_role gets all.
 * Idempotent. Must run as the relations' owner (the role that runs the migrations); anyone else gets
 * an error, never a silent no-op. Unknown relations are refused by name.
 */
export async function syncApiGrants(db: Db, params: SyncApiGrantsParams): Promise<ApiGrant[]> {
  const { relations } = parseInput('syncApiGrants', syncApiGrantsParamsSchema, params);
  const list = sql.join(relations.map((r) => sql`${r}`), sql`, `);
  return queryRows<{ relation: string; grantee: ApiRole; privileges: string }>(
    db,
    sql`select relation, grantee, privileges from sync_api_grants(array[${list}]::text[]::regclass[])`,
  ).then((rows) => rows.map((r) => ({ relation: r.relation, grantee: r.grantee, privileges: r.privileges })));
}

export const SECURITY_RULES = [
  'rls_disabled',
  'policy_for_public',
  'anon_policy',
  'auth_uid_per_row',
  'grant_mismatch',
  'view_open',
  'sequence_open',
  'service_role_missing',
  'function_public_execute',
  'function_anon_execute',
  'definer_search_path',
  'authenticated_unsafe_function',
  'policy_without_membership',
  'function_dml_without_where',
  // Supabase's Security Advisor, same names and meaning (./advisor.ts).
  ...ADVISOR_LINTS,
] as const;
export type SecurityRule = (typeof SECURITY_RULES)[number];

/** An object that breaks a rule: `object` is schema-qualified (functions with their argument types). */
export interface SecurityFinding {
  rule: SecurityRule;
  object: string;
  detail: string;
}

const schemaName = z.string().trim().min(1, 'empty schema name').max(63, 'longer than a PostgreSQL name');

export const auditSecurityParamsSchema = z.strictObject({
  /**
   * Schemas to audit (default: the package's: `public`, `archive` where retired months live, and
   * `social_private` where the row-level security helpers live).
   */
  schemas: z.array(schemaName).min(1, 'name at least one schema').default(['public', 'archive', 'social_private']),
  /** The only tables anon may have policies and privileges on (default: public.social_platforms). */
  anonReadable: z.array(relationName).default(['public.social_platforms']),
  /**
   * Reference data every signed-in user may read without a membership (default: the platforms and
   * the metric catalog); every other policy for authenticated must go through a membership.
   */
  referenceTables: z.array(relationName).default(['public.social_platforms', 'public.post_metric_catalog']),
  /**
   * Schemas the Data API serves (PostgREST's `db_schemas`; default `public`). A function elsewhere is
   * not an RPC: a STABLE SECURITY DEFINER helper there (social_private.member_workspaces, which every
   * membership policy calls) may be executable by authenticated.
   */
  exposedSchemas: z.array(schemaName).default(['public']),
});
export type AuditSecurityParams = z.input<typeof auditSecurityParamsSchema>;

/**
 * Every object of `schemas` that breaks the package's security rules, in rule order (empty when all
 * is well). Extension-owned objects are skipped: they answer to their extension. Read-only.
 *
 * Tables: RLS enabled on every table and partition; no policy for PUBLIC; anon policies only on
 * `anonReadable`; `auth.uid()` only as `(select auth.uid())`; anon/authenticated hold exactly the
 * commands their policies are written for (nothing on partitions, never TRUNCATE, REFERENCES or
 * TRIGGER); views (unless security_invoker) and materialized views closed to them; sequences only for
 * roles that may insert into the owning table; service_role reaches every table, view and sequence.
 * Functions: no EXECUTE for PUBLIC or anon; SECURITY DEFINER pins search_path including pg_temp;
 * authenticated executes only SECURITY INVOKER functions that cannot write (STABLE or IMMUTABLE), or
 * STABLE SECURITY DEFINER policy helpers outside `exposedSchemas`; no function has a DELETE/UPDATE
 * without WHERE (pg-safeupdate refuses them through the Data API).
 * Membership: every USING and WITH CHECK of a policy for authenticated or PUBLIC calls
 * social_private.member_workspaces (`referenceTables` aside; on workspace_members, `user_id =
 * auth.uid()` too), and nothing outside `referenceTables` is readable by anon or authenticated
 * without row-level security (`policy_without_membership`).
 * Then Supabase's Security Advisor lints (`ADVISOR_LINTS`), over every non-platform schema.
 */
export async function auditSecurity(db: Db, params: AuditSecurityParams = {}): Promise<SecurityFinding[]> {
  const { schemas, anonReadable, referenceTables, exposedSchemas } = parseInput('auditSecurity', auditSecurityParamsSchema, params);
  const rows = await queryRows<{ rule: SecurityRule; object: string; detail: string }>(
    db,
    sql`
    with rel as (
      select c.oid, c.relkind, c.relispartition, c.relrowsecurity, c.reloptions, c.relname,
             quote_ident(n.nspname) || '.' || quote_ident(c.relname) as name
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = any (${textArrayOfParams(schemas)})
        and c.relkind in ('r', 'p', 'v', 'm', 'f', 'S')
        and not exists (select 1 from pg_depend d
                        where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
    ), anon_ok as (
      select to_regclass(t)::oid as oid from unnest(${textArrayOfParams(anonReadable)}) t
    ), reference as (
      select to_regclass(t)::oid as oid from unnest(${textArrayOfParams(referenceTables)}) t
    ), pol as (
      select p.oid, p.polrelid, p.polname, p.polcmd, p.polroles, rel.name as relname, rel.relname as table_name,
             pg_get_expr(p.polqual, p.polrelid) as qual, pg_get_expr(p.polwithcheck, p.polrelid) as chk,
             coalesce(pg_get_expr(p.polqual, p.polrelid), '') || ' ' || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '') as expr
      from pg_policy p join rel on rel.oid = p.polrelid
    ), api(role) as (values ('anon'), ('authenticated')),
    acl as (
      select rel.name, rel.relkind, api.role,
        coalesce((select array_agg(priv order by priv)
                  from unnest(array['DELETE', 'INSERT', 'REFERENCES', 'SELECT', 'TRIGGER', 'TRUNCATE', 'UPDATE']) priv
                  where has_table_privilege(api.role, rel.oid, priv)), '{}') as granted,
        coalesce((select array_agg(distinct cmd order by cmd) from pol,
                    unnest(case pol.polcmd when 'r' then array['SELECT'] when 'a' then array['INSERT']
                                           when 'w' then array['UPDATE'] when 'd' then array['DELETE']
                                           else array['DELETE', 'INSERT', 'SELECT', 'UPDATE'] end) cmd
                  where pol.polrelid = rel.oid and api.role::regrole = any (pol.polroles)
                    and rel.relkind in ('r', 'p') and not rel.relispartition), '{}') as needed
      from rel cross join api
      where rel.relkind in ('r', 'p', 'f')
    ), fn as (
      select p.oid, p.oid::regprocedure::text as name, p.prosecdef, p.provolatile, coalesce(p.proconfig, '{}') as config,
             n.nspname = any (${textArrayOfParams(exposedSchemas)}) as exposed,
             exists (select 1 from aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
                     where a.grantee = 0 and a.privilege_type = 'EXECUTE') as public_execute
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname = any (${textArrayOfParams(schemas)})
        and not exists (select 1 from pg_depend d
                        where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
    )
    select 1 as ord, 'rls_disabled' as rule, name as object, 'row-level security is not enabled' as detail
      from rel where relkind in ('r', 'p') and not relrowsecurity
    union all
    select 2, 'policy_for_public', relname || ' ' || quote_ident(polname), 'applies to PUBLIC; name the roles'
      from pol where 0::oid = any (polroles)
    union all
    select 3, 'anon_policy', relname || ' ' || quote_ident(polname), 'anon may only read ' || array_to_string(${textArrayOfParams(anonReadable)}, ', ')
      from pol where 'anon'::regrole = any (polroles) and polrelid not in (select oid from anon_ok where oid is not null)
    union all
    select 4, 'auth_uid_per_row', relname || ' ' || quote_ident(polname), 'calls auth.uid() per row; write (select auth.uid())'
      from pol where array_length(string_to_array(expr, 'auth.uid()'), 1) <> array_length(string_to_array(expr, 'SELECT auth.uid()'), 1)
    union all
    select 5, 'grant_mismatch', name, role || ' holds {' || array_to_string(granted, ', ') || '}, its policies need {'
           || array_to_string(needed, ', ') || '}'
      from acl where granted <> needed
    union all
    select 6, 'view_open', rel.name, api.role || ' may read a ' || case rel.relkind when 'm' then 'materialized view' else 'view' end
           || ' that has no row-level security'
      from rel cross join api
      where (rel.relkind = 'm' or (rel.relkind = 'v' and not coalesce(rel.reloptions && array['security_invoker=true', 'security_invoker=on', 'security_invoker=1'], false)))
        and has_table_privilege(api.role, rel.oid, 'SELECT')
    union all
    select 7, 'sequence_open', rel.name, api.role || ' may use it but cannot insert into the table it numbers'
      from rel cross join api
      where rel.relkind = 'S' and has_sequence_privilege(api.role, rel.oid, 'USAGE, SELECT, UPDATE')
        and not exists (select 1 from pg_depend d
                        where d.objid = rel.oid and d.classid = 'pg_class'::regclass and d.refclassid = 'pg_class'::regclass
                          and d.deptype in ('a', 'i') and has_table_privilege(api.role, d.refobjid, 'INSERT'))
    union all
    select 8, 'service_role_missing', name, 'service_role cannot ' || case relkind when 'S' then 'use this sequence' else 'reach it' end
      from rel
      where not relispartition and case relkind
              when 'S' then not has_sequence_privilege('service_role', oid, 'USAGE')
              when 'v' then not has_table_privilege('service_role', oid, 'SELECT')
              when 'm' then not has_table_privilege('service_role', oid, 'SELECT')
              when 'f' then not has_table_privilege('service_role', oid, 'SELECT')
              else not has_table_privilege('service_role', oid, 'SELECT, INSERT, UPDATE, DELETE') end
    union all
    select 9, 'function_public_execute', name, 'PUBLIC may execute it; REVOKE ALL ... FROM PUBLIC'
      from fn where public_execute
    union all
    select 10, 'function_anon_execute', name, 'anon may execute it'
      from fn where not public_execute and has_function_privilege('anon', oid, 'EXECUTE')
    union all
    select 11, 'definer_search_path', name, 'SECURITY DEFINER without SET search_path = ..., pg_temp'
      from fn where prosecdef
        and not exists (select 1 from unnest(config) c where c like 'search_path=%' and c ~ '\\mpg_temp\\M')
    union all
    select 12, 'authenticated_unsafe_function', name,
           'authenticated may execute a ' || case when prosecdef then 'SECURITY DEFINER' else 'VOLATILE' end
           || ' function; only STABLE/IMMUTABLE SECURITY INVOKER read functions are for it'
      from fn where has_function_privilege('authenticated', oid, 'EXECUTE') and (prosecdef or provolatile = 'v')
        -- A policy helper outside the API: it cannot write and no request can call it by name.
        and not (prosecdef and provolatile in ('s', 'i') and not exposed)
    union all
    -- Being signed in must grant nothing (every customer of the app is authenticated): each expression
    -- of a policy for authenticated or PUBLIC goes through a membership, checked by name in the
    -- expression and by identity in the policy's dependencies. Reference tables aside; on
    -- workspace_members a member may also match their own row (user_id = auth.uid()).
    select 13, 'policy_without_membership', relname || ' ' || quote_ident(polname),
           'its ' || which || ' for ' || case when 0::oid = any (polroles) then 'PUBLIC' else 'authenticated' end
           || ' does not call social_private.member_workspaces: being signed in would be enough'
      from pol cross join lateral (values ('USING', qual), ('WITH CHECK', chk)) e(which, text)
      where e.text is not null
        and (0::oid = any (polroles) or 'authenticated'::regrole = any (polroles))
        and polrelid not in (select oid from reference where oid is not null)
        and not (e.text ~ '(^|[^a-z_])member_workspaces[(]' and exists (
              select 1 from pg_depend d
              where d.classid = 'pg_policy'::regclass and d.objid = pol.oid and d.refclassid = 'pg_proc'::regclass
                and d.refobjid = to_regprocedure('social_private.member_workspaces(text)')))
        and not (table_name = 'workspace_members'
                 and regexp_replace(e.text, '[[:space:]()]', '', 'g') in ('user_id=SELECTauth.uidASuid', 'SELECTauth.uidASuid=user_id'))
    union all
    select 13, 'policy_without_membership', rel.name,
           api.role || ' may read it, and ' || case when rel.relkind in ('r', 'p') then 'it has no row-level security'
                                                    else 'a ' || case rel.relkind when 'm' then 'materialized view' else 'view' end
                                                         || ' applies no policy' end
      from rel cross join api
      where has_table_privilege(api.role, rel.oid, 'SELECT')
        and rel.oid not in (select oid from reference where oid is not null)
        and ((rel.relkind in ('r', 'p') and not rel.relrowsecurity)
             or rel.relkind = 'm'
             or (rel.relkind = 'v' and not coalesce(rel.reloptions && array['security_invoker=true', 'security_invoker=on', 'security_invoker=1'], false)))
    order by 1, 3, 4`,
  );
  const own = rows.map((r) => ({ rule: r.rule, object: r.object, detail: r.detail }));
  const dml = await findUnsafeDmlFunctions(db, schemas);
  const advisor = await adviseSecurity(db);
  return [...own, ...dml, ...advisor];
}
