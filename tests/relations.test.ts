import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { accountFollowerHistory, contentTemplates, socialAccounts, socialPlatforms, socialPosts } from '../src/schema/index.js';
import { useTestDb } from './support/db.js';
import { createUser, workspaceOf } from './support/fixtures.js';

// The relations live in src/schema/relations.ts, apart from their tables: db.query.* must still see
// every one of them through the schema object createDb passes to Drizzle.

const t = useTestDb();
let userId: string;
let workspaceId: string;
let postId: string;
let accountId: string;
let templateId: string;

beforeAll(async () => {
  userId = await createUser(t.db, { email: 'relations@jmefit.test' });
  workspaceId = await workspaceOf(t.db, userId);
  const [instagram] = await t.db.select().from(socialPlatforms).where(eq(socialPlatforms.name, 'instagram'));
  const [account] = await t.db
    .insert(socialAccounts)
    .values({ workspaceId, userId, platformId: instagram!.id, handle: 'jmefit', platformAccountId: 'relations-1' })
    .returning();
  accountId = account!.id;
  await t.db.insert(accountFollowerHistory).values({ accountId, recordedOn: '2026-11-20', followerCount: 1200 });
  const [template] = await t.db.insert(contentTemplates).values({ workspaceId, userId, name: 'leg day', platformId: instagram!.id }).returning();
  templateId = template!.id;
  const [post] = await t.db
    .insert(socialPosts)
    .values({ workspaceId, userId, platformId: instagram!.id, accountId, templateId, mediaType: 'image' })
    .returning();
  postId = post!.id;
});

describe('Drizzle relations (db.query)', () => {
  it('a post reaches its platform, account and template', async () => {
    const post = await t.db.query.socialPosts.findFirst({
      where: eq(socialPosts.id, postId),
      with: { platform: true, account: true, template: true },
    });
    expect(post?.platform.name).toBe('instagram');
    expect(post?.account?.id).toBe(accountId);
    expect(post?.template?.id).toBe(templateId);
  });

  it('an account and a template reach their posts, and the account its follower history', async () => {
    const account = await t.db.query.socialAccounts.findFirst({
      where: eq(socialAccounts.id, accountId),
      with: { posts: true, followerHistory: true, platform: true },
    });
    expect(account?.posts.map((p) => p.id)).toEqual([postId]);
    expect(account?.followerHistory.map((h) => h.followerCount)).toEqual([1200]);
    expect(account?.platform.name).toBe('instagram');
    const template = await t.db.query.contentTemplates.findFirst({
      where: eq(contentTemplates.id, templateId),
      with: { posts: { columns: { id: true } }, platform: true },
    });
    expect(template?.posts).toEqual([{ id: postId }]);
  });

  it('a post, an account and a template reach their workspace, and a workspace its rows and members', async () => {
    const post = await t.db.query.socialPosts.findFirst({ where: eq(socialPosts.id, postId), with: { workspace: true } });
    expect(post?.workspace.id).toBe(workspaceId);
    const account = await t.db.query.socialAccounts.findFirst({ where: eq(socialAccounts.id, accountId), with: { workspace: true } });
    expect(account?.workspace.id).toBe(workspaceId);
    const workspace = await t.db.query.workspaces.findFirst({
      where: (w, { eq: equals }) => equals(w.id, workspaceId),
      with: { posts: { columns: { id: true } }, accounts: { columns: { id: true } }, templates: { columns: { id: true } }, members: true },
    });
    expect(workspace?.posts).toEqual([{ id: postId }]);
    expect(workspace?.accounts).toEqual([{ id: accountId }]);
    expect(workspace?.templates).toEqual([{ id: templateId }]);
    expect(workspace?.members.map((m) => [m.userId, m.role])).toEqual([[userId, 'owner']]);
  });
});
