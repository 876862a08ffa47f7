import { eq, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../src/db.js';
import { refreshPostAnalytics } from '../src/queries/analytics.js';
import { recordEngagementEvents } from '../src/queries/engagement/index.js';
import { recordTopicMentions } from '../src/queries/trends.js';
import {
  contentTemplates,
  engagementEvents,
  insertConversionSchema,
  insertPostSchema,
  insertWorkspaceSchema,
  postAnalytics,
  socialAccounts,
  socialConversions,
  socialPlatforms,
  socialPosts,
  trendingTopics,
  workspaces,
} from '../src/schema/index.js';
import { useTestDb } from './support/db.js';
import { pgError } from './support/errors.js';
import { createAccount, createUser, workspaceOf } from './support/fixtures.js';

const t = useTestDb();
let userId: string;
/** userId's workspace: every brand row of these tests is in it unless a test says otherwise. */
let workspaceId: string;
const platform: Record<string, number> = {};

beforeAll(async () => {
  userId = await createUser(t.db, { email: 'coach@jmefit.test' });
  workspaceId = await workspaceOf(t.db, userId);
  for (const p of await t.db.select().from(socialPlatforms)) platform[p.name] = p.id;
});

const post = (over: Partial<typeof socialPosts.$inferInsert> = {}) =>
  t.db
    .insert(socialPosts)
    .values({ workspaceId, userId, platformId: platform.instagram!, mediaType: 'image', ...over })
    .returning();

describe('social_platforms', () => {
  it('is seeded with instagram, tiktok and youtube and their limits', async () => {
    const rows = await t.db.select().from(socialPlatforms).orderBy(socialPlatforms.name);
    expect(rows.map((r) => [r.name, r.maxCaptionLength, r.maxHashtags])).toEqual([
      ['instagram', 2200, 30],
      ['tiktok', 4000, null],
      ['youtube', 5000, 60],
    ]);
  });
});

describe('social_posts rules', () => {
  it('accepts a draft and strips # from hashtags', async () => {
    const [row] = await post({ hashtags: ['#legday', '##gains', ' fitness '] });
    expect(row!.hashtags).toEqual(['legday', 'gains', 'fitness']);
    expect(row!.status).toBe('draft');
  });

  it('refuses an unknown status, media type, category, audience or goal', async () => {
    expect((await pgError(post({ status: 'viral' }))).constraint_name).toBe('social_posts_status_valid');
    const media = await pgError(post({ mediaType: 'hologram' }));
    expect(media.code).toBe('23514');
    expect(media.message).toMatch(/hologram/);
    expect((await pgError(post({ contentCategory: 'gossip' }))).constraint_name).toBe('social_posts_content_category_valid');
    expect((await pgError(post({ targetAudience: 'robots' }))).constraint_name).toBe('social_posts_target_audience_valid');
    expect((await pgError(post({ contentGoals: ['engagement', 'fame'] }))).constraint_name).toBe(
      'social_posts_content_goals_valid',
    );
  });

  it('a published post needs published_at, a scheduled one scheduled_at', async () => {
    expect((await pgError(post({ status: 'published' }))).constraint_name).toBe('social_posts_published_has_published_at');
    expect((await pgError(post({ status: 'scheduled' }))).constraint_name).toBe('social_posts_scheduled_has_scheduled_at');
    const [ok] = await post({ status: 'published', publishedAt: new Date() });
    expect(ok!.status).toBe('published');
    const [draft] = await post();
    const err = await pgError(t.db.update(socialPosts).set({ status: 'published' }).where(eq(socialPosts.id, draft!.id)));
    expect(err.constraint_name).toBe('social_posts_published_has_published_at');
  });

  it('caption length and hashtag count stay within the platform limits, named in the error', async () => {
    const long = await pgError(post({ caption: 'x'.repeat(2201) }));
    expect(long.code).toBe('23514');
    expect(long.column_name).toBe('caption');
    expect(long.message).toMatch(/caption: 2201 characters, over the instagram limit of 2200/);
    await post({ caption: 'x'.repeat(2200) });
    // TikTok allows 4,000 characters and has no hashtag count limit of its own.
    await post({ platformId: platform.tiktok!, mediaType: 'video', caption: 'x'.repeat(4000), hashtags: Array.from({ length: 40 }, (_, i) => `t${i}`) });

    const tags = await pgError(post({ hashtags: Array.from({ length: 31 }, (_, i) => `tag${i}`) }));
    expect(tags.column_name).toBe('hashtags');
    expect(tags.message).toMatch(/31 hashtags, over the instagram limit of 30/);
  });

  it('an update cannot bypass the limits either', async () => {
    const [row] = await post({ caption: 'short' });
    const err = await pgError(t.db.update(socialPosts).set({ caption: 'y'.repeat(3000) }).where(eq(socialPosts.id, row!.id)));
    expect(err.column_name).toBe('caption');
  });

  it('hashtags with spaces or inner # are refused', async () => {
    expect((await pgError(post({ hashtags: ['leg day'] }))).constraint_name).toBe('social_posts_hashtags_format');
    expect((await pgError(post({ hashtags: ['leg#day'] }))).constraint_name).toBe('social_posts_hashtags_format');
    expect((await pgError(post({ hashtags: ['#'] }))).constraint_name).toBe('social_posts_hashtags_format');
  });

  it('the media type must be one the platform supports', async () => {
    const err = await pgError(post({ platformId: platform.youtube!, mediaType: 'story' }));
    expect(err.column_name).toBe('media_type');
    expect(err.message).toMatch(/youtube does not support story/);
  });

  it('updated_at changes on every update', async () => {
    const [row] = await post({ caption: 'v1' });
    await new Promise((r) => setTimeout(r, 20));
    const [after] = await t.db.update(socialPosts).set({ caption: 'v2' }).where(eq(socialPosts.id, row!.id)).returning();
    expect(after!.updatedAt.getTime()).toBeGreaterThan(row!.updatedAt.getTime());
    expect(after!.createdAt.getTime()).toBe(row!.createdAt.getTime());
  });

  it('the zod schema agrees with the database', () => {
    const base = { userId, platformId: 1, mediaType: 'image' };
    expect(insertPostSchema.safeParse({ ...base, status: 'viral' }).success).toBe(false);
    const noDate = insertPostSchema.safeParse({ ...base, status: 'published' });
    expect(noDate.success).toBe(false);
    expect(noDate.error!.issues[0]!.path).toEqual(['publishedAt']);
    const ok = insertPostSchema.parse({ ...base, hashtags: ['#legday'] });
    expect(ok.hashtags).toEqual(['legday']);
    expect(insertPostSchema.safeParse({ ...base, hashtags: ['leg day'] }).success).toBe(false);
  });
});

describe('social_accounts', () => {
  it('is unique per platform and platform account id; followers are never negative', async () => {
    const values = { workspaceId, userId, platformId: platform.instagram!, handle: 'jmefit', platformAccountId: '17841400000000001' };
    await t.db.insert(socialAccounts).values(values);
    expect((await pgError(t.db.insert(socialAccounts).values(values))).constraint_name).toBe('social_accounts_platform_account_key');
    await t.db.insert(socialAccounts).values({ ...values, platformId: platform.tiktok! });
    const neg = await pgError(t.db.insert(socialAccounts).values({ ...values, platformAccountId: 'x', followerCount: -1 }));
    expect(neg.constraint_name).toBe('social_accounts_follower_count_nonnegative');
  });
});

describe('engagement_events', () => {
  let postId: string;
  beforeAll(async () => {
    const [p] = await post({ status: 'published', publishedAt: new Date() });
    postId = p!.id;
  });

  const event = (over: Partial<typeof engagementEvents.$inferInsert> = {}) =>
    t.db
      .insert(engagementEvents)
      .values({ postId, eventTimestamp: new Date(), eventKey: 1n, eventType: 'like', ...over })
      .onConflictDoNothing()
      .returning();

  it('has a partition for the current month and three ahead, and a DEFAULT one', async () => {
    const rows = await queryRows<{ name: string }>(
      t.db,
      sql`select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = 'engagement_events'::regclass`,
    );
    const names = rows.map((r) => r.name);
    const now = new Date();
    for (let k = 0; k <= 3; k++) {
      const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + k, 1));
      expect(names).toContain(`engagement_events_y${d.getUTCFullYear()}m${String(d.getUTCMonth() + 1).padStart(2, '0')}`);
    }
    expect(names).toContain('engagement_events_default');
  });

  it('stores a duplicate event once', async () => {
    const at = new Date('2026-11-10T10:00:00Z');
    expect(await event({ eventTimestamp: at, eventKey: 42n })).toHaveLength(1);
    expect(await event({ eventTimestamp: at, eventKey: 42n })).toHaveLength(0);
    const rows = await t.db.select().from(engagementEvents).where(eq(engagementEvents.eventKey, 42n));
    expect(rows).toHaveLength(1);
  });

  it('keeps events dated 1999 and two years ahead (in the DEFAULT partition)', async () => {
    const future = new Date();
    future.setUTCFullYear(future.getUTCFullYear() + 2);
    await event({ eventTimestamp: new Date('1999-06-15T12:00:00Z'), eventKey: 1999n });
    await event({ eventTimestamp: future, eventKey: 2099n });
    const rows = await queryRows<{ event_key: string; part: string }>(
      t.db,
      sql`select event_key::text, tableoid::regclass::text as part from engagement_events where event_key in (1999, 2099) order by event_key`,
    );
    expect(rows).toEqual([
      { event_key: '1999', part: 'engagement_events_default' },
      { event_key: '2099', part: 'engagement_events_default' },
    ]);
  });

  it('refuses unknown event types and absurd values', async () => {
    expect((await pgError(event({ eventType: 'poke', eventKey: 5n }))).constraint_name).toBe('engagement_events_event_type_valid');
    expect((await pgError(event({ eventValue: -1, eventKey: 6n }))).constraint_name).toBe('engagement_events_event_value_range');
    expect((await pgError(event({ eventValue: 10_000_000, eventKey: 7n }))).constraint_name).toBe('engagement_events_event_value_range');
    expect((await pgError(event({ countryCode: 'us', eventKey: 8n }))).constraint_name).toBe(
      'engagement_events_country_code_format',
    );
    expect((await pgError(event({ ageRange: '99-100', eventKey: 9n }))).constraint_name).toBe('engagement_events_age_range_valid');
  });

  it('engagement_event_key() is deterministic and spreads keys', async () => {
    const rows = await queryRows<{ a: string; b: string; c: string }>(
      t.db,
      sql`select engagement_event_key('instagram:1')::text a, engagement_event_key('instagram:1')::text b, engagement_event_key('instagram:2')::text c`,
    );
    expect(rows[0]!.a).toBe(rows[0]!.b);
    expect(rows[0]!.a).not.toBe(rows[0]!.c);
  });
});

