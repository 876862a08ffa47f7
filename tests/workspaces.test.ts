import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows, type PostgresDb } from '../src/db.js';
import { InvalidInputError } from '../src/queries/_input.js';
import {
  addWorkspaceMember,
  createWorkspace,
  listWorkspaces,
  removeWorkspaceMember,
  setWorkspaceMemberRole,
} from '../src/queries/workspaces.js';
import { asApi, authenticatorDb, close, serviceKey, signedIn } from './support/api.js';
import { useTestDb } from './support/db.js';
import { pgError } from './support/errors.js';
import { createAccount, createPost, createUser } from './support/fixtures.js';

// The workspace functions, run as the app's server (service role) and as signed-in members through
// row-level security; the database keeps one owner per workspace whoever asks.

const t = useTestDb({ max: 6 });
let api: PostgresDb;
beforeAll(() => {
  api = authenticatorDb(t.url, 6);
});
afterAll(async () => {
  if (api) await close(api);
});

/** The InvalidInputError `work` throws, as { field: reason }. */
async function refused(work: () => Promise<unknown>): Promise<Record<string, string>> {
  try {
    await work();
  } catch (err) {
    if (err instanceof InvalidInputError) return Object.fromEntries(err.issues.map((i) => [i.field, i.reason]));
    throw err;
  }
  throw new Error('expected an InvalidInputError, got success');
}

const slug = () => `ws-${randomUUID().slice(0, 8)}`;

describe('createWorkspace', () => {
  it('creates a workspace with its owner, and names the field of every bad input', async () => {
    const owner = await createUser(t.db, { workspace: false });
    const s = slug();
    const w = await asApi(api, serviceKey, (tx) => createWorkspace(tx, { name: ' Brand A ', slug: s, ownerId: owner }));
    expect(w).toMatchObject({ name: 'Brand A', slug: s, publishRequiresApproval: false });
    expect(await listWorkspaces(t.db, owner)).toEqual([
      expect.objectContaining({ id: w.id, name: 'Brand A', slug: s, role: 'owner', memberCount: 1 }),
    ]);

    expect(await refused(() => createWorkspace(t.db, { name: '  ', slug: 'Bad Slug', ownerId: 'x' }))).toEqual({
      name: 'must not be blank',
      slug: 'lower-case letters, digits and single hyphens, not at either end',
      ownerId: 'must be a uuid',
    });
    expect(await refused(() => createWorkspace(t.db, { name: 'B', slug: s, ownerId: owner }))).toEqual({ slug: 'already taken' });
    expect(await refused(() => createWorkspace(t.db, { name: 'B', slug: slug(), ownerId: randomUUID() }))).toEqual({
      ownerId: 'no such user',
    });
    // Nothing half-made: the refused workspace left no row behind.
    const [n] = await queryRows<{ n: number }>(t.db, sql`SELECT count(*)::int AS n FROM workspaces WHERE name = 'B'`);
    expect(n!.n).toBe(0);
  });

  it('is the service role\'s: a signed-in user (a customer, even an owner) cannot create one', async () => {
    const owner = await createUser(t.db);
    const customer = await createUser(t.db, { workspace: false });
    for (const who of [owner, customer]) {
      await expect(
        asApi(api, signedIn(who), (tx) => createWorkspace(tx, { name: 'Mine', slug: slug(), ownerId: who }), { rollback: true }),
      ).rejects.toThrow(/createWorkspace: workspaceId: not allowed/);
    }
  });
});

