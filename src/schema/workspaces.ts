import { sql } from 'drizzle-orm';
import { boolean, check, index, interval, pgPolicy, pgTable, primaryKey, timestamp, unique, uuid, varchar } from 'drizzle-orm/pg-core';
import { authenticatedRole, authUid, authUsers } from 'drizzle-orm/supabase';
import { createInsertSchema, createSelectSchema } from 'drizzle-zod';
import { z } from 'zod';
import { oneOf, timestamps } from './_common.js';
import { memberOf, serviceRoleAll, WORKSPACE_ROLES } from './_rls.js';

export { WORKSPACE_ROLES, type WorkspaceRole } from './_rls.js';

/**
 * A brand (or an agency's client): the unit of access. Every row that belongs to a brand carries its
 * `workspace_id`, and row-level security lets a signed-in user reach it only through a membership.
 * Being signed in grants nothing: on Supabase `auth.users` also holds the fitness app's customers.
 * Created by the service role (`createWorkspace`): a customer who could create one would make
 * themselves staff.
 */
export const workspaces = pgTable(
  'workspaces',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    name: varchar('name', { length: 100 }).notNull(),
    /** URL-safe handle: lower-case letters, digits and single hyphens, 2-63 characters. */
    slug: varchar('slug', { length: 63 }).notNull(),
    /** Editors' posts wait in `pending_approval` until an admin approves them (publishing). */
    publishRequiresApproval: boolean('publish_requires_approval').notNull().default(false),
    /** How late a scheduled post may still go out before it is `missed` instead (publishing). */
    publishMaxLateness: interval('publish_max_lateness').notNull().default(sql`'02:00:00'::interval`),
    ...timestamps,
  },
  (t) => [
    unique('workspaces_slug_key').on(t.slug),
    check('workspaces_name_not_blank', sql`btrim(${t.name}) <> ''`),
    check('workspaces_slug_format', sql`${t.slug} ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND char_length(${t.slug}) >= 2`),
    check('workspaces_publish_max_lateness_positive', sql`${t.publishMaxLateness} > interval '0'`),
    pgPolicy('workspaces_member_select', { for: 'select', to: authenticatedRole, using: sql`${t.id} = ANY ${memberOf('viewer')}` }),
    pgPolicy('workspaces_admin_update', {
      for: 'update',
      to: authenticatedRole,
      using: sql`${t.id} = ANY ${memberOf('admin')}`,
      withCheck: sql`${t.id} = ANY ${memberOf('admin')}`,
    }),
    pgPolicy('workspaces_owner_delete', { for: 'delete', to: authenticatedRole, using: sql`${t.id} = ANY ${memberOf('owner')}` }),
    serviceRoleAll('workspaces'),
  ],
);

/**
 * Who works in a workspace, and as what. Roles nest (each includes the ones before it):
 * viewer < analyst < editor < admin < owner; docs/workspaces.md has the matrix. The database keeps at
 * least one owner per workspace (trigger `workspace_members_guard`) and refuses to move a membership
 * to another workspace or user.
 */
export const workspaceMembers = pgTable(
  'workspace_members',
  {
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => authUsers.id, { onDelete: 'cascade' }),
    role: varchar('role', { length: 10 }).notNull(),
    invitedBy: uuid('invited_by').references(() => authUsers.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: 'workspace_members_pkey', columns: [t.workspaceId, t.userId] }),
    // Every policy starts here: the signed-in user's memberships (member_workspaces), once per statement.
    index('idx_workspace_members_user').on(t.userId, t.workspaceId, t.role),
    // ON DELETE SET NULL from auth.users.
    index('idx_workspace_members_invited_by')
      .on(t.invitedBy)
      .where(sql`${t.invitedBy} IS NOT NULL`),
    check('workspace_members_role_valid', oneOf(t.role, WORKSPACE_ROLES)),
    // Members see who else is in their workspaces.
    pgPolicy('workspace_members_member_select', {
      for: 'select',
      to: authenticatedRole,
      using: sql`${t.workspaceId} = ANY ${memberOf('viewer')}`,
    }),
    // Admins manage members other than owners; only owners make or touch owners.
    pgPolicy('workspace_members_admin_insert', {
      for: 'insert',
      to: authenticatedRole,
      withCheck: sql`${t.workspaceId} = ANY ${memberOf('admin')} AND (${t.role} <> 'owner' OR ${t.workspaceId} = ANY ${memberOf('owner')})`,
    }),
    pgPolicy('workspace_members_admin_update', {
      for: 'update',
      to: authenticatedRole,
      using: sql`${t.workspaceId} = ANY ${memberOf('admin')} AND (${t.role} <> 'owner' OR ${t.workspaceId} = ANY ${memberOf('owner')})`,
      withCheck: sql`${t.workspaceId} = ANY ${memberOf('admin')} AND (${t.role} <> 'owner' OR ${t.workspaceId} = ANY ${memberOf('owner')})`,
    }),
    // An admin removes members (an owner only if they are one too); anyone may leave.
    pgPolicy('workspace_members_admin_delete', {
      for: 'delete',
      to: authenticatedRole,
      using: sql`(${t.workspaceId} = ANY ${memberOf('admin')} AND (${t.role} <> 'owner' OR ${t.workspaceId} = ANY ${memberOf('owner')}))
        OR (${t.userId} = ${authUid} AND ${t.workspaceId} = ANY ${memberOf('viewer')})`,
    }),
    serviceRoleAll('workspace_members'),
  ],
);

const SLUG = /^[a-z0-9]+(-[a-z0-9]+)*$/;

export const selectWorkspaceSchema = createSelectSchema(workspaces);
export const insertWorkspaceSchema = createInsertSchema(workspaces, {
  name: (s) => s.trim().min(1, 'must not be blank').max(100),
  slug: (s) =>
    s
      .min(2, 'at least 2 characters')
      .max(63)
      .regex(SLUG, 'lower-case letters, digits and single hyphens, not at either end'),
});
export const selectWorkspaceMemberSchema = createSelectSchema(workspaceMembers);
export const insertWorkspaceMemberSchema = createInsertSchema(workspaceMembers, {
  role: z.enum(WORKSPACE_ROLES),
});

export type Workspace = typeof workspaces.$inferSelect;
export type NewWorkspace = typeof workspaces.$inferInsert;
export type WorkspaceMember = typeof workspaceMembers.$inferSelect;
