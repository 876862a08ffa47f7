import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../../db.js';
import { plainArrayLiteral, textArrayLiteral } from './array-literal.js';
import type { EngagementRejection } from './input.js';
import type { Batch, PostRef } from './validate.js';

/** Every post the batch names, in one query: by uuid, and by (platform, platform_post_id). */
async function resolvePosts(
  db: Db,
  b: Batch,
): Promise<{ byId: Map<string, PostRef>; byPlatform: Map<string, PostRef>; platforms: Set<string> }> {
  const ids = new Set<string>();
  const pairs = new Map<string, [string, string]>();
  const names = new Set<string>();
  for (const r of b.row) {
    const postId = r.postId as string | undefined;
    const platform = r.platform as string | undefined;
    const platformPostId = r.platformPostId as string | undefined;
    // PostgreSQL reads uuids in either case; the lookup below tries the text as given first.
    if (postId !== undefined) ids.add(postId);
    if (platform !== undefined) names.add(platform);
    if (platformPostId !== undefined && platform !== undefined) {
      const k = `${platform}\u0000${platformPostId}`;
      if (!pairs.has(k)) pairs.set(k, [platform, platformPostId]);
    }
  }
  const byId = new Map<string, PostRef>();
  const byPlatform = new Map<string, PostRef>();
  const platforms = new Set<string>();
  if (ids.size === 0 && pairs.size === 0) return { byId, byPlatform, platforms };
  const pairList = [...pairs.values()];
  const rows = await queryRows<{
    via: string;
    platform: string;
    platform_post_id: string | null;
    post_id: string | null;
    workspace_id: string | null;
  }>(
    db,
    sql`
      SELECT 'id' AS via, pl.name AS platform, NULL::text AS platform_post_id, p.id::text AS post_id,
             p.workspace_id::text AS workspace_id
      -- A join, not \`p.id = ANY(text::uuid[])\`: that cast is not folded, so the array would be
      -- parsed again for every row scanned (2.5 s a call with 2,000 posts).
      FROM unnest(${plainArrayLiteral([...ids])}::text::uuid[]) AS want(id)
      JOIN social_posts p ON p.id = want.id
      JOIN social_platforms pl ON pl.id = p.platform_id
      UNION ALL
      SELECT 'pair', r.platform, r.platform_post_id, p.id::text, p.workspace_id::text
      FROM unnest(${textArrayLiteral(pairList.map((x) => x[0]))}::text::text[], ${textArrayLiteral(pairList.map((x) => x[1]))}::text::text[])
        AS r(platform, platform_post_id)
      JOIN social_platforms pl ON pl.name = r.platform
      JOIN social_posts p ON p.platform_id = pl.id AND p.platform_post_id = r.platform_post_id
      UNION ALL
      SELECT 'platform', pl.name, NULL, NULL, NULL FROM social_platforms pl
      WHERE pl.name = ANY(${textArrayLiteral([...names])}::text::text[])`,
  );
  for (const r of rows) {
    const ref = { postId: r.post_id!, platform: r.platform, workspaceId: r.workspace_id! };
    if (r.via === 'id') byId.set(r.post_id!, ref);
    else if (r.via === 'pair') byPlatform.set(`${r.platform}\u0000${r.platform_post_id}`, ref);
    else platforms.add(r.platform);
  }
  return { byId, byPlatform, platforms };
}

/**
 * Resolves the posts of a batch (there is no foreign key to check them for us): fills `valid.post` and
 * returns the positions of the rows whose post exists; the others are added to `rejected`.
 */
export async function resolveSegment(db: Db, valid: Batch, rejected: EngagementRejection[]): Promise<number[]> {
  const { byId, byPlatform, platforms } = await resolvePosts(db, valid);
  const keep: number[] = [];
  let lastRef = '';
  let lastPost: PostRef | undefined;
  for (let j = 0; j < valid.row.length; j++) {
    const r = valid.row[j]!;
    const index = valid.index[j]!;
    const postId = r.postId as string | undefined;
    const platform = r.platform as string | undefined;
    let post: PostRef | undefined;
    if (postId !== undefined) {
      post = byId.get(postId) ?? byId.get(postId.toLowerCase());
      if (!post) {
        rejected.push({ index, field: 'postId', error: `no post with id ${postId}` });
        continue;
      }
      if (platform !== undefined && platform !== post.platform) {
        rejected.push({ index, field: 'platform', error: `post ${postId} is on ${post.platform}, not ${platform}` });
        continue;
      }
    } else {
      const ref = `${platform}\u0000${r.platformPostId as string}`;
      // Batches come grouped by post more often than not: skip the map when the post repeats.
      post = ref === lastRef ? lastPost : byPlatform.get(ref);
      lastRef = ref;
      lastPost = post;
      if (!post) {
        if (!platforms.has(platform!)) rejected.push({ index, field: 'platform', error: `unknown platform '${platform}'` });
        else rejected.push({ index, field: 'platformPostId', error: `no ${platform} post with platform_post_id '${r.platformPostId as string}'` });
        continue;
      }
    }
    valid.post[j] = post;
    keep.push(j);
  }
  return keep;
}
