import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { accountFollowerHistory, contentTemplates, socialAccounts, socialPlatforms, socialPosts } from '../src/schema/index.js';
import { useTestDb } from './support/db.js';

// The relations live in src/schema/relations.ts, apart from their tables: db.query.* must still see
// every one of them through the schema object createDb passes to Drizzle.

const t = useTestDb();
const userId = randomUUID();
let postId: string;
let accountId: string;
let templateId: string;

beforeAll(async () => {
  await t.db.execute(sql`insert into auth.users (id, email) values (${userId}, 'relations@jmefit.test')`);
  const [instagram] = await t.db.select().from(socialPlatforms).where(eq(socialPlatforms.name, 'instagram'));
  const [account] = await t.db
    .insert(socialAccounts)
    .values({ userId, platformId: instagram!.id, handle: 'jmefit', platformAccountId: 'relations-1' })
    .returning();
  accountId = account!.id;
  await t.db.insert(accountFollowerHistory).values({ accountId, recordedOn: '2026-11-20', followerCount: 1200 });
  const [template] = await t.db.insert(contentTemplates).values({ userId, name: 'leg day', platformId: instagram!.id }).returning();
  templateId = template!.id;
  const [post] = await t.db
    .insert(socialPosts)
    .values({ userId, platformId: instagram!.id, accountId, templateId, mediaType: 'image' })
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
});
