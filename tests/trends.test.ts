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
import { useTestDb } from './support/db.js';
import { pgError } from './support/errors.js';
import { createUser, platformId } from './support/fixtures.js';

const t = useTestDb();

const HOUR = 3_600_000;
/** Hour-aligned, four days ago: every generated mention is in the past, as validation requires. */
const T = new Date(Math.floor(Date.now() / HOUR) * HOUR - 96 * HOUR);
const at = (hours: number) => new Date(T.getTime() + hours * HOUR);

async function newPost(
  db: Db,
  p: { userId: string; platformId: number; hashtags: string[]; status?: string; publishedAt?: Date | null },
): Promise<string> {
  const [row] = await queryRows<{ id: string }>(
    db,
    sql`INSERT INTO social_posts (user_id, platform_id, media_type, hashtags, status, published_at)
        VALUES (${p.userId}::uuid, ${p.platformId}, 'video',
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

/** The daily rollup must equal the raw mentions: running hourly totals, type counts, engagement. */
async function rollupMismatches(db: Db): Promise<number> {
  const [row] = await queryRows<{ n: number }>(
    db,
    sql`WITH raw AS (
          SELECT (mentioned_at AT TIME ZONE 'UTC')::date AS day, platform_id, topic_name,
                 extract(hour FROM mentioned_at AT TIME ZONE 'UTC')::int AS hr, count(*)::int AS n,
                 sum(engagement_weight)::bigint AS w, count(*) FILTER (WHERE topic_type = 'hashtag')::int AS h,
                 count(*) FILTER (WHERE topic_type = 'keyword')::int AS k, count(*) FILTER (WHERE topic_type = 'mention')::int AS m
          FROM topic_mentions GROUP BY 1, 2, 3, 4),
        expected AS (
          SELECT g.day, g.platform_id, g.topic_name, sum(g.h)::int AS h, sum(g.k)::int AS k, sum(g.m)::int AS m,
                 (SELECT array_agg((SELECT coalesce(sum(r.n), 0) FROM raw r
                                    WHERE r.day = g.day AND r.platform_id = g.platform_id AND r.topic_name = g.topic_name AND r.hr <= i)::int
                                   ORDER BY i) FROM generate_series(0, 23) i) AS cm,
                 (SELECT array_agg((SELECT coalesce(sum(r.w), 0) FROM raw r
                                    WHERE r.day = g.day AND r.platform_id = g.platform_id AND r.topic_name = g.topic_name AND r.hr <= i)::bigint
                                   ORDER BY i) FROM generate_series(0, 23) i) AS ce
          FROM raw g GROUP BY 1, 2, 3)
        SELECT count(*)::int AS n FROM expected e
        FULL JOIN topic_mention_daily d ON d.day = e.day AND d.platform_id = e.platform_id AND d.topic_name = e.topic_name
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

    const rows = await queryRows<{ topic_name: string; topic_type: string; source: string; engagement_weight: number }>(
      t.db,
      sql`SELECT topic_name, topic_type, source, engagement_weight FROM topic_mentions
          WHERE topic_name IN ('recordgood', 'recordmention') ORDER BY mentioned_at`,
    );
    expect(rows).toEqual([
      { topic_name: 'recordgood', topic_type: 'hashtag', source: 'external', engagement_weight: 1 },
      { topic_name: 'recordgood', topic_type: 'keyword', source: 'external', engagement_weight: 7 },
      { topic_name: 'recordmention', topic_type: 'mention', source: 'own_post', engagement_weight: 1 },
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
    await expect(getTrendingTopics(t.db, { limit: 0 })).rejects.toThrow(/limit/);
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
      const listed = await getTrendingTopics(db, { platformId: ig });
      expect(listed.map((r) => [r.topicName, r.trendStatus, r.growthRate])).toEqual([['pglitesquat', 'trending', 300]]);
    } finally {
      await close(db);
    }
  });
});
