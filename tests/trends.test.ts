import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { close, createEmbeddedDb, queryRows, type Db } from '../src/db.js';
import { migrate } from '../src/migrate.js';
import {
  detectTrendingTopics,
  getTrendingTopics,
  pruneTopicMentions,
  recordTopicMentions,
} from '../src/queries/trends.js';
import { normalizeTopicName } from '../src/schema/trends.js';
import { recordEngagementEvents } from '../src/queries/engagement/index.js';
import { asApi, authenticatorDb, close as closeApi, signedIn } from './support/api.js';
import { useTestDb } from './support/db.js';
import { pgError } from './support/errors.js';
import { createUser, platformId, workspaceOf } from './support/fixtures.js';

const t = useTestDb();

const HOUR = 3_600_000;
/** Hour-aligned, four days ago: every generated mention is in the past, as validation requires. */
const T = new Date(Math.floor(Date.now() / HOUR) * HOUR - 96 * HOUR);
const at = (hours: number) => new Date(T.getTime() + hours * HOUR);
const NIL = '00000000-0000-0000-0000-000000000000';

async function newPost(
  db: Db,
  p: { userId: string; platformId: number; hashtags: string[]; status?: string; publishedAt?: Date | null },
): Promise<string> {
  const [row] = await queryRows<{ id: string }>(
    db,
    sql`INSERT INTO social_posts (workspace_id, user_id, platform_id, media_type, hashtags, status, published_at)
        VALUES (${await workspaceOf(db, p.userId)}::uuid, ${p.userId}::uuid, ${p.platformId}, 'video',
                ARRAY(SELECT jsonb_array_elements_text(${JSON.stringify(p.hashtags)}::jsonb)), ${p.status ?? 'draft'},
                ${p.publishedAt ? p.publishedAt.toISOString() : null}::timestamptz)
        RETURNING id`,
  );
  return row!.id;
}

interface MentionRow extends Record<string, unknown> {
  topic_name: string;
  source: string;
  mentioned_at: Date;
  post_id: string | null;
}

async function mentionsOfPost(db: Db, postId: string): Promise<MentionRow[]> {
  return queryRows<MentionRow>(
    db,
    sql`SELECT topic_name, source, mentioned_at, post_id FROM topic_mentions WHERE post_id = ${postId}::uuid ORDER BY source, topic_name`,
  );
}

/** The daily rollup must equal the raw mentions, scope by scope: running hourly totals, type counts, engagement. */
async function rollupMismatches(db: Db): Promise<number> {
  // coalesce, not IS NOT DISTINCT FROM: a FULL JOIN needs a hashable condition (NULL is the market).
  const same = (a: string, b: string) =>
    sql.raw(`${a}.day = ${b}.day AND ${a}.platform_id = ${b}.platform_id AND ${a}.topic_name = ${b}.topic_name
             AND coalesce(${a}.workspace_id, '${NIL}') = coalesce(${b}.workspace_id, '${NIL}')`);
  const [row] = await queryRows<{ n: number }>(
    db,
    sql`WITH raw AS (
          SELECT (mentioned_at AT TIME ZONE 'UTC')::date AS day, workspace_id, platform_id, topic_name,
                 extract(hour FROM mentioned_at AT TIME ZONE 'UTC')::int AS hr, count(*)::int AS n,
                 sum(engagement_weight)::bigint AS w, count(*) FILTER (WHERE topic_type = 'hashtag')::int AS h,
                 count(*) FILTER (WHERE topic_type = 'keyword')::int AS k, count(*) FILTER (WHERE topic_type = 'mention')::int AS m
          FROM topic_mentions GROUP BY 1, 2, 3, 4, 5),
        expected AS (
          SELECT g.day, g.workspace_id, g.platform_id, g.topic_name, sum(g.h)::int AS h, sum(g.k)::int AS k, sum(g.m)::int AS m,
                 (SELECT array_agg((SELECT coalesce(sum(r.n), 0) FROM raw r WHERE ${same('r', 'g')} AND r.hr <= i)::int
                                   ORDER BY i) FROM generate_series(0, 23) i) AS cm,
                 (SELECT array_agg((SELECT coalesce(sum(r.w), 0) FROM raw r WHERE ${same('r', 'g')} AND r.hr <= i)::bigint
                                   ORDER BY i) FROM generate_series(0, 23) i) AS ce
          FROM raw g GROUP BY 1, 2, 3, 4)
        SELECT count(*)::int AS n FROM expected e
        FULL JOIN topic_mention_daily d ON ${same('d', 'e')}
        WHERE e.day IS NULL OR d.day IS NULL
           OR (e.h, e.k, e.m, e.cm, e.ce) IS DISTINCT FROM (d.hashtag_count, d.keyword_count, d.at_mention_count, d.cum_mentions, d.cum_engagement)`,
  );
  return Number(row!.n);
}

