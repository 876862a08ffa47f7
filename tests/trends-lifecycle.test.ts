import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { queryRows, type Db } from '../src/db.js';
import {
  TREND_THRESHOLDS,
  detectTrendingTopics,
  getTrendingTopics,
  recordTopicMentions,
  type DetectTrendingTopicsOptions,
  type DetectedTrend,
  type TrendingTopicFilters,
} from '../src/queries/trends.js';
import type { TopicMentionInput } from '../src/schema/trends.js';
import { createTestDatabase, dropTestDatabase, type TestDatabase } from './support/db.js';
import { createUser, platformId, workspaceOf } from './support/fixtures.js';

// Every scenario gets a database of its own: a detection run evaluates every topic in the database.
// Each scenario runs in two scopes at once: every mention is recorded for the market and, as its own
// feed, for one workspace. Detection keeps scopes apart, so both must give the same rows (own ids
// aside), counted once each: the lifecycle holds per scope, and one scope never adds to another.
const opened: TestDatabase[] = [];
/** The workspace of each fresh database. */
const workspaceOfDb = new WeakMap<Db, string>();
async function freshDb(): Promise<Db> {
  const d = await createTestDatabase({ max: 2 });
  opened.push(d);
  workspaceOfDb.set(d.db, await workspaceOf(d.db, await createUser(d.db)));
  return d.db;
}
afterAll(async () => {
  for (const d of opened) await dropTestDatabase(d);
});

const HOUR = 3_600_000;
/** Hour-aligned, four days ago, so two more days of generated mentions are still in the past. */
const T = new Date(Math.floor(Date.now() / HOUR) * HOUR - 96 * HOUR);
const at = (hours: number) => new Date(T.getTime() + hours * HOUR);

let seq = 0;
/** `count` mentions of `topic`, spread evenly over [fromHours, toHours) relative to T. */
function stream(topic: string, platformId: number, fromHours: number, toHours: number, count: number, weight = 1): TopicMentionInput[] {
  const step = ((toHours - fromHours) * HOUR) / count;
  return Array.from({ length: count }, (_, i) => ({
    topic,
    platformId,
    mentionedAt: new Date(at(fromHours).getTime() + Math.floor(i * step)),
    sourceRef: `gen-${seq++}`,
    engagementWeight: weight,
  }));
}

/** Records the mentions for the market and for the database's workspace. */
async function record(db: Db, mentions: TopicMentionInput[]): Promise<void> {
  for (const opts of [{}, { workspaceId: workspaceOfDb.get(db)! }]) {
    const r = await recordTopicMentions(db, mentions, opts);
    expect(r.rejected).toEqual([]);
    expect(r.inserted).toBe(mentions.length);
  }
}

/**
 * detectTrendingTopics, checked scope by scope: the market's rows and the workspace's are the same
 * (ids and content suggestions aside: a market trend suggests no template), in the same order. Returns
 * the market's, or with `scope: 'workspace'` the workspace's.
 */
async function detect(db: Db, opts: DetectTrendingTopicsOptions, scope: 'market' | 'workspace' = 'market'): Promise<DetectedTrend[]> {
  const rows = await detectTrendingTopics(db, opts);
  const workspaceId = workspaceOfDb.get(db)!;
  const market = rows.filter((r) => r.workspaceId === null);
  const own = rows.filter((r) => r.workspaceId === workspaceId);
  expect(market.length + own.length).toBe(rows.length);
  const plain = (r: DetectedTrend) => ({ ...r, topicId: '', workspaceId: '', contentOpportunities: [] });
  expect(own.map(plain)).toEqual(market.map(plain));
  return scope === 'market' ? market : own;
}

const byName = (rows: DetectedTrend[]) => Object.fromEntries(rows.map((r) => [r.topicName, r]));

/** Every column of every trend row of one scope (the market's by default): what "the same rows" means. */
async function snapshot(db: Db, scope: 'market' | 'workspace' = 'market') {
  return queryRows(
    db,
    sql`SELECT * FROM trending_topics
        WHERE ${scope === 'market' ? sql`workspace_id IS NULL` : sql`workspace_id = ${workspaceOfDb.get(db)!}::uuid`}
        ORDER BY topic_name, platform_id, first_detected_at`,
  );
}