describe('post_analytics, trending_topics, templates, conversions', () => {
  let postId: string;
  beforeAll(async () => {
    const [p] = await post({ status: 'published', publishedAt: new Date() });
    postId = p!.id;
  });

  it('one analytics row per post per day; scores 0-100; rates never negative', async () => {
    await t.db.insert(postAnalytics).values({ postId, analysisDate: '2026-11-20', likesCount: 3 });
    expect((await pgError(t.db.insert(postAnalytics).values({ postId, analysisDate: '2026-11-20' }))).constraint_name).toBe(
      'post_analytics_pkey',
    );
    expect((await pgError(t.db.insert(postAnalytics).values({ postId, analysisDate: '2026-11-21', viralityScore: 101 }))).constraint_name).toBe(
      'post_analytics_virality_score_range',
    );
    expect((await pgError(t.db.insert(postAnalytics).values({ postId, analysisDate: '2026-11-22', engagementRate: -0.1 }))).constraint_name).toBe(
      'post_analytics_engagement_rate_nonnegative',
    );
    expect((await pgError(t.db.insert(postAnalytics).values({ postId, analysisDate: '2026-11-23', likesCount: -1 }))).constraint_name).toBe(
      'post_analytics_counts_nonnegative',
    );
    // A viral post on a small account: more than 9.9999 interactions per follower fits.
    await t.db.insert(postAnalytics).values({ postId, analysisDate: '2026-11-24', engagementRate: 12.5 });
  });

  it('a trending topic is unique per UTC day, whatever the session time zone', async () => {
    const topic = (name: string, at: string) =>
      t.db.insert(trendingTopics).values({ topicName: name, platformId: platform.tiktok!, firstDetectedAt: new Date(at) });
    await t.db.transaction(async (tx) => {
      await tx.execute(sql`set local time zone 'Pacific/Kiritimati'`); // UTC+14: both are the same local day
      await tx.insert(trendingTopics).values({ topicName: 'hyrox', platformId: platform.tiktok!, firstDetectedAt: new Date('2026-11-20T09:00:00Z') });
      await tx.insert(trendingTopics).values({ topicName: 'hyrox', platformId: platform.tiktok!, firstDetectedAt: new Date('2026-11-21T01:00:00Z') });
    });
    await t.db.transaction(async (tx) => {
      await tx.execute(sql`set local time zone 'Pacific/Honolulu'`); // UTC-10: different local days, same UTC day
      await tx.insert(trendingTopics).values({ topicName: 'zone2', platformId: platform.tiktok!, firstDetectedAt: new Date('2026-11-20T01:00:00Z') });
    });
    const dup = await pgError(topic('zone2', '2026-11-20T23:00:00Z'));
    expect(dup.constraint_name).toBe('trending_topics_scope_topic_platform_day_key');
    // The key is per scope: the same topic and day in a workspace is another trend.
    await t.db.insert(trendingTopics).values({ workspaceId, topicName: 'zone2', platformId: platform.tiktok!, firstDetectedAt: new Date('2026-11-20T23:00:00Z') });
  });

  it('growth above 999.99 % is stored; statuses and types are closed', async () => {
    const [row] = await t.db
      .insert(trendingTopics)
      .values({ topicName: 'cozycardio', platformId: platform.instagram!, growthRate: 123456.78 })
      .returning();
    expect(row!.growthRate).toBe(123456.78);
    expect((await pgError(t.db.insert(trendingTopics).values({ topicName: 'x', platformId: 1, trendStatus: 'hot' }))).constraint_name).toBe(
      'trending_topics_trend_status_valid',
    );
    expect((await pgError(t.db.insert(trendingTopics).values({ topicName: 'y', platformId: 1, topicType: 'emoji' }))).constraint_name).toBe(
      'trending_topics_topic_type_valid',
    );
  });

  it('template rates stay in range', async () => {
    const err = await pgError(t.db.insert(contentTemplates).values({ workspaceId, userId, name: 'Tip', successRate: 1.5 }));
    expect(err.constraint_name).toBe('content_templates_success_rate_range');
  });

  it('time_to_conversion is derived from the two timestamps and cannot be typed in', async () => {
    const [c] = await t.db
      .insert(socialConversions)
      .values({
        postId,
        conversionType: 'subscription',
        conversionValue: 49.99,
        firstInteractionAt: new Date('2026-11-01T10:00:00Z'),
        conversionAt: new Date('2026-11-03T12:30:00Z'),
      })
      .returning();
    expect(c!.timeToConversion).toBe('2 days 02:30:00');
    const typed = await pgError(
      t.db.execute(sql`insert into social_conversions (workspace_id, conversion_type, time_to_conversion) values (${workspaceId}, 'purchase', '1 hour')`),
    );
    expect(typed.message).toMatch(/time_to_conversion/);
    const backwards = await pgError(
      t.db.insert(socialConversions).values({
        workspaceId,
        conversionType: 'purchase',
        firstInteractionAt: new Date('2026-11-05T00:00:00Z'),
        conversionAt: new Date('2026-11-04T00:00:00Z'),
      }),
    );
    expect(backwards.constraint_name).toBe('social_conversions_interaction_before_conversion');
    expect(insertConversionSchema.safeParse({ conversionType: 'purchase', conversionValue: -5 }).success).toBe(false);
  });
});