describe('members', () => {
  async function team() {
    const owner = await createUser(t.db, { workspace: false });
    const w = await createWorkspace(t.db, { name: 'Team', slug: slug(), ownerId: owner });
    const admin = await createUser(t.db, { workspace: false });
    const editor = await createUser(t.db, { workspace: false });
    await addWorkspaceMember(t.db, { workspaceId: w.id, userId: admin, role: 'admin', invitedBy: owner });
    await addWorkspaceMember(t.db, { workspaceId: w.id, userId: editor, role: 'editor' });
    return { w, owner, admin, editor };
  }

  it('adds, changes and removes members, with clear errors for a bad role, an unknown user and a duplicate', async () => {
    const { w, owner, admin, editor } = await team();
    expect((await listWorkspaces(t.db, admin))[0]).toMatchObject({ id: w.id, role: 'admin', memberCount: 3 });
    expect(await setWorkspaceMemberRole(t.db, { workspaceId: w.id, userId: editor, role: 'viewer' })).toMatchObject({ role: 'viewer' });
    expect(await refused(() => addWorkspaceMember(t.db, { workspaceId: w.id, userId: editor, role: 'boss' as never }))).toEqual({
      role: 'must be one of viewer, analyst, editor, admin, owner',
    });
    expect(await refused(() => addWorkspaceMember(t.db, { workspaceId: w.id, userId: randomUUID(), role: 'viewer' }))).toEqual({
      userId: 'no such user',
    });
    expect(await refused(() => addWorkspaceMember(t.db, { workspaceId: randomUUID(), userId: editor, role: 'viewer' }))).toEqual({
      workspaceId: 'no such workspace',
    });
    expect(await refused(() => addWorkspaceMember(t.db, { workspaceId: w.id, userId: editor, role: 'analyst' }))).toEqual({
      userId: 'already a member of this workspace',
    });
    const removed = await removeWorkspaceMember(t.db, { workspaceId: w.id, userId: editor });
    expect(removed).toMatchObject({ userId: editor, role: 'viewer' });
    expect(await listWorkspaces(t.db, editor)).toEqual([]);
    expect(await refused(() => removeWorkspaceMember(t.db, { workspaceId: w.id, userId: editor }))).toEqual({
      userId: 'not a member of this workspace (or not one you may remove)',
    });
    expect((await listWorkspaces(t.db, owner))[0]).toMatchObject({ memberCount: 2, role: 'owner' });
  });

  it('keeps the last owner: no demotion, no removal, no deletion of their user, whoever asks', async () => {
    const { w, owner, admin } = await team();
    const last = { userId: expect.stringMatching(/is its last owner and cannot be demoted/) };
    expect(await refused(() => setWorkspaceMemberRole(t.db, { workspaceId: w.id, userId: owner, role: 'admin' }))).toEqual(last);
    expect(await refused(() => removeWorkspaceMember(t.db, { workspaceId: w.id, userId: owner }))).toEqual({
      userId: expect.stringMatching(/is its last owner and cannot be removed/),
    });
    // The owner themselves, through the API.
    await expect(
      asApi(api, signedIn(owner), (tx) => removeWorkspaceMember(tx, { workspaceId: w.id, userId: owner }), { rollback: true }),
    ).rejects.toThrow(/last owner/);
    expect(await pgError(t.db.execute(sql`DELETE FROM auth.users WHERE id = ${owner}::uuid`))).toMatchObject({
      code: '23514',
      message: expect.stringMatching(/last owner and cannot be removed/),
    });
    // With a second owner, the first may step down.
    await setWorkspaceMemberRole(t.db, { workspaceId: w.id, userId: admin, role: 'owner' });
    expect(await setWorkspaceMemberRole(t.db, { workspaceId: w.id, userId: owner, role: 'editor' })).toMatchObject({ role: 'editor' });
    // A membership does not move to another workspace or user.
    expect(
      await pgError(t.db.execute(sql`UPDATE workspace_members SET user_id = ${owner}::uuid WHERE workspace_id = ${w.id}::uuid AND user_id = ${admin}::uuid`)),
    ).toMatchObject({ code: '23514', message: expect.stringMatching(/cannot move to another workspace or user/) });
  });

  it('two owners demoting each other at the same moment leave one owner', async () => {
    const { w, owner, admin } = await team();
    await setWorkspaceMemberRole(t.db, { workspaceId: w.id, userId: admin, role: 'owner' });
    for (let round = 0; round < 5; round++) {
      const results = await Promise.allSettled([
        setWorkspaceMemberRole(t.db, { workspaceId: w.id, userId: owner, role: 'admin' }),
        setWorkspaceMemberRole(t.db, { workspaceId: w.id, userId: admin, role: 'admin' }),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled').length).toBe(1);
      const [n] = await queryRows<{ n: number }>(
        t.db,
        sql`SELECT count(*)::int AS n FROM workspace_members WHERE workspace_id = ${w.id}::uuid AND role = 'owner'`,
      );
      expect(n!.n).toBe(1);
      // Back to two owners for the next round.
      await t.db.execute(sql`UPDATE workspace_members SET role = 'owner' WHERE workspace_id = ${w.id}::uuid AND user_id IN (${owner}::uuid, ${admin}::uuid)`);
    }
  });

  it('through the API: an admin manages non-owners only; a member may leave; another workspace\'s admin touches nothing', async () => {
    const { w, owner, admin, editor } = await team();
    const newcomer = await createUser(t.db, { workspace: false });
    const added = await asApi(api, signedIn(admin), (tx) => addWorkspaceMember(tx, { workspaceId: w.id, userId: newcomer, role: 'analyst', invitedBy: admin }), { rollback: true });
    expect(added).toMatchObject({ role: 'analyst', invitedBy: admin });
    await expect(
      asApi(api, signedIn(admin), (tx) => addWorkspaceMember(tx, { workspaceId: w.id, userId: newcomer, role: 'owner' }), { rollback: true }),
    ).rejects.toThrow(/workspaceId: not allowed/);
    await expect(
      asApi(api, signedIn(admin), (tx) => setWorkspaceMemberRole(tx, { workspaceId: w.id, userId: owner, role: 'viewer' }), { rollback: true }),
    ).rejects.toThrow(/not one you may change/);
    await expect(
      asApi(api, signedIn(admin), (tx) => setWorkspaceMemberRole(tx, { workspaceId: w.id, userId: editor, role: 'owner' }), { rollback: true }),
    ).rejects.toThrow(/workspaceId: not allowed|not one you may change/);
    await expect(
      asApi(api, signedIn(editor), (tx) => removeWorkspaceMember(tx, { workspaceId: w.id, userId: admin }), { rollback: true }),
    ).rejects.toThrow(/not one you may remove/);
    const left = await asApi(api, signedIn(editor), (tx) => removeWorkspaceMember(tx, { workspaceId: w.id, userId: editor }), { rollback: true });
    expect(left).toMatchObject({ userId: editor });
    const outsider = await createUser(t.db);
    const [outsiderWs] = await listWorkspaces(t.db, outsider);
    await addWorkspaceMember(t.db, { workspaceId: outsiderWs!.id, userId: admin, role: 'viewer' });
    await expect(
      asApi(api, signedIn(outsider), (tx) => removeWorkspaceMember(tx, { workspaceId: w.id, userId: editor }), { rollback: true }),
    ).rejects.toThrow(/not one you may remove/);
    // The outsider sees the workspaces they belong to, not this one's members.
    const seen = await asApi(api, signedIn(outsider), (tx) => queryRows<{ n: number }>(tx, sql`SELECT count(*)::int AS n FROM workspace_members WHERE workspace_id = ${w.id}::uuid`), { rollback: true });
    expect(seen[0]!.n).toBe(0);
  });
});

describe('deleting a user', () => {
  it('keeps the brand\'s accounts, templates and posts they made, with no author', async () => {
    const owner = await createUser(t.db);
    const [w] = await listWorkspaces(t.db, owner);
    const editor = await createUser(t.db, { workspace: false });
    await addWorkspaceMember(t.db, { workspaceId: w!.id, userId: editor, role: 'admin' });
    const account = await createAccount(t.db, editor, 'instagram', w!.id);
    const post = await createPost(t.db, { userId: editor, accountId: account });
    await t.db.execute(sql`DELETE FROM auth.users WHERE id = ${editor}::uuid`);
    const rows = await queryRows<{ id: string; user_id: string | null; workspace_id: string }>(
      t.db,
      sql`SELECT id::text, user_id::text, workspace_id::text FROM social_accounts WHERE id = ${account}::uuid
          UNION ALL SELECT id::text, user_id::text, workspace_id::text FROM social_posts WHERE id = ${post}::uuid`,
    );
    expect(rows).toEqual([
      { id: account, user_id: null, workspace_id: w!.id },
      { id: post, user_id: null, workspace_id: w!.id },
    ]);
    expect((await listWorkspaces(t.db, owner))[0]).toMatchObject({ memberCount: 1 });
  });
});

describe('rows derived from a post', () => {
  it('take the post\'s workspace when an insert leaves it out, and an unknown post is refused by name', async () => {
    const owner = await createUser(t.db);
    const post = await createPost(t.db, { userId: owner });
    const [row] = await queryRows<{ ws: string; want: string }>(
      t.db,
      sql`WITH e AS (INSERT INTO engagement_events (post_id, event_timestamp, event_key, event_type)
                     VALUES (${post}::uuid, '2026-11-02T10:00:00Z', 7, 'like') RETURNING workspace_id)
          SELECT (SELECT workspace_id::text FROM e) AS ws, (SELECT workspace_id::text FROM social_posts WHERE id = ${post}::uuid) AS want`,
    );
    expect(row!.ws).toBe(row!.want);
    const missing = randomUUID();
    expect(
      await pgError(t.db.execute(sql`INSERT INTO engagement_events (post_id, event_timestamp, event_key, event_type)
                                    VALUES (${missing}::uuid, '2026-11-02T10:00:00Z', 8, 'like')`)),
    ).toMatchObject({ code: '23503', column_name: 'post_id', message: `post_id: no post ${missing}` });
  });
});

describe('deleting a workspace', () => {
  it('is an owner\'s; it takes its members, accounts, posts and their analytics with it, and nothing of another workspace', async () => {
    const owner = await createUser(t.db);
    const other = await createUser(t.db);
    const [w] = await listWorkspaces(t.db, owner);
    const admin = await createUser(t.db, { workspace: false });
    await addWorkspaceMember(t.db, { workspaceId: w!.id, userId: admin, role: 'admin' });
    const account = await createAccount(t.db, owner);
    const post = await createPost(t.db, { userId: owner, accountId: account });
    const otherPost = await createPost(t.db, { userId: other });
    await t.db.execute(sql`INSERT INTO post_analytics (post_id, analysis_date, likes_count) VALUES (${post}::uuid, '2026-11-02', 3), (${otherPost}::uuid, '2026-11-02', 4)`);

    const byAdmin = await asApi(api, signedIn(admin), (tx) => queryRows<{ id: string }>(tx, sql`DELETE FROM workspaces WHERE id = ${w!.id}::uuid RETURNING id`), { rollback: true });
    expect(byAdmin).toEqual([]);
    const byOwner = await asApi(api, signedIn(owner), (tx) => queryRows<{ id: string }>(tx, sql`DELETE FROM workspaces WHERE id = ${w!.id}::uuid RETURNING id::text`));
    expect(byOwner).toEqual([{ id: w!.id }]);
    const [left] = await queryRows<{ members: number; posts: number; accounts: number; analytics: number; other: number }>(
      t.db,
      sql`SELECT (SELECT count(*) FROM workspace_members WHERE workspace_id = ${w!.id}::uuid)::int AS members,
                 (SELECT count(*) FROM social_posts WHERE workspace_id = ${w!.id}::uuid)::int AS posts,
                 (SELECT count(*) FROM social_accounts WHERE workspace_id = ${w!.id}::uuid)::int AS accounts,
                 (SELECT count(*) FROM post_analytics WHERE workspace_id = ${w!.id}::uuid)::int AS analytics,
                 (SELECT count(*) FROM post_analytics WHERE post_id = ${otherPost}::uuid)::int AS other`,
    );
    expect(left).toEqual({ members: 0, posts: 0, accounts: 0, analytics: 0, other: 1 });
    // Its former owner is now an ordinary user, who can be deleted.
    await t.db.execute(sql`DELETE FROM auth.users WHERE id = ${owner}::uuid`);
  });
});