describe('normalizeTopicName', () => {
  it('lower-cases, strips leading # and @ and collapses spaces, like the SQL function', async () => {
    const samples = ['#LegDay', '  ##Protein ', '@JMEFit', 'Leg   Day', '#', '   ', "It's'; DROP TABLE x; --", 'ÉTÉ'];
    for (const s of samples) {
      const [row] = await queryRows<{ n: string | null }>(t.db, sql`SELECT normalize_topic_name(${s}) AS n`);
      expect(normalizeTopicName(s)).toBe(row!.n);
    }
    expect(normalizeTopicName('#LegDay')).toBe('legday');
    expect(normalizeTopicName('@JMEFit')).toBe('jmefit');
    expect(normalizeTopicName('Leg   Day')).toBe('leg day');
    expect(normalizeTopicName('#')).toBeNull();
  });
});

describe('recordTopicMentions', () => {
  it('stores valid mentions normalised, rejects bad ones with field and reason, and keeps the good ones', async () => {
    const ig = await platformId(t.db, 'instagram');
    const userId = await createUser(t.db);
    const postId = await newPost(t.db, { userId, platformId: ig, hashtags: [] });
    const result = await recordTopicMentions(t.db, [
      { topic: '#RecordGood', platformId: ig, mentionedAt: at(1), sourceRef: 'feed-1' }, // 0 good
      { topic: '###', platformId: ig, mentionedAt: at(1), sourceRef: 'feed-2' }, // 1 empty
      { topic: 'recordgood', platformId: 999_999, mentionedAt: at(1), sourceRef: 'feed-3' }, // 2 platform
      { topic: 'recordgood', platformId: ig, mentionedAt: 'yesterday-ish', sourceRef: 'feed-4' }, // 3 date
      { topic: 'recordgood', platformId: ig, mentionedAt: at(1), sourceRef: 'feed-5', engagementWeight: -1 }, // 4
      { topic: 'recordgood', platformId: ig, mentionedAt: at(1), sourceRef: 'feed-6', source: 'comment' }, // 5 no post
      { topic: 'recordgood', platformId: ig, mentionedAt: at(1), sourceRef: 'feed-7', postId: randomUUID() }, // 6 unknown post
      { topic: 'x'.repeat(101), platformId: ig, mentionedAt: at(1), sourceRef: 'feed-8' }, // 7 too long
      { topic: 'recordgood', platformId: ig, mentionedAt: new Date(Date.now() + 3 * HOUR), sourceRef: 'feed-9' }, // 8 future
      { topic: 'RecordGood', platformId: ig, mentionedAt: at(2), sourceRef: 'feed-10', topicType: 'keyword', engagementWeight: 7 }, // 9 good
      { topic: 'recordgood', platformId: ig, mentionedAt: at(2), sourceRef: 'feed-11', extra: true } as never, // 10 unknown field
      { topic: '@RecordMention', platformId: ig, mentionedAt: at(3), sourceRef: postId, source: 'own_post', postId, topicType: 'mention' }, // 11 good
      { topic: '#recordgood', platformId: ig, mentionedAt: at(1), sourceRef: 'feed-1' }, // 12 same key as 0
    ]);
    expect(result.inserted).toBe(3);
    expect(result.duplicates).toBe(1);
    const byIndex = Object.fromEntries(result.rejected.map((r) => [r.index, r]));
    expect(Object.keys(byIndex).map(Number).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 10]);
    expect(byIndex[1]).toMatchObject({ field: 'topic', reason: expect.stringContaining('empty') });
    expect(byIndex[2]).toMatchObject({ field: 'platformId', reason: 'no platform with id 999999' });
    expect(byIndex[3]).toMatchObject({ field: 'mentionedAt' });
    expect(byIndex[4]).toMatchObject({ field: 'engagementWeight', reason: 'must not be negative' });
    expect(byIndex[5]).toMatchObject({ field: 'postId', reason: expect.stringContaining('needs the post') });
    expect(byIndex[6]).toMatchObject({ field: 'postId', reason: expect.stringContaining('no post with id') });
    expect(byIndex[7]).toMatchObject({ field: 'topic', reason: 'longer than 100 characters' });
    expect(byIndex[8]).toMatchObject({ field: 'mentionedAt', reason: 'more than an hour in the future' });
    expect(byIndex[10]).toMatchObject({ field: 'extra', reason: 'unknown field' });

    const rows = await queryRows<{ topic_name: string; topic_type: string; source: string; engagement_weight: number; ws: string | null }>(
      t.db,
      sql`SELECT topic_name, topic_type, source, engagement_weight, workspace_id::text AS ws FROM topic_mentions
          WHERE topic_name IN ('recordgood', 'recordmention') ORDER BY mentioned_at`,
    );
    // External mentions are the market's; the one of our post is its workspace's.
    expect(rows).toEqual([
      { topic_name: 'recordgood', topic_type: 'hashtag', source: 'external', engagement_weight: 1, ws: null },
      { topic_name: 'recordgood', topic_type: 'keyword', source: 'external', engagement_weight: 7, ws: null },
      { topic_name: 'recordmention', topic_type: 'mention', source: 'own_post', engagement_weight: 1, ws: await workspaceOf(t.db, userId) },
    ]);
  });

  it('is idempotent: the same batch again inserts nothing and reports duplicates', async () => {
    const tt = await platformId(t.db, 'tiktok');
    const batch = Array.from({ length: 50 }, (_, i) => ({
      topic: `#Replay${i % 5}`,
      platformId: tt,
      mentionedAt: at(-(i % 30)),
      sourceRef: `replay-${i}`,
    }));
    const first = await recordTopicMentions(t.db, batch);
    expect(first).toEqual({ inserted: 50, duplicates: 0, rejected: [] });
    const second = await recordTopicMentions(t.db, batch);
    expect(second).toEqual({ inserted: 0, duplicates: 50, rejected: [] });
    const [row] = await queryRows<{ n: number }>(t.db, sql`SELECT count(*)::int AS n FROM topic_mentions WHERE topic_name LIKE 'replay%'`);
    expect(row!.n).toBe(50);
  });

  it('keeps the daily rollup equal to the raw mentions through inserts, updates, deletes and pruning', async () => {
    const yt = await platformId(t.db, 'youtube');
    const batch = Array.from({ length: 400 }, (_, i) => ({
      topic: ['#rollupa', 'rollup b', '@rollupc'][i % 3]!,
      topicType: (['hashtag', 'keyword', 'mention'] as const)[i % 3],
      platformId: yt,
      mentionedAt: new Date(at(-60).getTime() + i * 7 * 60_000 + 13_000),
      sourceRef: `rollup-${i}`,
      engagementWeight: i % 11,
    }));
    expect((await recordTopicMentions(t.db, batch)).inserted).toBe(400);
    expect(await rollupMismatches(t.db)).toBe(0);

    await t.db.execute(sql`UPDATE topic_mentions SET mentioned_at = mentioned_at + interval '90 minutes', engagement_weight = engagement_weight + 1
                           WHERE topic_name = 'rollupa'`);
    expect(await rollupMismatches(t.db)).toBe(0);
    await t.db.execute(sql`DELETE FROM topic_mentions WHERE topic_name = 'rollup b' AND engagement_weight > 5`);
    expect(await rollupMismatches(t.db)).toBe(0);

    const [before] = await queryRows<{ n: number }>(
      t.db,
      sql`SELECT count(*)::int AS n FROM topic_mentions WHERE mentioned_at < ${new Date(Date.now() - 3 * 86_400_000).toISOString()}::timestamptz`,
    );
    expect(before!.n).toBeGreaterThan(0);
    expect(await pruneTopicMentions(t.db, { keepDays: 3 })).toBe(before!.n);
    expect(await rollupMismatches(t.db)).toBe(0);
    await expect(pruneTopicMentions(t.db, { keepDays: 1 })).rejects.toThrow(/keepDays: must be at least 2/);
  });
});

