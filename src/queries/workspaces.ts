import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { queryRows, type Db } from '../db.js';
import { pgErrorOf } from '../pg-error.js';
import { WORKSPACE_ROLES, type WorkspaceRole } from '../schema/workspaces.js';
import { InvalidInputError, parseInput, toDate } from './_input.js';

// Workspaces and their members. These run as whoever `db` connects as: the service role (the app's
// server creating a brand's workspace), or a signed-in member through row-level security, where the
// policies decide (an admin manages members other than owners; only owners make or touch owners).
// Either way the database keeps one owner per workspace; its refusal comes back as an
// InvalidInputError naming the field, like every other bad input.

const uuid = z.string().uuid('must be a uuid');
const role = z.enum(WORKSPACE_ROLES, { message: `must be one of ${WORKSPACE_ROLES.join(', ')}` });

export const createWorkspaceSchema = z.strictObject({
  name: z.string().trim().min(1, 'must not be blank').max(100, 'at most 100 characters'),
  slug: z
    .string()
    .min(2, 'at least 2 characters')
    .max(63, 'at most 63 characters')
    .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'lower-case letters, digits and single hyphens, not at either end'),
  /** The first owner: a user of auth.users. */
  ownerId: uuid,
  publishRequiresApproval: z.boolean().optional(),
  /** Minutes a scheduled post may be late before it is missed (default 120). */
  publishMaxLatenessMinutes: z.number().int('must be whole minutes').positive('must be positive').max(10_080, 'at most a week').optional(),
});
export type CreateWorkspaceInput = z.input<typeof createWorkspaceSchema>;

export interface WorkspaceRow {
  id: string;
  name: string;
  slug: string;
  publishRequiresApproval: boolean;
  createdAt: Date;
}

export interface WorkspaceMemberRow {
  workspaceId: string;
  userId: string;
  role: WorkspaceRole;
  invitedBy: string | null;
  createdAt: Date;
}

function memberRow(r: Record<string, unknown>): WorkspaceMemberRow {
  return {
    workspaceId: String(r.workspace_id),
    userId: String(r.user_id),
    role: r.role as WorkspaceRole,
    invitedBy: r.invited_by === null || r.invited_by === undefined ? null : String(r.invited_by),
    createdAt: toDate(r.created_at),
  };
}

/**
 * What the database refused, as an input error: an unknown user or workspace (foreign keys), a
 * duplicate slug or membership, the last owner. Anything else is rethrown as it is.
 */
function refusal(fn: string, err: unknown, userField = 'userId'): never {
  const e = pgErrorOf(err);
  const c = e.constraint_name ?? '';
  if (e.code === '23503' && c.includes('user_id')) throw new InvalidInputError(fn, [{ field: userField, reason: 'no such user' }]);
  if (e.code === '23503' && c.includes('invited_by')) throw new InvalidInputError(fn, [{ field: 'invitedBy', reason: 'no such user' }]);
  if (e.code === '23503' && c.includes('workspace_id')) throw new InvalidInputError(fn, [{ field: 'workspaceId', reason: 'no such workspace' }]);
  if (e.code === '23505' && c === 'workspaces_slug_key') throw new InvalidInputError(fn, [{ field: 'slug', reason: 'already taken' }]);
  if (e.code === '23505' && c === 'workspace_members_pkey')
    throw new InvalidInputError(fn, [{ field: 'userId', reason: 'already a member of this workspace' }]);
  if (e.code === '23514' && /last owner/.test(e.message ?? '')) throw new InvalidInputError(fn, [{ field: 'userId', reason: e.message! }]);
  if (e.code === '42501') throw new InvalidInputError(fn, [{ field: 'workspaceId', reason: `not allowed: ${e.message ?? 'permission denied'}` }]);
  throw err;
}

/**
 * Creates a workspace with `ownerId` as its owner, in one transaction. Run it as the service role:
 * signed-in users cannot create workspaces (a customer who could would make themselves staff).
 */
export async function createWorkspace(db: Db, input: CreateWorkspaceInput): Promise<WorkspaceRow> {
  const w = parseInput('createWorkspace', createWorkspaceSchema, input);
  try {
    return await db.transaction(async (tx) => {
      const [row] = await queryRows<Record<string, unknown>>(
        tx,
        sql`INSERT INTO workspaces (name, slug, publish_requires_approval, publish_max_lateness)
            VALUES (${w.name}, ${w.slug}, ${w.publishRequiresApproval ?? false},
                    make_interval(mins => ${w.publishMaxLatenessMinutes ?? 120}::int))
            RETURNING id::text, name, slug, publish_requires_approval, created_at`,
      );
      await tx.execute(sql`INSERT INTO workspace_members (workspace_id, user_id, role) VALUES (${row!.id}::uuid, ${w.ownerId}::uuid, 'owner')`);
      return {
        id: String(row!.id),
        name: String(row!.name),
        slug: String(row!.slug),
        publishRequiresApproval: Boolean(row!.publish_requires_approval),
        createdAt: toDate(row!.created_at),
      };
    });
  } catch (err) {
    refusal('createWorkspace', err, 'ownerId');
  }
}

