import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../db.js';
import { findUnqualifiedDml } from '../sql/safeupdate.js';
import { textArrayOfParams } from './_input.js';

// Supabase's Security Advisor (its linter, "splinter") runs in every project's dashboard. The lints
// that can fire on a package like this one are checked here under the same names and with the same
// meaning, so `auditSecurity` and `doctor` say before a deploy what the dashboard would say after it.
// Like the Advisor, they look at every schema but the platform's own, and skip extension-owned objects.

export const ADVISOR_LINTS = [
  'rls_disabled_in_public',
  'policy_exists_rls_disabled',
  'rls_enabled_no_policy',
  'security_definer_view',
  'materialized_view_in_api',
  'extension_in_public',
  'auth_users_exposed',
  'function_search_path_mutable',
  'anon_security_definer_function_executable',
  'authenticated_security_definer_function_executable',
] as const;
export type AdvisorLint = (typeof ADVISOR_LINTS)[number];

/** The Advisor's levels: ERROR lints are shown first in the dashboard and fail `doctor`. */
export const ADVISOR_LEVEL: Record<AdvisorLint, 'ERROR' | 'WARN' | 'INFO'> = {
  rls_disabled_in_public: 'ERROR',
  policy_exists_rls_disabled: 'ERROR',
  security_definer_view: 'ERROR',
  rls_enabled_no_policy: 'INFO',
  materialized_view_in_api: 'WARN',
  extension_in_public: 'WARN',
  auth_users_exposed: 'ERROR',
  function_search_path_mutable: 'WARN',
  anon_security_definer_function_executable: 'WARN',
  authenticated_security_definer_function_executable: 'WARN',
};

/** Schemas the Advisor leaves alone: PostgreSQL's and the Supabase platform's own. */
const PLATFORM_SCHEMAS = [
  'pg_catalog', 'information_schema', 'pg_toast', 'auth', 'cron', 'extensions', 'graphql', 'graphql_public', 'net',
  'pgbouncer', 'pgmq', 'pgsodium', 'pgsodium_masks', 'pgtle', 'realtime', 'repack', 'storage', 'supabase_functions',
  'supabase_migrations', 'vault', '_timescaledb_cache', '_timescaledb_catalog', '_timescaledb_config',
  '_timescaledb_internal', 'pgroonga', 'tiger', 'topology',
];
const platformSchemas = sql.raw(`array[${PLATFORM_SCHEMAS.map((s) => `'${s}'`).join(', ')}]::name[]`);

export interface AdvisorFinding {
  rule: AdvisorLint;
  object: string;
  detail: string;
}

/** What Supabase's Security Advisor would report for this database (empty when nothing). Read-only. */
export async function adviseSecurity(db: Db): Promise<AdvisorFinding[]> {
  const rows = await queryRows<{ rule: AdvisorLint; object: string; detail: string }>(
    db,
    sql`
    with rel as (
      select c.oid, c.relkind, c.relrowsecurity, c.reloptions, n.nspname,
             quote_ident(n.nspname) || '.' || quote_ident(c.relname) as name
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname <> all (${platformSchemas}) and n.nspname !~ '^pg_temp|^pg_toast'
        and not exists (select 1 from pg_depend d
                        where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
    ), api_readable as (
      select rel.* from rel
      where has_table_privilege('anon', rel.oid, 'SELECT') or has_table_privilege('authenticated', rel.oid, 'SELECT')
    )
    select 1 as ord, 'rls_disabled_in_public' as rule, name as object, 'table in public without row-level security' as detail
      from rel where relkind = 'r' and nspname = 'public' and not relrowsecurity
    union all
    select 2, 'policy_exists_rls_disabled', name, 'has policies but row-level security is off'
      from rel where relkind = 'r' and not relrowsecurity and exists (select 1 from pg_policy p where p.polrelid = rel.oid)
    union all
    select 3, 'rls_enabled_no_policy', name, 'row-level security is on but no policy says who may'
      from rel where relkind = 'r' and relrowsecurity and not exists (select 1 from pg_policy p where p.polrelid = rel.oid)
    union all
    select 4, 'security_definer_view', name, 'view readable by anon or authenticated runs with its owner''s rights (no security_invoker)'
      from api_readable
      where relkind = 'v'
        and not (lower(coalesce(reloptions::text, '{}'))::text[]
                 && array['security_invoker=1', 'security_invoker=true', 'security_invoker=yes', 'security_invoker=on'])
    union all
    select 5, 'materialized_view_in_api', name, 'materialized view readable by anon or authenticated'
      from api_readable where relkind = 'm'
    union all
    select 6, 'extension_in_public', quote_ident(e.extname), 'extension installed in schema public'
      from pg_extension e where e.extnamespace = 'public'::regnamespace
    union all
    select 7, 'auth_users_exposed', a.name, 'view over auth.users readable by anon or authenticated'
      from api_readable a
      where a.nspname = 'public' and a.relkind in ('v', 'm') and to_regclass('auth.users') is not null
        and exists (select 1 from pg_depend d join pg_rewrite r on r.oid = d.objid
                    where r.ev_class = a.oid and d.refobjid = to_regclass('auth.users') and d.deptype = 'n')
    union all
    select 8, 'function_search_path_mutable', p.oid::regprocedure::text, 'no SET search_path: callers can change what its names mean'
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname <> all (${platformSchemas}) and n.nspname !~ '^pg_temp|^pg_toast'
        and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
        and not exists (select 1 from unnest(coalesce(p.proconfig, '{}')) c where c like 'search_path=%')
    union all
    -- A SECURITY DEFINER function in a schema the Data API serves, executable by an API role, is an
    -- RPC that runs with its owner's rights past row-level security. The served schemas are
    -- PostgREST's db_schemas where the project publishes them as pgrst.db_schemas, else public.
    select 9 + r.ord, r.role || '_security_definer_function_executable', p.oid::regprocedure::text,
           r.role || ' may execute this SECURITY DEFINER function through /rest/v1/rpc/' || p.proname
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      cross join (values (0, 'anon'), (1, 'authenticated')) r(ord, role)
      where p.prosecdef and has_function_privilege(r.role, p.oid, 'EXECUTE')
        and n.nspname <> all (${platformSchemas})
        and n.nspname = any (string_to_array(replace(coalesce(nullif(current_setting('pgrst.db_schemas', true), ''), 'public'), ' ', ''), ','))
        and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
    order by 1, 3`,
  );
  return rows.map((r) => ({ rule: r.rule, object: r.object, detail: r.detail }));
}

export interface UnsafeDmlFinding {
  rule: 'function_dml_without_where';
  object: string;
  detail: string;
}

/**
 * Functions of `schemas` with a DELETE or UPDATE that has no WHERE: the Data API loads pg-safeupdate,
 * which refuses them (SQLSTATE 21000) also inside functions, so such a function fails when supabase-js
 * calls it. Write `WHERE true` where the whole table is meant.
 */
export async function findUnsafeDmlFunctions(db: Db, schemas: string[]): Promise<UnsafeDmlFinding[]> {
  const rows = await queryRows<{ name: string; def: string }>(
    db,
    sql`select p.oid::regprocedure::text as name, pg_get_functiondef(p.oid) as def
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname = any (${textArrayOfParams(schemas)}) and p.prokind in ('f', 'p')
          and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
        order by 1`,
  );
  return rows.flatMap((r) =>
    findUnqualifiedDml(r.def).map((f) => ({
      rule: 'function_dml_without_where' as const,
      object: r.name,
      detail: `${f.command} without WHERE (pg-safeupdate refuses it through the Data API): ${f.excerpt}`,
    })),
  );
}