describe('workspaces', () => {
  it('a slug is lower-case letters, digits and single hyphens, 2-63 characters, unique; a name is not blank', async () => {
    const ws = (name: string, slug: string) => t.db.insert(workspaces).values({ name, slug });
    await ws('Brand', 'brand-2026');
    expect((await pgError(ws('Again', 'brand-2026'))).constraint_name).toBe('workspaces_slug_key');
    for (const slug of ['Brand', 'brand_x', '-brand', 'brand-', 'bra--nd', 'b', 'ü-brand', 'brand x']) {
      expect((await pgError(ws('Brand', slug))).constraint_name, slug).toBe('workspaces_slug_format');
    }
    expect((await pgError(ws('Brand', 'b'.repeat(64)))).code).toBe('22001'); // varchar(63)
    expect((await pgError(ws('   ', 'blank-name'))).constraint_name).toBe('workspaces_name_not_blank');
    // The zod schema says the same, with the field and the reason.
    expect(insertWorkspaceSchema.safeParse({ name: 'Brand', slug: 'bra--nd' }).error!.issues.map((i) => i.path)).toEqual([['slug']]);
    expect(insertWorkspaceSchema.safeParse({ name: ' ', slug: 'ok-slug' }).error!.issues.map((i) => i.path)).toEqual([['name']]);
    expect(insertWorkspaceSchema.safeParse({ name: 'Brand', slug: 'ok-slug-2' }).success).toBe(true);
  });

  it("a post's account and template are in its workspace: a mix is refused on insert and on update", async () => {
    const other = await workspaceOf(t.db, await createUser(t.db));
    const theirAccount = await createAccount(t.db, userId, 'instagram', other);
    const [theirTemplate] = await t.db.insert(contentTemplates).values({ workspaceId: other, userId, name: 'Theirs' }).returning();
    const account = await pgError(post({ accountId: theirAccount }));
    expect(account).toMatchObject({ code: '23503', column_name: 'account_id' });
    expect(account.message).toBe(`social_posts.account_id: account ${theirAccount} is not in workspace ${workspaceId}`);
    const template = await pgError(post({ templateId: theirTemplate!.id }));
    expect(template).toMatchObject({ code: '23503', column_name: 'template_id' });
    expect(template.message).toBe(`social_posts.template_id: template ${theirTemplate!.id} is not in workspace ${workspaceId}`);

    const [mine] = await post();
    const byId = eq(socialPosts.id, mine!.id);
    expect(await pgError(t.db.update(socialPosts).set({ accountId: theirAccount }).where(byId))).toMatchObject({ code: '23503', column_name: 'account_id' });
    expect(await pgError(t.db.update(socialPosts).set({ templateId: theirTemplate!.id }).where(byId))).toMatchObject({
      code: '23503',
      column_name: 'template_id',
    });
    // Their own account and template are fine.
    const ownAccount = await createAccount(t.db, userId, 'instagram', workspaceId);
    const [ownTemplate] = await t.db.insert(contentTemplates).values({ workspaceId, userId, name: 'Ours' }).returning();
    await t.db.update(socialPosts).set({ accountId: ownAccount, templateId: ownTemplate!.id }).where(byId);
  });

  it("no post, account or template moves to another workspace, nor does a post's workspace change with its account", async () => {
    const other = await workspaceOf(t.db, await createUser(t.db));
    const accountId = await createAccount(t.db, userId, 'tiktok', workspaceId);
    const [template] = await t.db.insert(contentTemplates).values({ workspaceId, userId, name: 'Stays' }).returning();
    const [p] = await post({ accountId });
    for (const [table, id] of [
      ['social_posts', p!.id],
      ['social_accounts', accountId],
      ['content_templates', template!.id],
    ] as const) {
      const err = await pgError(t.db.execute(sql`UPDATE ${sql.identifier(table)} SET workspace_id = ${other}::uuid WHERE id = ${id}::uuid`));
      expect(err, table).toMatchObject({ code: '23514', column_name: 'workspace_id' });
      expect(err.message, table).toMatch(new RegExp(`^${table}\\.workspace_id: a (post|row) cannot move to another workspace`));
    }
    const [still] = await t.db.select({ ws: socialPosts.workspaceId }).from(socialPosts).where(eq(socialPosts.id, p!.id));
    expect(still!.ws).toBe(workspaceId);
  });

  it('a post inserted without workspace_id takes its account\'s (else its template\'s); with neither it is refused by name', async () => {
    const other = await workspaceOf(t.db, await createUser(t.db));
    const accountId = await createAccount(t.db, userId, 'instagram', other);
    const [template] = await t.db.insert(contentTemplates).values({ workspaceId: other, userId, name: 'From template' }).returning();
    const bare = (over: Partial<typeof socialPosts.$inferInsert>) =>
      t.db.insert(socialPosts).values({ userId, platformId: platform.instagram!, mediaType: 'image', ...over }).returning();
    expect((await bare({ accountId }))[0]!.workspaceId).toBe(other);
    expect((await bare({ templateId: template!.id }))[0]!.workspaceId).toBe(other);
    const none = await pgError(bare({}));
    expect(none).toMatchObject({ code: '23502', column_name: 'workspace_id' });
    expect(none.message).toBe('social_posts.workspace_id: required (no account or template to take it from)');
  });

  it("derived rows are their post's workspace's: events (TS, RPC, plain insert), analytics, conversions, mentions", async () => {
    const owner = await createUser(t.db);
    const ws = await workspaceOf(t.db, owner);
    const published = new Date(Date.now() - 3 * 3_600_000);
    const [p] = await t.db
      .insert(socialPosts)
      .values({ workspaceId: ws, userId: owner, platformId: platform.instagram!, mediaType: 'image', status: 'published', publishedAt: published, platformPostId: 'ws-derived', hashtags: ['derivedtag'] })
      .returning();
    const postId = p!.id;
    const at = new Date(Date.now() - 3_600_000).toISOString();
    const ts = await recordEngagementEvents(t.db, [{ postId, eventType: 'like', eventTimestamp: at, platformEventId: 'ws-ts' }]);
    expect(ts.inserted).toBe(1);
    const rpc = JSON.stringify([
      { platform: 'instagram', platformPostId: 'ws-derived', eventType: 'comment', eventTimestamp: at, platformEventId: 'ws-rpc', eventMetadata: { text: '#DerivedComment' } },
    ]);
    await t.db.execute(sql`SELECT record_engagement_events(${rpc}::json)`);
    await t.db.execute(sql`INSERT INTO engagement_events (post_id, event_timestamp, event_key, event_type) VALUES (${postId}::uuid, ${at}::timestamptz, 77, 'save')`);
    await refreshPostAnalytics(t.db);
    await t.db.insert(socialConversions).values({ postId, conversionType: 'purchase', conversionValue: 10, conversionAt: new Date() });
    await recordTopicMentions(t.db, [{ topic: 'derivedfeed', platformId: platform.instagram!, mentionedAt: new Date(at), sourceRef: 'ws-feed', postId }]);
    await t.db.execute(sql`SELECT record_comment_hashtags()`);

    const rows = await queryRows<{ tbl: string; n: number; ws: string[] }>(
      t.db,
      sql`SELECT tbl, count(*)::int AS n, array_agg(DISTINCT coalesce(ws::text, 'NULL')) AS ws FROM (
            SELECT 'engagement_events' AS tbl, workspace_id AS ws FROM engagement_events WHERE post_id = ${postId}::uuid
            UNION ALL SELECT 'post_analytics', workspace_id FROM post_analytics WHERE post_id = ${postId}::uuid
            UNION ALL SELECT 'post_latest_analytics', workspace_id FROM post_latest_analytics WHERE post_id = ${postId}::uuid
            UNION ALL SELECT 'social_conversions', workspace_id FROM social_conversions WHERE post_id = ${postId}::uuid
            UNION ALL SELECT 'post_conversion_totals', workspace_id FROM post_conversion_totals WHERE post_id = ${postId}::uuid
            UNION ALL SELECT 'topic_mentions:' || source, workspace_id FROM topic_mentions WHERE post_id = ${postId}::uuid
          ) x GROUP BY tbl ORDER BY tbl`,
    );
    expect(rows).toEqual([
      { tbl: 'engagement_events', n: 3, ws: [ws] },
      { tbl: 'post_analytics', n: 1, ws: [ws] },
      { tbl: 'post_conversion_totals', n: 1, ws: [ws] },
      { tbl: 'post_latest_analytics', n: 1, ws: [ws] },
      { tbl: 'social_conversions', n: 1, ws: [ws] },
      { tbl: 'topic_mentions:comment', n: 1, ws: [ws] },
      { tbl: 'topic_mentions:external', n: 1, ws: [ws] },
      { tbl: 'topic_mentions:own_post', n: 1, ws: [ws] },
    ]);
  });
});