/** Every column but the ids: the two scopes' rows compared. */
async function bothScopesAlike(db: Db): Promise<void> {
  const strip = (rows: Record<string, unknown>[]) => rows.map(({ id: _id, workspace_id: _ws, content_opportunities: _co, ...r }) => r);
  expect(strip(await snapshot(db, 'workspace'))).toEqual(strip(await snapshot(db, 'market')));
}

/** getTrendingTopics for the database's workspace, the market's rows only (the workspace's are alike). */
async function listed(db: Db, filters: Omit<TrendingTopicFilters, 'workspaceId'> = {}) {
  const rows = await getTrendingTopics(db, { ...filters, workspaceId: workspaceOfDb.get(db)! });
  const market = rows.filter((r) => r.scope === 'market');
  expect(rows.filter((r) => r.scope === 'workspace').map((r) => [r.topicName, r.platformId, r.mentionCount])).toEqual(
    market.map((r) => [r.topicName, r.platformId, r.mentionCount]),
  );
  return market;
}

describe('detect_trending_topics lifecycle', () => {
  it('a topic growing 10x in a day is trending; steady background topics are not', async () => {
    const db = await freshDb();
    const ig = await platformId(db, 'instagram');
    await record(db, [
      ...stream('#LegDay', ig, -48, -24, 30, 2),
      ...stream('#LegDay', ig, -24, 0, 300, 3),
      // Steady background: the same volume (a few percent of noise) in both windows.
      ...stream('protein', ig, -48, -24, 200),
      ...stream('protein', ig, -24, 0, 206),
      ...stream('cardio', ig, -48, -24, 80),
      ...stream('cardio', ig, -24, 0, 76),
      ...stream('mealprep', ig, -48, -24, 50),
      ...stream('mealprep', ig, -24, 0, 55),
      // Growing, but too rare to matter.
      ...stream('tinytopic', ig, -24, 0, TREND_THRESHOLDS.minMentions - 1),
      // Outside both windows: not counted.
      ...stream('#LegDay', ig, -60, -48, 500),
      ...stream('#LegDay', ig, 0, 5, 500),
    ]);

    const detected = await detect(db, { asOf: at(0) });
    expect(detected.map((r) => r.topicName)).toEqual(['legday']);
    expect(detected[0]).toMatchObject({
      trendStatus: 'trending',
      previousStatus: null,
      mentionCount: 300,
      previousMentionCount: 30,
      growthRate: 900,
      engagementScore: 900,
      engagementGrowthRate: 1400, // 60 -> 900
      fitnessRelevanceScore: 95,
      action: 'inserted',
    });
    const rows = await listed(db, { statuses: ['emerging', 'trending', 'declining', 'expired'] });
    expect(rows.map((r) => r.topicName)).toEqual(['legday']);
    expect(rows[0]!.trendStartDate).toBe(T.toISOString().slice(0, 10));
    expect(rows[0]!.firstDetectedAt.getTime()).toBe(T.getTime());
  });

  it('a topic that collapses becomes declining, then expired, on the same row', async () => {
    const db = await freshDb();
    const tt = await platformId(db, 'tiktok');
    await record(db, [
      ...stream('#CrossFitOpen', tt, -48, -24, 40),
      ...stream('#CrossFitOpen', tt, -24, 0, 400),
      ...stream('#CrossFitOpen', tt, 0, 24, 15), // collapse below min_mentions
    ]);
    const day1 = byName(await detect(db, { asOf: at(0) }));
    expect(day1.crossfitopen).toMatchObject({ trendStatus: 'trending', growthRate: 900 });

    const day2 = byName(await detect(db, { asOf: at(24) }));
    expect(day2.crossfitopen).toMatchObject({
      trendStatus: 'declining',
      previousStatus: 'trending',
      mentionCount: 15,
      previousMentionCount: 400,
      growthRate: -96.25,
      action: 'updated',
    });

    const day3 = byName(await detect(db, { asOf: at(48) }));
    expect(day3.crossfitopen).toMatchObject({ trendStatus: 'expired', previousStatus: 'declining', mentionCount: 0 });

    // A multi-day trend is one row: keyed on the UTC day it was first detected, updated afterwards.
    const rows = await snapshot(db);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ trend_status: 'expired', peak_mention_count: 400 });
    expect(new Date(rows[0]!.first_detected_at as string).getTime()).toBe(T.getTime());
    const [peak] = await queryRows<{ d: string }>(db, sql`SELECT trend_peak_date::text AS d FROM trending_topics`);
    expect(peak!.d).toBe(T.toISOString().slice(0, 10));

    // Expired rows are history: a later run leaves them alone, and getTrendingTopics hides them by default.
    expect(await detect(db, { asOf: at(60) })).toEqual([]);
    expect(await listed(db)).toEqual([]);
    await bothScopesAlike(db);
  });

  it('a slower collapse, run hourly, passes through declining before it expires', async () => {
    const db = await freshDb();
    const yt = await platformId(db, 'youtube');
    await record(db, [...stream('kettlebell', yt, -48, -24, 20), ...stream('kettlebell', yt, -24, 0, 240)]);
    const statuses: string[] = [];
    for (let h = 0; h <= 30; h += 1) {
      const rows = await detect(db, { asOf: at(h) });
      const s = rows.find((r) => r.topicName === 'kettlebell')?.trendStatus;
      if (s && statuses[statuses.length - 1] !== s) statuses.push(s);
    }
    expect(statuses).toEqual(['trending', 'declining', 'expired']);
  });

  it('the same data run twice gives the same rows, also mid-collapse', async () => {
    const db = await freshDb();
    const ig = await platformId(db, 'instagram');
    await record(db, [
      ...stream('hiit', ig, -48, -24, 30),
      ...stream('hiit', ig, -24, 0, 90),
      ...stream('hiit', ig, 0, 24, 10),
      ...stream('glutes', ig, -48, -24, 40),
      ...stream('glutes', ig, -24, 0, 55), // +37.5 %: emerging
      ...stream('glutes', ig, 0, 24, 56), // flat: the emerging blip expires
    ]);
    await detect(db, { asOf: at(0) });
    const once = await snapshot(db);
    const again = await detect(db, { asOf: at(0) });
    expect(await snapshot(db)).toEqual(once);
    expect(again.map((r) => [r.topicName, r.trendStatus])).toEqual([
      ['hiit', 'trending'],
      ['glutes', 'emerging'],
    ]);

    await detect(db, { asOf: at(24) });
    const next = await snapshot(db);
    await detect(db, { asOf: at(24) });
    expect(await snapshot(db)).toEqual(next);
    expect(next.map((r) => [r.topic_name, r.trend_status, r.previous_status])).toEqual([
      ['glutes', 'expired', 'emerging'],
      ['hiit', 'declining', 'trending'],
    ]);

    // A run for an earlier as_of does not rewrite what a later run decided.
    await detect(db, { asOf: at(0) });
    expect(await snapshot(db)).toEqual(next);
    await bothScopesAlike(db);
  });

  it('stores growth above 999.99 %, and defines growth for topics new in the window', async () => {
    const db = await freshDb();
    const ig = await platformId(db, 'instagram');
    await record(db, [
      ...stream('viralsquat', ig, -48, -24, 10),
      ...stream('viralsquat', ig, -24, 0, 500),
      ...stream('brandnewtopic', ig, -24, 0, 2000),
    ]);
    const rows = byName(await detect(db, { asOf: at(0) }));
    expect(rows.viralsquat).toMatchObject({ growthRate: 4900, trendStatus: 'trending' });
    // New in the window: measured against one mention, (2000 - 0) / 1.
    expect(rows.brandnewtopic).toMatchObject({ growthRate: 200_000, previousMentionCount: 0, trendStatus: 'trending' });
    const [stored] = await queryRows<{ g: string }>(
      db,
      sql`SELECT growth_rate::text AS g FROM trending_topics WHERE topic_name = 'brandnewtopic'`,
    );
    expect(stored!.g).toBe('200000.00');
  });

  it('applies the documented thresholds at their boundaries', async () => {
    const db = await freshDb();
    const ig = await platformId(db, 'instagram');
    const min = TREND_THRESHOLDS.minMentions;
    await record(db, [
      ...stream('exactdouble', ig, -48, -24, min / 2),
      ...stream('exactdouble', ig, -24, 0, min), // +100 % with exactly min mentions: trending
      ...stream('justbelow', ig, -48, -24, 5),
      ...stream('justbelow', ig, -24, 0, min - 1), // big growth, one mention short: nothing
      ...stream('quarterup', ig, -48, -24, 16),
      ...stream('quarterup', ig, -24, 0, 20), // +25 %: emerging
      ...stream('almostquarter', ig, -48, -24, 17),
      ...stream('almostquarter', ig, -24, 0, 20), // +17.65 %: nothing
      ...stream('ninetynine', ig, -48, -24, 100),
      ...stream('ninetynine', ig, -24, 0, 199), // +99 %: emerging, not trending
    ]);
    const rows = byName(await detect(db, { asOf: at(0) }));
    expect(Object.keys(rows).sort()).toEqual(['exactdouble', 'ninetynine', 'quarterup']);
    expect(rows.exactdouble).toMatchObject({ trendStatus: 'trending', growthRate: 100 });
    expect(rows.quarterup).toMatchObject({ trendStatus: 'emerging', growthRate: 25 });
    expect(rows.ninetynine).toMatchObject({ trendStatus: 'emerging', growthRate: 99 });

    // min_mentions is a parameter: with 30, exactdouble (20 mentions) is no trend.
    const db2 = await freshDb();
    await record(db2, [...stream('exactdouble', ig, -48, -24, 10), ...stream('exactdouble', ig, -24, 0, 20)]);
    expect(await detect(db2, { asOf: at(0), minMentions: 30 })).toEqual([]);
    expect((await detect(db2, { asOf: at(0), minMentions: 20 })).map((r) => r.trendStatus)).toEqual(['trending']);
  });

  it('a topic name with quotes or SQL in it is just a name', async () => {
    const db = await freshDb();
    const ig = await platformId(db, 'instagram');
    const evil = `it's"; DROP TABLE trending_topics; --`;
    const evil2 = `x') OR 1=1; SELECT pg_sleep(10); --`;
    await record(db, [...stream(evil, ig, -24, 0, 30), ...stream(evil2, ig, -24, 0, 30)]);
    const rows = await detect(db, { asOf: at(0) });
    expect(rows.map((r) => r.topicName).sort()).toEqual([evil.toLowerCase(), evil2.toLowerCase()].sort());
    const [count] = await queryRows<{ market: number; own: number }>(
      db,
      sql`SELECT count(*) FILTER (WHERE workspace_id IS NULL)::int AS market, count(*) FILTER (WHERE workspace_id IS NOT NULL)::int AS own
          FROM trending_topics`,
    );
    expect(count).toEqual({ market: 2, own: 2 });
    expect((await listed(db)).map((r) => r.topicName).sort()).toEqual([evil, evil2].map((s) => s.toLowerCase()).sort());
  });

  it('counts whole UTC hours: any as_of within an hour is the same evaluation, and counts equal the raw mentions', async () => {
    const db = await freshDb();
    const ig = await platformId(db, 'instagram');
    // Density rising steeply over time (t^3), so every topic trends at the first run and stays reported.
    const mentions: TopicMentionInput[] = [];
    for (const [topic, n] of [['ramp a', 900], ['rampb', 600], ['rampc', 400]] as const) {
      for (let i = 0; i < n; i++) {
        const u = ((i * 7919) % n) / n;
        mentions.push({
          topic,
          topicType: 'keyword',
          platformId: ig,
          mentionedAt: new Date(at(-12).getTime() + Math.pow(u, 0.25) * 12 * HOUR + (i % 977) * 1000),
          sourceRef: `ramp-${topic}-${i}`,
          engagementWeight: i % 5,
        });
      }
    }
    await record(db, mentions);
    // Later and later runs, each with other window lengths; as_of inside an hour counts up to its start.
    for (const [asOfMs, windowHours] of [
      [at(-1).getTime(), 5],
      [at(-1).getTime() + 59 * 60_000, 5], // same hour: same evaluation, same numbers
      [at(0).getTime() + 17 * 60_000 + 33_000, 2],
      [at(0).getTime() + 3 * HOUR, 1],
      [at(0).getTime() + 4 * HOUR - 1, 6],
    ] as const) {
      const windowEnd = new Date(Math.floor(asOfMs / HOUR) * HOUR).toISOString();
      const rows = await detect(db, { asOf: new Date(asOfMs), windowHours, minMentions: 5 });
      const expected = await queryRows<{ topic_name: string; c: number; p: number; w: number }>(
        db,
        sql`SELECT topic_name,
                   count(*) FILTER (WHERE mentioned_at >= ${windowEnd}::timestamptz - make_interval(hours => ${windowHours}))::int AS c,
                   count(*) FILTER (WHERE mentioned_at < ${windowEnd}::timestamptz - make_interval(hours => ${windowHours}))::int AS p,
                   coalesce(sum(engagement_weight) FILTER (WHERE mentioned_at >= ${windowEnd}::timestamptz - make_interval(hours => ${windowHours})), 0)::int AS w
            FROM topic_mentions
            WHERE workspace_id IS NULL
              AND mentioned_at >= ${windowEnd}::timestamptz - make_interval(hours => ${2 * windowHours})
              AND mentioned_at < ${windowEnd}::timestamptz
            GROUP BY topic_name ORDER BY topic_name`,
      );
      expect(rows.map((r) => r.topicName).sort()).toEqual(['ramp a', 'rampb', 'rampc']);
      for (const r of rows) {
        const e = expected.find((x) => x.topic_name === r.topicName) ?? { topic_name: r.topicName, c: 0, p: 0, w: 0 };
        expect([r.topicName, r.mentionCount, r.previousMentionCount, r.engagementScore]).toEqual([e.topic_name, e.c, e.p, e.w]);
        expect(r.topicType).toBe('keyword');
      }
      const [stamp] = await queryRows<{ t: Date }>(db, sql`SELECT max(last_updated_at) AS t FROM trending_topics`);
      expect(new Date(stamp!.t).toISOString()).toBe(windowEnd);
    }
  });

  it('scores fitness relevance from the lexicon (editable data) and suggests matching templates', async () => {
    const db = await freshDb();
    const ig = await platformId(db, 'instagram');
    const workspaceId = workspaceOfDb.get(db)!;
    const userId = await createUser(db);
    await db.execute(sql`
      INSERT INTO content_templates (workspace_id, user_id, name, category, platform_id, hashtag_sets, avg_engagement_rate) VALUES
        (${workspaceId}::uuid, ${userId}::uuid, 'Leg day demo', 'workout_demo', NULL, ARRAY['#LegDay #fitness', '#gym'], 0.08),
        (${workspaceId}::uuid, ${userId}::uuid, 'Squat form tip', 'workout', ${ig}, ARRAY['#squat'], 0.05),
        (${workspaceId}::uuid, ${userId}::uuid, 'Macro basics', 'nutrition_tip', ${ig}, ARRAY['#macros'], 0.09),
        (${workspaceId}::uuid, ${userId}::uuid, 'TikTok only', 'workout', ${await platformId(db, 'tiktok')}, ARRAY['#legday'], 0.5),
        -- Another brand's template, the best match of all: never suggested to this workspace.
        (${await workspaceOf(db, userId)}::uuid, ${userId}::uuid, 'Other brand', 'workout', ${ig}, ARRAY['#legday'], 0.9)`);
    await record(db, [
      ...stream('#LegDayMotivation', ig, -24, 0, 30),
      ...stream('#LegDay', ig, -24, 0, 30),
      ...stream('#GymShark', ig, -24, 0, 30),
    ]);
    // A market trend suggests no template: templates are each workspace's own.
    for (const r of await detect(db, { asOf: at(0) })) expect(r.contentOpportunities).toEqual([]);
    let rows = byName(await detect(db, { asOf: at(0) }, 'workspace'));
    // legday (95) + motivation (65): the strongest term plus 5 per further match.
    expect(rows.legdaymotivation!.fitnessRelevanceScore).toBe(100);
    expect(rows.legday!.fitnessRelevanceScore).toBe(95);
    expect(rows.gymshark!.fitnessRelevanceScore).toBe(0); // 'gym' is an exact-only term
    expect(rows.legday!.contentOpportunities).toEqual([
      'Template "Leg day demo" (workout_demo) already uses #legday: post it while the topic is hot',
      'Template "Squat form tip" fits this workout topic: add #legday',
    ]);
    expect(rows.gymshark!.contentOpportunities).toEqual([]);

    // The lexicon is data: an edit changes the next run, no release needed.
    await db.execute(sql`INSERT INTO fitness_lexicon (term, weight, match_mode, category) VALUES ('gymshark', 70, 'exact', 'workout')`);
    await db.execute(sql`UPDATE fitness_lexicon SET weight = 50 WHERE term = 'legday'`);
    rows = byName(await detect(db, { asOf: at(1) }, 'workspace'));
    expect(rows.gymshark!.fitnessRelevanceScore).toBe(70);
    expect(rows.legday!.fitnessRelevanceScore).toBe(50);
    expect(rows.gymshark!.contentOpportunities[0]).toBe('Template "Leg day demo" fits this workout topic: add #gymshark');

    const relevant = await listed(db, { minRelevance: 60, platformId: ig });
    expect(relevant.map((r) => r.topicName)).toEqual(['gymshark', 'legdaymotivation']);
  });
});