export const addWorkspaceMemberSchema = z.strictObject({
  workspaceId: uuid,
  userId: uuid,
  role,
  invitedBy: uuid.nullish(),
});

/** Adds `userId` to a workspace with `role`. An existing member is refused (change their role instead). */
export async function addWorkspaceMember(db: Db, input: z.input<typeof addWorkspaceMemberSchema>): Promise<WorkspaceMemberRow> {
  const m = parseInput('addWorkspaceMember', addWorkspaceMemberSchema, input);
  let rows: Record<string, unknown>[];
  try {
    rows = await queryRows<Record<string, unknown>>(
      db,
      sql`INSERT INTO workspace_members (workspace_id, user_id, role, invited_by)
          VALUES (${m.workspaceId}::uuid, ${m.userId}::uuid, ${m.role}, ${m.invitedBy ?? null}::uuid)
          RETURNING workspace_id::text, user_id::text, role, invited_by::text, created_at`,
    );
  } catch (err) {
    refusal('addWorkspaceMember', err);
  }
  return memberRow(rows[0]!);
}

export const setWorkspaceMemberRoleSchema = z.strictObject({ workspaceId: uuid, userId: uuid, role });

/** Changes a member's role. Demoting the last owner is refused; so is a user who is not a member. */
export async function setWorkspaceMemberRole(
  db: Db,
  input: z.input<typeof setWorkspaceMemberRoleSchema>,
): Promise<WorkspaceMemberRow> {
  const m = parseInput('setWorkspaceMemberRole', setWorkspaceMemberRoleSchema, input);
  let rows: Record<string, unknown>[];
  try {
    rows = await queryRows<Record<string, unknown>>(
      db,
      sql`UPDATE workspace_members SET role = ${m.role}
          WHERE workspace_id = ${m.workspaceId}::uuid AND user_id = ${m.userId}::uuid
          RETURNING workspace_id::text, user_id::text, role, invited_by::text, created_at`,
    );
  } catch (err) {
    refusal('setWorkspaceMemberRole', err);
  }
  // Row-level security hides what the caller may not change: to them it is not a member they manage.
  if (rows.length === 0) {
    throw new InvalidInputError('setWorkspaceMemberRole', [
      { field: 'userId', reason: 'not a member of this workspace (or not one you may change)' },
    ]);
  }
  return memberRow(rows[0]!);
}

export const removeWorkspaceMemberSchema = z.strictObject({ workspaceId: uuid, userId: uuid });

/** Removes a member; returns the removed membership. Removing the last owner is refused. */
export async function removeWorkspaceMember(
  db: Db,
  input: z.input<typeof removeWorkspaceMemberSchema>,
): Promise<WorkspaceMemberRow> {
  const m = parseInput('removeWorkspaceMember', removeWorkspaceMemberSchema, input);
  let rows: Record<string, unknown>[];
  try {
    rows = await queryRows<Record<string, unknown>>(
      db,
      sql`DELETE FROM workspace_members WHERE workspace_id = ${m.workspaceId}::uuid AND user_id = ${m.userId}::uuid
          RETURNING workspace_id::text, user_id::text, role, invited_by::text, created_at`,
    );
  } catch (err) {
    refusal('removeWorkspaceMember', err);
  }
  if (rows.length === 0) {
    throw new InvalidInputError('removeWorkspaceMember', [
      { field: 'userId', reason: 'not a member of this workspace (or not one you may remove)' },
    ]);
  }
  return memberRow(rows[0]!);
}

export interface UserWorkspace {
  id: string;
  name: string;
  slug: string;
  role: WorkspaceRole;
  memberCount: number;
  joinedAt: Date;
}

/** The workspaces `userId` belongs to, with their role in each, by name. Empty for a customer. */
export async function listWorkspaces(db: Db, userId: string): Promise<UserWorkspace[]> {
  const id = parseInput('listWorkspaces', z.strictObject({ userId: uuid }), { userId }).userId;
  const rows = await queryRows<Record<string, unknown>>(
    db,
    sql`SELECT w.id::text, w.name, w.slug, m.role, m.created_at AS joined_at,
               (SELECT count(*) FROM workspace_members o WHERE o.workspace_id = w.id)::int AS member_count
        FROM workspace_members m
        JOIN workspaces w ON w.id = m.workspace_id
        WHERE m.user_id = ${id}::uuid
        ORDER BY w.name, w.id`,
  );
  return rows.map((r) => ({
    id: String(r.id),
    name: String(r.name),
    slug: String(r.slug),
    role: r.role as WorkspaceRole,
    memberCount: Number(r.member_count),
    joinedAt: toDate(r.joined_at),
  }));
}
