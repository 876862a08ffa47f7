import { sql, type SQL } from 'drizzle-orm';
import { pgPolicy, type AnyPgColumn } from 'drizzle-orm/pg-core';
import { anonRole, authenticatedRole, authUid, serviceRole } from 'drizzle-orm/supabase';

// Row-level security, declared next to each table and generated into migrations.
// Every table of the package enables RLS; a table with no policy for a role is closed to it.
// Access is a matter of membership in a workspace, never of being signed in: on Supabase every
// customer of the fitness app is `authenticated` too (docs/workspaces.md has the matrix).

/** Workspace roles, weakest first; each includes the ones before it. */
export const WORKSPACE_ROLES = ['viewer', 'analyst', 'editor', 'admin', 'owner'] as const;
export type WorkspaceRole = (typeof WORKSPACE_ROLES)[number];

/**
 * `((SELECT social_private.member_workspaces('<role>'))::uuid[])`: the signed-in user's workspaces in which their
 * role is at least `minRole`, as a uuid[]. The scalar subquery is an InitPlan, computed once per
 * statement (one index probe of workspace_members), and `workspace_id = ANY (<it>)` is an index
 * condition on the tables that lead an index with workspace_id. The function is SECURITY DEFINER so the
 * membership lookup does not go through workspace_members' own policies (which would recurse).
 */
export const memberOf = (minRole: WorkspaceRole): SQL =>
  // The cast makes it an array expression: `= ANY ((SELECT ...))` would be read as ANY (subquery).
  sql`((SELECT social_private.member_workspaces(${sql.raw(`'${minRole}'::text`)}))::uuid[])`;

/** `workspace_id` names a workspace where the signed-in user is at least `minRole`. */
export const inWorkspace = (workspaceId: AnyPgColumn, minRole: WorkspaceRole): SQL =>
  sql`${workspaceId} = ANY ${memberOf(minRole)}`;

/**
 * A workspace's row, or market data from external feeds (`workspace_id IS NULL`), which the staff of
 * every workspace may read and customers may not.
 */
export const inWorkspaceOrMarket = (workspaceId: AnyPgColumn): SQL =>
  sql`(${workspaceId} = ANY ${memberOf('viewer')} OR (${workspaceId} IS NULL AND cardinality${memberOf('viewer')} > 0))`;

/** The signed-in user is a member of some workspace (staff), whatever the row. */
export const isStaff: SQL = sql`cardinality${memberOf('viewer')} > 0`;

/** service_role (ingestion, cron, the app's server) may do everything. */
export const serviceRoleAll = (table: string) =>
  pgPolicy(`${table}_service_role_all`, { for: 'all', to: serviceRole, using: sql`true`, withCheck: sql`true` });

/** Read by members of the row's workspace whose role is at least `minRole`. */
export const workspaceRead = (table: string, workspaceId: AnyPgColumn, minRole: WorkspaceRole = 'viewer') =>
  pgPolicy(`${table}_member_select`, { for: 'select', to: authenticatedRole, using: inWorkspace(workspaceId, minRole) });

/**
 * Insert, update and delete by members whose role is at least `minRole`. `insertCheck` adds to the
 * insert's check (e.g. the author is the signed-in user). That a post's account and template are of
 * the post's workspace is checked by a trigger for every role, service_role included.
 */
export const workspaceWrite = (table: string, workspaceId: AnyPgColumn, minRole: WorkspaceRole, insertCheck?: SQL) => {
  const member = inWorkspace(workspaceId, minRole);
  return [
    pgPolicy(`${table}_${minRole}_insert`, {
      for: 'insert',
      to: authenticatedRole,
      withCheck: insertCheck ? sql`${member} AND ${insertCheck}` : member,
    }),
    pgPolicy(`${table}_${minRole}_update`, { for: 'update', to: authenticatedRole, using: member, withCheck: member }),
    pgPolicy(`${table}_${minRole}_delete`, { for: 'delete', to: authenticatedRole, using: member }),
  ];
};

/** The row's author is the signed-in user. */
export const authoredBySelf = (userId: AnyPgColumn): SQL => sql`${userId} = ${authUid}`;

/** Readable by staff of any workspace (the brand's shared vocabulary), never by customers. */
export const staffRead = (table: string) =>
  pgPolicy(`${table}_staff_select`, { for: 'select', to: authenticatedRole, using: isStaff });

/** Readable by every signed-in user (reference data that describes the package, not the brand). */
export const authenticatedRead = (table: string) =>
  pgPolicy(`${table}_authenticated_select`, { for: 'select', to: authenticatedRole, using: sql`true` });

/** Readable by anyone, signed in or not. */
export const publicRead = (table: string) =>
  pgPolicy(`${table}_public_select`, { for: 'select', to: [anonRole, authenticatedRole], using: sql`true` });