describe('automatic recording', () => {
  it("records a post's hashtags when it is published, and follows later changes", async () => {
    const ig = await platformId(t.db, 'instagram');
    const userId = await createUser(t.db);
    const postId = await newPost(t.db, { userId, platformId: ig, hashtags: ['#AutoLegDay', 'autoprotein'] });
    expect(await mentionsOfPost(t.db, postId)).toEqual([]); // a draft is not a mention

    await t.db.execute(sql`UPDATE social_posts SET status = 'published', published_at = ${at(5).toISOString()}::timestamptz WHERE id = ${postId}::uuid`);
    let rows = await mentionsOfPost(t.db, postId);
    expect(rows.map((r) => [r.topic_name, r.source])).toEqual([
      ['autolegday', 'own_post'],
      ['autoprotein', 'own_post'],
    ]);
    expect(new Date(rows[0]!.mentioned_at).getTime()).toBe(at(5).getTime());

    // The published post's hashtags change: its mentions follow, nothing is counted twice.
    await t.db.execute(sql`UPDATE social_posts SET hashtags = ARRAY['autolegday', 'AutoSquat'] WHERE id = ${postId}::uuid`);
    rows = await mentionsOfPost(t.db, postId);
    expect(rows.map((r) => r.topic_name)).toEqual(['autolegday', 'autosquat']);
    await t.db.execute(sql`UPDATE social_posts SET caption = 'edited caption' WHERE id = ${postId}::uuid`);
    expect((await mentionsOfPost(t.db, postId)).length).toBe(2);

    // Published directly on insert.
    const direct = await newPost(t.db, { userId, platformId: ig, hashtags: ['autodirect'], status: 'published', publishedAt: at(6) });
    expect((await mentionsOfPost(t.db, direct)).map((r) => r.topic_name)).toEqual(['autodirect']);
    expect(await rollupMismatches(t.db)).toBe(0);
  });

  it("records hashtags of comment events' text, once per comment, and ignores other events", async () => {
    const tt = await platformId(t.db, 'tiktok');
    const userId = await createUser(t.db);
    const postId = await newPost(t.db, { userId, platformId: tt, hashtags: [], status: 'published', publishedAt: at(0) });
    const events = sql`
      INSERT INTO engagement_events (post_id, event_timestamp, event_key, event_type, event_metadata)
      VALUES
        (${postId}::uuid, ${at(1).toISOString()}::timestamptz, 101, 'comment', '{"text": "Love this #CommentLegDay and #commentlegday, #Comment_Protein!"}'::jsonb),
        (${postId}::uuid, ${at(1).toISOString()}::timestamptz, 102, 'comment', '{"text": "no tags here"}'::jsonb),
        (${postId}::uuid, ${at(2).toISOString()}::timestamptz, 103, 'like', '{"text": "#commentignored"}'::jsonb),
        (${postId}::uuid, ${at(2).toISOString()}::timestamptz, 104, 'comment', ${JSON.stringify({ text: `#commentlegday #${'a'.repeat(101)} #it's` })}::jsonb)
      ON CONFLICT DO NOTHING`;
    await t.db.execute(events);
    // Ingestion only queues the comments; detection (or record_comment_hashtags()) extracts them.
    expect(await mentionsOfPost(t.db, postId)).toEqual([]);
    await detectTrendingTopics(t.db, {});
    const rows = await mentionsOfPost(t.db, postId);
    expect(rows.map((r) => [r.topic_name, r.source])).toEqual([
      ['comment_protein', 'comment'],
      ['commentlegday', 'comment'],
      ['commentlegday', 'comment'],
      ['it', 'comment'],
    ]);
    // A redelivered batch adds no event and no mention.
    await t.db.execute(events);
    await t.db.execute(sql`SELECT record_comment_hashtags()`);
    expect((await mentionsOfPost(t.db, postId)).length).toBe(4);
    expect(await rollupMismatches(t.db)).toBe(0);
  });
});

describe('scopes: each workspace and the market', () => {
  /** `n` published posts of a workspace with `tag`, spread over [fromHours, toHours) from T. */
  async function posts(workspaceId: string, userId: string, tag: string, fromHours: number, toHours: number, n: number): Promise<string[]> {
    const rows = await queryRows<{ id: string }>(
      t.db,
      sql`INSERT INTO social_posts (workspace_id, user_id, platform_id, media_type, hashtags, status, published_at)
          SELECT ${workspaceId}::uuid, ${userId}::uuid, (SELECT id FROM social_platforms WHERE name = 'instagram'), 'video',
                 ARRAY[${tag}, 'scopeother' || g], 'published',
                 ${at(fromHours).toISOString()}::timestamptz + (g - 1) * ${Math.floor(((toHours - fromHours) * HOUR) / n)}::int * interval '1 millisecond'
          FROM generate_series(1, ${n}::int) g
          RETURNING id::text`,
    );
    return rows.map((r) => r.id);
  }

  it('two workspaces posting the same hashtag get a trend row each, with their own counts; the market has its own', async () => {
    const ig = await platformId(t.db, 'instagram');
    const [ua, ub] = [await createUser(t.db), await createUser(t.db)];
    const [wa, wb] = [await workspaceOf(t.db, ua), await workspaceOf(t.db, ub)];
    await posts(wa, ua, '#ScopeSquat', -48, -24, 5);
    const aPosts = await posts(wa, ua, '#ScopeSquat', -24, -1, 21);
    await posts(wb, ub, 'scopesquat', -48, -24, 10);
    await posts(wb, ub, 'scopesquat', -24, -1, 40);
    // Four comments with the hashtag on A's posts: A's mentions (their post's workspace), not B's.
    await recordEngagementEvents(
      t.db,
      aPosts.slice(0, 4).map((postId, i) => ({
        postId,
        eventType: 'comment' as const,
        eventTimestamp: at(-2),
        platformEventId: `scope-comment-${i}`,
        eventMetadata: { text: 'Form check #ScopeSquat' },
      })),
    );
    // The market: an external feed, 20 then 60 mentions.
    const market = (from: number, n: number) =>
      Array.from({ length: n }, (_, i) => ({ topic: '#ScopeSquat', platformId: ig, mentionedAt: at(from + (i * 23) / n), sourceRef: `scope-${from}-${i}` }));
    expect((await recordTopicMentions(t.db, [...market(-48, 20), ...market(-24, 60)])).inserted).toBe(80);

    const scopeRows = async () => {
      const detected = (await detectTrendingTopics(t.db, { asOf: at(0) })).filter((r) => r.topicName === 'scopesquat');
      return Object.fromEntries(detected.map((r) => [r.workspaceId ?? 'market', r]));
    };
    const first = await scopeRows();
    expect(Object.keys(first).sort()).toEqual([wa, wb, 'market'].sort());
    expect(first[wa]).toMatchObject({ mentionCount: 25, previousMentionCount: 5, growthRate: 400, trendStatus: 'trending', action: 'inserted' });
    expect(first[wb]).toMatchObject({ mentionCount: 40, previousMentionCount: 10, growthRate: 300, trendStatus: 'trending', action: 'inserted' });
    expect(first.market).toMatchObject({ mentionCount: 60, previousMentionCount: 20, growthRate: 200, trendStatus: 'trending', action: 'inserted' });
    expect(await rollupMismatches(t.db)).toBe(0);

    // A rerun for the same hour is the same evaluation in every scope: same rows, nothing added.
    const stored = sql`SELECT * FROM trending_topics WHERE topic_name = 'scopesquat' ORDER BY workspace_id NULLS LAST`;
    const before = await queryRows(t.db, stored);
    const again = await scopeRows();
    expect(await queryRows(t.db, stored)).toEqual(before);
    expect(before).toHaveLength(3);
    for (const k of [wa, wb, 'market']) {
      expect({ ...again[k], action: first[k]!.action }).toEqual(first[k]);
      expect(again[k]!.action).toBe('updated');
    }

    // Each workspace reads its own row and the market's, never the other workspace's.
    const listed = await getTrendingTopics(t.db, { workspaceId: wa, statuses: ['trending'], limit: 500 });
    const mine = listed.filter((r) => r.topicName === 'scopesquat');
    expect(mine.map((r) => [r.scope, r.workspaceId, r.mentionCount])).toEqual([
      ['workspace', wa, 25], // growth 400 % before the market's 200 %
      ['market', null, 60],
    ]);
    expect(listed.some((r) => r.workspaceId === wb)).toBe(false);
    const own = await getTrendingTopics(t.db, { workspaceId: wb, includeMarket: false, limit: 500 });
    expect(own.length).toBeGreaterThan(0);
    expect(own.every((r) => r.workspaceId === wb && r.scope === 'workspace')).toBe(true);

    // The same through row-level security: a member of B reads B's and the market's; a customer nothing.
    const api = authenticatorDb(t.url);
    try {
      const seen = (sub: string) =>
        asApi(api, signedIn(sub), (tx) =>
          queryRows<{ ws: string | null; n: number }>(
            tx,
            sql`SELECT workspace_id::text AS ws, mention_count AS n FROM trending_topics WHERE topic_name = 'scopesquat' ORDER BY 1 NULLS LAST`,
          ),
        );
      expect(await seen(ub)).toEqual([{ ws: wb, n: 40 }, { ws: null, n: 60 }]);
      expect(await seen(await createUser(t.db, { workspace: false }))).toEqual([]);
    } finally {
      await closeApi(api);
    }
  });

  it("a workspace's own feed is its own: not the market's, not counted with another's, and no post of another workspace", async () => {
    const ig = await platformId(t.db, 'instagram');
    const [ua, ub] = [await createUser(t.db), await createUser(t.db)];
    const [wa, wb] = [await workspaceOf(t.db, ua), await workspaceOf(t.db, ub)];
    const postOfB = await newPost(t.db, { userId: ub, platformId: ig, hashtags: [] });
    const feed = Array.from({ length: 3 }, (_, i) => ({ topic: 'ownfeed', platformId: ig, mentionedAt: at(1), sourceRef: `own-feed-${i}` }));
    // The same feed items, recorded by A, by B and for the market: three scopes, nothing taken for a replay.
    expect(await recordTopicMentions(t.db, feed, { workspaceId: wa })).toEqual({ inserted: 3, duplicates: 0, rejected: [] });
    expect(await recordTopicMentions(t.db, feed, { workspaceId: wb })).toEqual({ inserted: 3, duplicates: 0, rejected: [] });
    expect(await recordTopicMentions(t.db, feed)).toEqual({ inserted: 3, duplicates: 0, rejected: [] });
    expect(await recordTopicMentions(t.db, feed, { workspaceId: wa })).toEqual({ inserted: 0, duplicates: 3, rejected: [] });
    const refused = await recordTopicMentions(
      t.db,
      [{ topic: 'ownfeed', platformId: ig, mentionedAt: at(1), sourceRef: 'x', source: 'own_post', postId: postOfB }],
      { workspaceId: wa },
    );
    expect(refused).toEqual({ inserted: 0, duplicates: 0, rejected: [{ index: 0, field: 'postId', reason: `post ${postOfB} is not in workspace ${wa}` }] });
    // Without a workspace, a mention of a post is its post's workspace's.
    expect((await recordTopicMentions(t.db, [{ topic: 'ownfeed', platformId: ig, mentionedAt: at(1), sourceRef: 'y', postId: postOfB }])).inserted).toBe(1);
    const counts = await queryRows<{ ws: string | null; n: number }>(
      t.db,
      sql`SELECT workspace_id::text AS ws, count(*)::int AS n FROM topic_mentions WHERE topic_name = 'ownfeed' GROUP BY 1 ORDER BY 1 NULLS LAST`,
    );
    expect(counts).toEqual(
      [
        { ws: wa, n: 3 },
        { ws: wb, n: 4 },
      ]
        .sort((x, y) => x.ws.localeCompare(y.ws))
        .concat([{ ws: null as never, n: 3 }]),
    );
    expect(await rollupMismatches(t.db)).toBe(0);
  });
});

describe('parameters, not SQL', () => {
  it('refuses out-of-range parameters with the field and the reason', async () => {
    await expect(detectTrendingTopics(t.db, { windowHours: 0 })).rejects.toThrow(/windowHours: must be at least 1/);
    await expect(detectTrendingTopics(t.db, { windowHours: 1.5 })).rejects.toThrow(/windowHours: must be a whole number of hours/);
    expect((await pgError(t.db.execute(sql`SELECT * FROM detect_trending_topics(interval '90 minutes')`))).message).toMatch(
      /^window: 01:30:00 is not a whole number of hours/,
    );
    await expect(detectTrendingTopics(t.db, { minMentions: 0 })).rejects.toThrow(/minMentions: must be at least 1/);
    await expect(detectTrendingTopics(t.db, { minMentions: 2.5 })).rejects.toThrow(/minMentions: must be an integer/);
    expect((await pgError(t.db.execute(sql`SELECT * FROM detect_trending_topics(interval '0 seconds')`))).message).toMatch(/^window: .* is out of range/);
    expect((await pgError(t.db.execute(sql`SELECT * FROM detect_trending_topics(min_mentions => 0)`))).message).toMatch(/^min_mentions: 0 is out of range/);
    expect((await pgError(t.db.execute(sql`SELECT * FROM detect_trending_topics(as_of => NULL)`))).message).toMatch(/^as_of: must be a finite timestamp/);
    const workspaceId = await workspaceOf(t.db, await createUser(t.db));
    await expect(getTrendingTopics(t.db, { workspaceId, limit: 0 })).rejects.toThrow(/limit/);
    await expect(getTrendingTopics(t.db, {} as never)).rejects.toThrow(/getTrendingTopics: workspaceId: /);
    await expect(getTrendingTopics(t.db, { workspaceId: randomUUID() })).rejects.toThrow(/workspaceId: no workspace /);
    await expect(recordTopicMentions(t.db, [], { workspaceId: randomUUID() })).rejects.toThrow(/recordTopicMentions: workspaceId: no workspace /);
    await expect(recordTopicMentions(t.db, [], { workspaceId: 'nope' })).rejects.toThrow(/recordTopicMentions: workspaceId: must be a UUID/);
  });

  it('API roles: authenticated reads trends but cannot write mentions, anon sees nothing, and no one but service_role runs detection', async () => {
    const privileges = await queryRows<{ role: string; read_trends: boolean; write_mentions: boolean; detect: boolean; lexicon: boolean }>(
      t.db,
      sql`SELECT r AS role,
                 has_table_privilege(r, 'trending_topics', 'SELECT') AS read_trends,
                 has_table_privilege(r, 'topic_mentions', 'INSERT') AS write_mentions,
                 has_function_privilege(r, 'detect_trending_topics(interval, integer, timestamptz)', 'EXECUTE') AS detect,
                 has_table_privilege(r, 'fitness_lexicon', 'SELECT') AS lexicon
          FROM unnest(ARRAY['anon', 'authenticated', 'service_role']) r ORDER BY r`,
    );
    expect(privileges).toEqual([
      { role: 'anon', read_trends: false, write_mentions: false, detect: false, lexicon: false },
      { role: 'authenticated', read_trends: true, write_mentions: false, detect: false, lexicon: true },
      { role: 'service_role', read_trends: true, write_mentions: true, detect: true, lexicon: true },
    ]);
    const rls = await queryRows<{ relname: string; relrowsecurity: boolean }>(
      t.db,
      sql`SELECT relname, relrowsecurity FROM pg_class
          WHERE relname IN ('topic_mentions', 'topic_mention_daily', 'fitness_lexicon') ORDER BY relname`,
    );
    expect(rls.every((r) => r.relrowsecurity)).toBe(true);
    expect(rls).toHaveLength(3);
  });
});

describe('embedded PGlite', () => {
  it('records, detects and reads trends the same way', async () => {
    const db = await createEmbeddedDb();
    try {
      await migrate(db);
      const ig = await platformId(db, 'instagram');
      const mentions = [
        ...Array.from({ length: 10 }, (_, i) => ({ topic: '#PgliteSquat', platformId: ig, mentionedAt: at(-47 + i * 2), sourceRef: `p${i}` })),
        ...Array.from({ length: 40 }, (_, i) => ({ topic: '#PgliteSquat', platformId: ig, mentionedAt: at(-23 + i / 2), sourceRef: `c${i}` })),
      ];
      expect(await recordTopicMentions(db, mentions)).toEqual({ inserted: 50, duplicates: 0, rejected: [] });
      const detected = await detectTrendingTopics(db, { asOf: at(0) });
      expect(detected).toHaveLength(1);
      expect(detected[0]).toMatchObject({
        topicName: 'pglitesquat',
        trendStatus: 'trending',
        mentionCount: 40,
        previousMentionCount: 10,
        growthRate: 300,
        fitnessRelevanceScore: 90,
        action: 'inserted',
      });
      expect(detected[0]!.workspaceId).toBeNull(); // external feeds: the market's
      const workspaceId = await workspaceOf(db, await createUser(db));
      const listed = await getTrendingTopics(db, { workspaceId, platformId: ig });
      expect(listed.map((r) => [r.topicName, r.trendStatus, r.growthRate, r.scope])).toEqual([['pglitesquat', 'trending', 300, 'market']]);
      expect(await getTrendingTopics(db, { workspaceId, includeMarket: false })).toEqual([]);
    } finally {
      await close(db);
    }
  });
});
