import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { close, queryRows, type Db, type PostgresDb } from '../src/db.js';
import {
  getBestPostingHours,
  getDailyPlatformMetrics,
  getPostEngagementOverTime,
  getTopContentByCategory,
  InvalidInputError,
  refreshDailyPlatformMetrics,
  refreshTemplatePerformance,
} from '../src/queries/index.js';
import { avgRate, buildFixture, latestByPost, share4, utcDate, type Fixture, type FxAnalytics } from './support/dashboard-fixture.js';
import { asApi, authenticatorDb, signedIn } from './support/api.js';
import { useTestDb } from './support/db.js';
import { pgError } from './support/errors.js';
import { fc, runs } from './support/property.js';
import { rolledBack } from './support/tx.js';

const t = useTestDb();
let fx: Fixture;
let latest: Map<string, FxAnalytics>;
const DAY = 86_400_000;

/** Logged in as `authenticator`, as Supabase's Data API is (tests/support/api.ts). */
let api: PostgresDb;

beforeAll(async () => {
  fx = await buildFixture(t.db, { seed: 20261124, posts: 160 });
  latest = latestByPost(fx);
  api = authenticatorDb(t.url);
});
afterAll(async () => {
  if (api) await close(api);
});

const engagement = (a: FxAnalytics) => a.likes + a.comments + a.shares;
const rateOf = (a: FxAnalytics | undefined) => (a?.rateMicro == null ? null : a.rateMicro / 1e6);
/** The agency's two brands: the first has about 80 % of the posts. */
const brands = () => fx.workspaces as [string, string];

/** The top content of workspace `ws` (null: of every workspace, as the server reads the RPC without one). */
function expectedTopContent(ws: string | null, category: string | null, days: number, limit: number) {
  const since = Date.now() - days * DAY;
  return fx.posts
    .filter((p) => ws === null || p.workspaceId === ws)
    .filter((p) => p.status === 'published' && p.publishedAt!.getTime() >= since && latest.has(p.id))
    .filter((p) => category === null || p.category === category)
    .map((p) => {
      const a = latest.get(p.id)!;
      const convs = fx.conversions.filter((c) => c.postId === p.id);
      return {
        postId: p.id,
        caption: `post ${p.id.slice(0, 8)}`,
        engagementRate: rateOf(a),
        totalEngagement: engagement(a),
        conversionCount: convs.length,
        revenue: convs.reduce((s, c) => s + c.cents, 0) / 100,
        platformId: p.platformId,
        contentCategory: p.category,
        publishedAt: p.publishedAt,
        analysisDate: a.date,
        likesCount: a.likes,
        commentsCount: a.comments,
        sharesCount: a.shares,
        savesCount: a.saves,
        viewsCount: a.views,
      };
    })
    .sort((x, y) => {
      if (x.engagementRate !== y.engagementRate) {
        if (x.engagementRate === null) return 1;
        if (y.engagementRate === null) return -1;
        return y.engagementRate - x.engagementRate;
      }
      return x.postId < y.postId ? -1 : 1;
    })
    .slice(0, limit);
}

describe('getTopContentByCategory / get_top_content_by_category', () => {
  it('the data set is what the checks need: several days per post, several conversions per post, ties', () => {
    const days = new Map<string, number>();
    for (const a of fx.analytics) days.set(a.postId, (days.get(a.postId) ?? 0) + 1);
    expect([...days.values()].filter((n) => n >= 3).length).toBeGreaterThan(40);
    const convs = new Map<string, number>();
    for (const c of fx.conversions) convs.set(c.postId, (convs.get(c.postId) ?? 0) + 1);
    expect([...convs.values()].filter((n) => n >= 2).length).toBeGreaterThan(20);
    const rates = [...latest.values()].map((a) => a.rateMicro).filter((r) => r !== null);
    expect(new Set(rates).size).toBeLessThan(rates.length);
  });

  it.each([
    [null, 30, 50],
    [null, 7, 50],
    [null, 120, 1000],
    ['workout', 30, 50],
    ['nutrition', 90, 5],
  ] as const)('category %s, %i days, limit %i: each post once, latest figures, exact conversions, per workspace', async (category, days, limit) => {
    const [a, b] = brands();
    const got = await getTopContentByCategory(t.db, { workspaceId: a, category, days, limit });
    const want = expectedTopContent(a, category, days, limit);
    expect(want.length).toBeGreaterThan(0);
    expect(got).toEqual(want);
    expect(new Set(got.map((r) => r.postId)).size).toBe(got.length);
    // The other brand's figures are its own: none of the first's posts, and what a brute force over its
    // posts alone gives.
    const other = await getTopContentByCategory(t.db, { workspaceId: b, category, days, limit });
    expect(other).toEqual(expectedTopContent(b, category, days, limit));
    expect(other.some((r) => got.some((g) => g.postId === r.postId))).toBe(false);
  });

  it('the design-named RPC returns the same 50 posts as the wrapper: of one workspace, or (server) of all', async () => {
    const [a] = brands();
    const rpc = await queryRows<{ post_id: string; conversion_count: number; total_engagement: string | number }>(
      t.db,
      sql`SELECT post_id, conversion_count, total_engagement FROM get_top_content_by_category(NULL, 120, ${a}::uuid)`,
    );
    const want = expectedTopContent(a, null, 120, 50);
    expect(rpc.map((r) => r.post_id)).toEqual(want.map((w) => w.postId));
    expect(rpc.map((r) => Number(r.conversion_count))).toEqual(want.map((w) => w.conversionCount));
    expect(rpc.map((r) => Number(r.total_engagement))).toEqual(want.map((w) => w.totalEngagement));
    const byCategory = await queryRows<{ post_id: string }>(
      t.db,
      sql`SELECT post_id FROM get_top_content_by_category('workout', 30, ${a}::uuid)`,
    );
    expect(byCategory.map((r) => r.post_id)).toEqual(expectedTopContent(a, 'workout', 30, 50).map((w) => w.postId));
    // The server (no row-level security) without a workspace: every workspace's posts, as before workspaces.
    const all = await queryRows<{ post_id: string }>(t.db, sql`SELECT post_id FROM get_top_content_by_category(NULL, 120)`);
    expect(all.map((r) => r.post_id)).toEqual(expectedTopContent(null, null, 120, 50).map((w) => w.postId));
    expect(new Set(fx.posts.filter((p) => all.some((r) => r.post_id === p.id)).map((p) => p.workspaceId)).size).toBe(2);
  });

  it('refuses bad arguments, naming them: a workspace is required, and an unknown one is an error', async () => {
    const [a] = brands();
    await expect(getTopContentByCategory(t.db, { workspaceId: a, days: 0 })).rejects.toThrow(/days: must be at least 1/);
    await expect(getTopContentByCategory(t.db, { workspaceId: a, category: 'cats' as never })).rejects.toThrow(/category/);
    await expect(getTopContentByCategory(t.db, { workspaceId: a, limit: 2.5 })).rejects.toThrow(InvalidInputError);
    await expect(getTopContentByCategory(t.db, {} as never)).rejects.toThrow(/getTopContentByCategory: workspaceId: /);
    await expect(getTopContentByCategory(t.db, { workspaceId: 'brand-a' })).rejects.toThrow(/workspaceId: must be a UUID/);
    const unknown = randomUUID();
    await expect(getTopContentByCategory(t.db, { workspaceId: unknown })).rejects.toThrow(
      new RegExp(`getTopContentByCategory: workspaceId: no workspace ${unknown}`),
    );
    const e = await pgError(t.db.execute(sql`SELECT * FROM get_top_content_by_category('cats', 30)`));
    expect(e.message).toMatch(/category_filter: "cats" is not a content category/);
    const e2 = await pgError(t.db.execute(sql`SELECT * FROM get_top_content_by_category(NULL, -3)`));
    expect(e2.message).toMatch(/time_period: -3 is out of range/);
    // The RPC answers an unknown workspace as row-level security would: with no rows.
    expect(await queryRows(t.db, sql`SELECT * FROM get_top_content_by_category(NULL, 3650, ${unknown}::uuid)`)).toEqual([]);
  });

  it('as Supabase RPC for a signed-in owner: only their workspace\'s posts (SECURITY INVOKER, RLS applies)', async () => {
    const [a, b] = brands();
    const user = fx.users[1]!; // owns b only
    // One Data API request: authenticator, SET LOCAL ROLE authenticated, the user's JWT claims.
    const rows = await asApi(
      api,
      signedIn(user),
      (tx) => queryRows<{ post_id: string; conversion_count: number | null }>(
        tx,
        sql`SELECT post_id, conversion_count FROM get_top_content_by_category(NULL, 120)`,
      ),
      { rollback: true },
    );
    const want = expectedTopContent(b, null, 120, 50);
    expect(want.length).toBeGreaterThan(0);
    expect(rows.map((r) => r.post_id)).toEqual(want.map((w) => w.postId));
    // An owner reads conversions: the exact counts, zeros included.
    expect(rows.map((r) => r.conversion_count)).toEqual(want.map((w) => w.conversionCount));
    const named = await asApi(api, signedIn(user), (tx) =>
      queryRows<{ post_id: string }>(tx, sql`SELECT post_id FROM get_top_content_by_category(NULL, 120, ${b}::uuid)`),
    );
    expect(named.map((r) => r.post_id)).toEqual(want.map((w) => w.postId));
    // Another brand's workspace, named: nothing of it.
    expect(expectedTopContent(a, null, 120, 50).length).toBeGreaterThan(0);
    const foreign = await asApi(
      api,
      signedIn(user),
      (tx) => queryRows<{ post_id: string }>(tx, sql`SELECT post_id FROM get_top_content_by_category(NULL, 120, ${a}::uuid)`),
      { rollback: true },
    );
    expect(foreign).toEqual([]);
  });
});

describe('daily_platform_metrics', () => {
  function expectedDaily(ws: string) {
    const groups = new Map<string, { platformId: number; platform: string; date: string; posts: string[] }>();
    for (const p of fx.posts.filter((p) => p.status === 'published' && p.workspaceId === ws)) {
      const date = utcDate(p.publishedAt!);
      const k = `${date}|${p.platformId}`;
      if (!groups.has(k)) groups.set(k, { platformId: p.platformId, platform: p.platform, date, posts: [] });
      groups.get(k)!.posts.push(p.id);
    }
    return [...groups.values()]
      .sort((a, b) => (a.date === b.date ? a.platformId - b.platformId : a.date < b.date ? -1 : 1))
      .map((g) => {
        const rows = g.posts.map((id) => latest.get(id)).filter((a): a is FxAnalytics => a !== undefined);
        const sum = (f: (a: FxAnalytics) => number) => rows.reduce((s, a) => s + f(a), 0);
        return {
          platformId: g.platformId,
          platform: g.platform,
          publishDate: g.date,
          postsCount: g.posts.length,
          postsWithAnalytics: rows.length,
          avgEngagementRate: avgRate(rows.map((a) => a.rateMicro).filter((x): x is number => x !== null)),
          totalEngagement: sum(engagement),
          likesCount: sum((a) => a.likes),
          commentsCount: sum((a) => a.comments),
          sharesCount: sum((a) => a.shares),
          savesCount: sum((a) => a.saves),
          viewsCount: sum((a) => a.views),
          profileVisits: sum((a) => a.profileVisits),
          websiteClicks: sum((a) => a.websiteClicks),
        };
      });
  }

  it('counts each published post of the workspace once with its latest cumulative row (after a refresh)', async () => {
    await refreshDailyPlatformMetrics(t.db);
    const [a, b] = brands();
    const got = await getDailyPlatformMetrics(t.db, { workspaceId: a });
    expect(got).toEqual(expectedDaily(a));
    const other = await getDailyPlatformMetrics(t.db, { workspaceId: b });
    expect(other).toEqual(expectedDaily(b));
    // The two brands' days add up to every published post, each counted in its own workspace only.
    const published = (ws: string) => fx.posts.filter((p) => p.status === 'published' && p.workspaceId === ws).length;
    expect(got.reduce((s, r) => s + r.postsCount, 0)).toBe(published(a));
    expect(other.reduce((s, r) => s + r.postsCount, 0)).toBe(published(b));
    expect(published(b)).toBeGreaterThan(0);
  });

  it('filters by platform and inclusive date range', async () => {
    const [a] = brands();
    const from = utcDate(new Date(Date.now() - 40 * DAY));
    const to = utcDate(new Date(Date.now() - 10 * DAY));
    const got = await getDailyPlatformMetrics(t.db, { workspaceId: a, platform: 'tiktok', from, to });
    const want = expectedDaily(a).filter((r) => r.platform === 'tiktok' && r.publishDate >= from && r.publishDate <= to);
    expect(want.length).toBeGreaterThan(0);
    expect(got).toEqual(want);
  });

  it('has the unique index REFRESH ... CONCURRENTLY needs, and is closed to API clients', async () => {
    const idx = await queryRows<{ indexdef: string }>(
      t.db,
      sql`SELECT indexdef FROM pg_indexes WHERE tablename = 'daily_platform_metrics'`,
    );
    expect(idx.map((i) => i.indexdef).join()).toMatch(
      /UNIQUE INDEX daily_platform_metrics_workspace_date_platform_key .*\(workspace_id, publish_date, platform_id\)/,
    );
    const privs = await queryRows<{ anon: boolean; auth: boolean; service: boolean }>(
      t.db,
      sql`SELECT has_table_privilege('anon', 'daily_platform_metrics', 'SELECT') AS anon,
                 has_table_privilege('authenticated', 'daily_platform_metrics', 'SELECT') AS auth,
                 has_table_privilege('service_role', 'daily_platform_metrics', 'SELECT') AS service`,
    );
    expect(privs[0]).toEqual({ anon: false, auth: false, service: true });
  });

  it('refuses bad filters, naming them; an unknown workspace is an error, a known one without posts is empty', async () => {
    const workspaceId = brands()[0];
    await expect(getDailyPlatformMetrics(t.db, { workspaceId, platform: 'myspace' })).rejects.toThrow(/platform: no platform named "myspace"/);
    await expect(getDailyPlatformMetrics(t.db, { workspaceId, from: '2026-02-30' })).rejects.toThrow(/from: must be a date/);
    await expect(getDailyPlatformMetrics(t.db, { workspaceId, from: '2026-03-02', to: '2026-03-01' })).rejects.toThrow(/to: is before from/);
    await expect(getDailyPlatformMetrics(t.db, { from: '2026-03-01' } as never)).rejects.toThrow(/getDailyPlatformMetrics: workspaceId: /);
    const unknown = randomUUID();
    await expect(getDailyPlatformMetrics(t.db, { workspaceId: unknown })).rejects.toThrow(`workspaceId: no workspace ${unknown}`);
    expect(await getDailyPlatformMetrics(t.db, { workspaceId, from: '2000-01-01', to: '2000-01-31' })).toEqual([]);
  });
});

describe('getPostEngagementOverTime', () => {
  it('daily deltas from the cumulative rows for every post, gaps included', async () => {
    const byPost = new Map<string, FxAnalytics[]>();
    for (const a of fx.analytics) byPost.set(a.postId, [...(byPost.get(a.postId) ?? []), a]);
    let gaps = 0;
    let negatives = 0;
    for (const [postId, rows] of byPost) {
      rows.sort((a, b) => (a.date < b.date ? -1 : 1));
      const byDate = new Map(rows.map((a) => [a.date, a]));
      const want = [];
      let prev: FxAnalytics | null = null;
      for (let d = rows[0]!.date; d <= rows.at(-1)!.date; d = utcDate(new Date(Date.parse(d) + DAY))) {
        const a = byDate.get(d);
        if (!a) {
          gaps++;
          want.push({ date: d, measured: false, cumulative: null, delta: null, engagementRate: null });
          continue;
        }
        const fig = (x: FxAnalytics | null) => ({
          likes: x?.likes ?? 0,
          comments: x?.comments ?? 0,
          shares: x?.shares ?? 0,
          saves: x?.saves ?? 0,
          views: x?.views ?? 0,
          profileVisits: x?.profileVisits ?? 0,
          websiteClicks: x?.websiteClicks ?? 0,
          totalEngagement: x ? engagement(x) : 0,
        });
        const cur = fig(a);
        const before = fig(prev);
        const delta = Object.fromEntries(
          Object.entries(cur).map(([k, v]) => [k, v - before[k as keyof typeof before]]),
        ) as typeof cur;
        if (delta.likes < 0) negatives++;
        want.push({ date: d, measured: true, cumulative: cur, delta, engagementRate: rateOf(a) });
        prev = a;
      }
      expect(await getPostEngagementOverTime(t.db, { postId })).toEqual(want);
    }
    expect(gaps).toBeGreaterThan(10);
    expect(negatives).toBeGreaterThan(0);
  });

  it('clips to from..to without changing the deltas', async () => {
    const [postId, rows] = [...groupBy(fx.analytics)].find(([, r]) => r.length >= 5)!;
    const full = await getPostEngagementOverTime(t.db, { postId });
    const from = rows[2]!.date;
    const to = rows[4]!.date;
    const clipped = await getPostEngagementOverTime(t.db, { postId, from, to });
    expect(clipped).toEqual(full.filter((d) => d.date >= from && d.date <= to));
  });

  it('a post without analytics gives no days; an unknown post or a bad id is an error naming postId', async () => {
    const bare = fx.posts.find((p) => !fx.analytics.some((a) => a.postId === p.id))!;
    expect(await getPostEngagementOverTime(t.db, { postId: bare.id })).toEqual([]);
    await expect(getPostEngagementOverTime(t.db, { postId: randomUUID() })).rejects.toThrow(/postId: no post/);
    await expect(getPostEngagementOverTime(t.db, { postId: 'nope' })).rejects.toThrow(/postId: must be a UUID/);
  });
});

function groupBy(rows: FxAnalytics[]) {
  const m = new Map<string, FxAnalytics[]>();
  for (const a of rows) m.set(a.postId, [...(m.get(a.postId) ?? []), a]);
  for (const r of m.values()) r.sort((a, b) => (a.date < b.date ? -1 : 1));
  return m;
}

/**
 * The brute force of getBestPostingHours over a fixture's rows: each rated published post of workspace
 * `workspaceId` in [asOf - days, asOf], counted at its local hour in `timeZone` as Intl (ICU, not
 * PostgreSQL) reads it.
 */
function bestHoursByBruteForce(
  f: { posts: Fixture['posts']; latest: Map<string, FxAnalytics> },
  o: { workspaceId: string; timeZone: string; days: number; platform?: string; minPosts?: number; asOf?: number },
) {
  const asOf = o.asOf ?? Date.now();
  const hourOf = new Intl.DateTimeFormat('en-US', { timeZone: o.timeZone, hour: 'numeric', hourCycle: 'h23' });
  const groups = new Map<string, { platformId: number; platform: string; hour: number; rates: number[] }>();
  for (const p of f.posts) {
    const a = f.latest.get(p.id);
    if (p.workspaceId !== o.workspaceId || p.status !== 'published' || !a || a.rateMicro === null) continue;
    if (p.publishedAt!.getTime() < asOf - o.days * DAY || p.publishedAt!.getTime() > asOf) continue;
    if (o.platform && p.platform !== o.platform) continue;
    const hour = Number(hourOf.format(p.publishedAt!));
    const k = `${p.platformId}|${hour}`;
    if (!groups.has(k)) groups.set(k, { platformId: p.platformId, platform: p.platform, hour, rates: [] });
    groups.get(k)!.rates.push(a.rateMicro);
  }
  return [...groups.values()]
    .filter((g) => g.rates.length >= (o.minPosts ?? 1))
    .map((g) => ({
      platformId: g.platformId,
      platform: g.platform,
      hour: g.hour,
      postsCount: g.rates.length,
      avgEngagementRate: avgRate(g.rates)!,
    }))
    .sort((a, b) => a.platformId - b.platformId || b.avgEngagementRate - a.avgEngagementRate || a.hour - b.hour);
}

describe('getBestPostingHours', () => {
  const expected = (timeZone: string, days: number, platform?: string, minPosts = 1, workspaceId = brands()[0]) =>
    bestHoursByBruteForce({ posts: fx.posts, latest }, { workspaceId, timeZone, days, platform, minPosts });

  it.each([
    ['UTC', 90, undefined, 1],
    ['America/New_York', 120, undefined, 1],
    ['Asia/Kolkata', 90, 'instagram', 1],
    ['UTC', 120, undefined, 2],
  ] as const)('%s, %i days, platform %s, at least %i posts: agrees with a brute-force count', async (timeZone, days, platform, minPosts) => {
    const [a, b] = brands();
    const want = expected(timeZone, days, platform, minPosts);
    expect(want.length).toBeGreaterThan(0);
    expect(await getBestPostingHours(t.db, { workspaceId: a, timeZone, days, platform, minPosts })).toEqual(want);
    // The other brand's hours are counted from its posts alone.
    const other = expected(timeZone, days, platform, minPosts, b);
    expect(await getBestPostingHours(t.db, { workspaceId: b, timeZone, days, platform, minPosts })).toEqual(other);
    expect(other).not.toEqual(want);
  });

  it('defaults to UTC and 90 days', async () => {
    expect(await getBestPostingHours(t.db, { workspaceId: brands()[0] })).toEqual(expected('UTC', 90));
  });

  it('refuses an unknown time zone, platform or workspace, naming the field', async () => {
    const workspaceId = brands()[0];
    await expect(getBestPostingHours(t.db, { workspaceId, timeZone: 'Mars/Olympus' })).rejects.toThrow(
      /timeZone: "Mars\/Olympus" is not a time zone/,
    );
    await expect(getBestPostingHours(t.db, { workspaceId, platform: 'Bad Name' })).rejects.toThrow(/platform: a platform name/);
    await expect(getBestPostingHours(t.db, { days: 30 } as never)).rejects.toThrow(/getBestPostingHours: workspaceId: /);
    const unknown = randomUUID();
    await expect(getBestPostingHours(t.db, { workspaceId: unknown })).rejects.toThrow(`workspaceId: no workspace ${unknown}`);
  });
});

// With the current time as the window's end, a window held a DST change only in some weeks of the
// year. An injected clock (asOf) pins windows around known changes, on a fixture published around them.
describe('getBestPostingHours with an injected clock (asOf)', () => {
  const pinned = useTestDb({ max: 2 });
  // America/New_York: back to EST at 2025-11-02 06:00 UTC, forward to EDT at 2026-03-08 07:00 UTC.
  // Australia/Lord_Howe moves by half an hour (2025-10-04 15:00 UTC); Asia/Kathmandu is +05:45 all year.
  const FALL_BACK = Date.parse('2025-11-02T06:00:00Z');
  const SPRING_FORWARD = Date.parse('2026-03-08T07:00:00Z');
  const NOW = Date.parse('2026-03-20T15:00:00Z');
  let data: { posts: Fixture['posts']; latest: Map<string, FxAnalytics> };
  let workspaces: string[];
  beforeAll(async () => {
    // Posts from 2025-09-01 to 2026-03-20: both New York changes and Lord Howe's inside.
    const f = await buildFixture(pinned.db, { seed: 20260308, posts: 240, now: NOW, spanDays: 200 });
    data = { posts: f.posts, latest: latestByPost(f) };
    workspaces = f.workspaces;
  });
  const offsetAt = (timeZone: string, at: number) => {
    const local = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' }).format(at);
    return /GMT([+-]\d\d:\d\d)?/.exec(local)![1] ?? '+00:00';
  };
  /** Rated posts published within three days of `change`: the week the offset changes in is read post by post. */
  const ratedNear = (change: number) =>
    data.posts.filter((p) => p.publishedAt && Math.abs(p.publishedAt.getTime() - change) < 3 * DAY && data.latest.get(p.id)?.rateMicro != null).length;

  it.each([
    ['America/New_York', '2026-03-20T15:00:00Z', 30, SPRING_FORWARD],
    ['America/New_York', '2025-11-20T12:00:00Z', 30, FALL_BACK],
    ['America/New_York', '2026-03-20T15:00:00Z', 200, FALL_BACK],
  ] as const)('%s, window ending %s, %i days: the DST change is inside, and the hours agree with a brute-force count', async (timeZone, end, days, change) => {
    const asOf = Date.parse(end);
    expect(change).toBeGreaterThan(asOf - days * DAY);
    expect(change).toBeLessThan(asOf);
    expect(offsetAt(timeZone, change - 3_600_000)).not.toBe(offsetAt(timeZone, change + 3_600_000));
    expect(ratedNear(change)).toBeGreaterThan(0);
    const workspaceId = workspaces[0]!;
    const want = bestHoursByBruteForce(data, { workspaceId, timeZone, days, asOf });
    expect(want.length).toBeGreaterThan(5);
    expect(await getBestPostingHours(pinned.db, { workspaceId, timeZone, days, asOf: new Date(asOf) })).toEqual(want);
  });

  it('Asia/Kathmandu (+05:45): quarter-hour cells map to the right local hour', async () => {
    expect(offsetAt('Asia/Kathmandu', NOW)).toBe('+05:45');
    for (const [days, platform, minPosts] of [
      [200, undefined, 1],
      [45, 'instagram', 1],
      [120, undefined, 2],
    ] as const) {
      const workspaceId = workspaces[0]!;
      const want = bestHoursByBruteForce(data, { workspaceId, timeZone: 'Asia/Kathmandu', days, platform, minPosts, asOf: NOW });
      expect(want.length).toBeGreaterThan(0);
      expect(
        await getBestPostingHours(pinned.db, { workspaceId, timeZone: 'Asia/Kathmandu', days, platform, minPosts, asOf: new Date(NOW) }),
      ).toEqual(want);
    }
  });

  it('any window end, length and zone (DST, half-hour DST, +05:45, +05:30) agrees with a brute-force count', async () => {
    const zones = ['America/New_York', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'Asia/Kolkata', 'UTC'] as const;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...zones),
        fc.integer({ min: Date.parse('2025-09-15T00:00:00Z'), max: NOW }),
        fc.integer({ min: 1, max: 200 }),
        fc.constantFrom(0, 1),
        async (timeZone, asOf, days, brand) => {
          const workspaceId = workspaces[brand]!;
          const want = bestHoursByBruteForce(data, { workspaceId, timeZone, days, asOf });
          expect(await getBestPostingHours(pinned.db, { workspaceId, timeZone, days, asOf: new Date(asOf) })).toEqual(want);
        },
      ),
      { numRuns: runs(40) },
    );
  });

  it('refuses an asOf that is not a valid Date, naming the field', async () => {
    const workspaceId = workspaces[0]!;
    await expect(getBestPostingHours(pinned.db, { workspaceId, asOf: new Date('nope') })).rejects.toThrow(/asOf: must be a Date/);
    await expect(getBestPostingHours(pinned.db, { workspaceId, asOf: '2026-03-20' as unknown as Date })).rejects.toThrow(
      /asOf: must be a Date/,
    );
  });
});

describe('refreshTemplatePerformance', () => {
  it('recomputes usage_count, avg_engagement_rate and success_rate from the posts using each template, against its own workspace', async () => {
    // Stale figures written by hand must be replaced.
    await t.db.execute(sql`UPDATE content_templates SET usage_count = 99, avg_engagement_rate = 9, success_rate = 1`);
    const changed = await refreshTemplatePerformance(t.db);
    expect(changed).toBe(fx.templates.length);

    const rated = fx.posts.filter((p) => p.status === 'published' && latest.get(p.id)?.rateMicro != null);
    // The baseline is the mean of the same workspace's posts on the same platform, exact (not
    // rounded): compared as k*n vs sum.
    const scope = (p: (typeof rated)[number]) => `${p.workspaceId}|${p.platformId}`;
    const perScope = new Map<string, number[]>();
    for (const p of rated) perScope.set(scope(p), [...(perScope.get(scope(p)) ?? []), latest.get(p.id)!.rateMicro!]);
    const beats = (p: (typeof rated)[number]) => {
      const v = perScope.get(scope(p))!;
      return latest.get(p.id)!.rateMicro! * v.length > v.reduce((s, x) => s + x, 0);
    };

    const got = await queryRows<{ id: string; usage_count: number; avg_engagement_rate: string | null; success_rate: string | null }>(
      t.db,
      sql`SELECT id, usage_count, avg_engagement_rate, success_rate FROM content_templates`,
    );
    for (const id of fx.templates) {
      const row = got.find((g) => g.id === id)!;
      const uses = fx.posts.filter((p) => p.templateId === id);
      const mine = rated.filter((p) => p.templateId === id);
      expect(Number(row.usage_count)).toBe(uses.length);
      expect(row.avg_engagement_rate === null ? null : Number(row.avg_engagement_rate)).toBe(
        avgRate(mine.map((p) => latest.get(p.id)!.rateMicro!)),
      );
      expect(row.success_rate === null ? null : Number(row.success_rate)).toBe(
        mine.length === 0 ? null : share4(mine.filter(beats).length, mine.length),
      );
    }
    expect(got.find((g) => g.id === fx.templates[2])).toMatchObject({ usage_count: 0, avg_engagement_rate: null, success_rate: null });
    // A second run finds nothing to change.
    expect(await refreshTemplatePerformance(t.db)).toBe(0);

    // The other brand's posts never raise the bar: the first brand's latest rates pushed far above
    // everything leave the second brand's templates exactly as they were (and change the first's).
    const [a, b] = brands();
    const figures = (tx: Db, ws: string) =>
      queryRows<{ id: string; success_rate: string | null }>(
        tx,
        sql`SELECT id, success_rate FROM content_templates WHERE workspace_id = ${ws}::uuid ORDER BY id`,
      );
    const [beforeA, beforeB] = [await figures(t.db, a), await figures(t.db, b)];
    expect(beforeB.some((r) => r.success_rate !== null && Number(r.success_rate) > 0)).toBe(true);
    const after = await rolledBack(t.db, async (tx) => {
      await tx.execute(sql`UPDATE post_analytics pa SET engagement_rate = 50 FROM post_latest_analytics l
                           WHERE l.post_id = pa.post_id AND l.analysis_date = pa.analysis_date AND l.workspace_id = ${a}::uuid
                             AND pa.post_id NOT IN (SELECT id FROM social_posts WHERE template_id IS NOT NULL)`);
      await refreshTemplatePerformance(tx);
      return { a: await figures(tx, a), b: await figures(tx, b) };
    });
    expect(after.b).toEqual(beforeB);
    expect(after.a).not.toEqual(beforeA);
  });
});

describe('post_latest_analytics stays exact as post_analytics changes', () => {
  const bruteForce = sql`
    SELECT count(*)::int AS n FROM (
      (SELECT DISTINCT ON (a.post_id) a.post_id, a.analysis_date, a.likes_count, a.comments_count, a.shares_count,
              a.saves_count, a.views_count, a.engagement_rate, a.profile_visits, a.website_clicks, p.platform_id,
              CASE WHEN p.status = 'published' THEN p.published_at END AS published_at, p.content_category
       FROM post_analytics a JOIN social_posts p ON p.id = a.post_id
       ORDER BY a.post_id, a.analysis_date DESC)
      EXCEPT
      (SELECT post_id, analysis_date, likes_count, comments_count, shares_count, saves_count, views_count,
              engagement_rate, profile_visits, website_clicks, platform_id, published_at, content_category
       FROM post_latest_analytics)
    ) d`;
  const sizes = sql`SELECT (SELECT count(DISTINCT post_id) FROM post_analytics)::int AS a, (SELECT count(*) FROM post_latest_analytics)::int AS l`;
  // posting_slot_stats, kept from post_latest_analytics by its own triggers, must follow too: rows
  // by which it differs from a brute-force aggregate, per workspace (both directions).
  const slotStatsDiff = sql`
    WITH want AS (
      SELECT workspace_id, date_trunc('week', published_at, 'UTC') AS week_start, platform_id,
             floor(extract(epoch FROM published_at) % 86400 / 900)::int AS slot,
             count(*)::int AS posts_count, sum(engagement_rate) AS rate_sum
      FROM post_latest_analytics
      WHERE published_at IS NOT NULL AND platform_id IS NOT NULL AND engagement_rate IS NOT NULL
      GROUP BY 1, 2, 3, 4
    ),
    have AS (SELECT workspace_id, week_start, platform_id, slot::int, posts_count, rate_sum FROM posting_slot_stats)
    SELECT (SELECT count(*) FROM (TABLE want EXCEPT TABLE have) a)::int
         + (SELECT count(*) FROM (TABLE have EXCEPT TABLE want) b)::int AS n`;
  async function expectExact() {
    const [diff] = await queryRows<{ n: number }>(t.db, bruteForce);
    const [n] = await queryRows<{ a: number; l: number }>(t.db, sizes);
    expect(Number(diff!.n)).toBe(0);
    expect(Number(n!.l)).toBe(Number(n!.a));
    const [slots] = await queryRows<{ n: number }>(t.db, slotStatsDiff);
    expect(Number(slots!.n), 'posting_slot_stats differs from post_latest_analytics').toBe(0);
  }

  it('after the bulk load, on update of the latest day, on a moved date, on delete, on post deletion', async () => {
    await expectExact();
    const [postId, rows] = [...groupBy(fx.analytics)].find(([, r]) => r.length >= 3)!;
    const last = rows.at(-1)!;
    await t.db.execute(sql`UPDATE post_analytics SET likes_count = likes_count + 1000 WHERE post_id = ${postId} AND analysis_date = ${last.date}`);
    await expectExact();
    // An older day moved past the newest one becomes the latest.
    await t.db.execute(sql`UPDATE post_analytics SET analysis_date = ${utcDate(new Date(Date.parse(last.date) + 3 * DAY))}::date
                           WHERE post_id = ${postId} AND analysis_date = ${rows[0]!.date}`);
    await expectExact();
    await t.db.execute(sql`DELETE FROM post_analytics WHERE post_id = ${postId} AND analysis_date = (SELECT max(analysis_date) FROM post_analytics WHERE post_id = ${postId})`);
    await expectExact();
    await t.db.execute(sql`DELETE FROM post_analytics WHERE post_id = ${postId}`);
    await expectExact();
    const other = [...groupBy(fx.analytics).keys()].find((id) => id !== postId)!;
    await t.db.execute(sql`DELETE FROM social_posts WHERE id = ${other}`);
    await expectExact();
    // The copies of the post's platform and publication follow the post.
    const [moved, unpublished, rescheduled] = [...groupBy(fx.analytics).keys()].filter((id) => id !== postId && id !== other);
    const youtube = [...fx.platforms].find(([, name]) => name === 'youtube')![0];
    await t.db.execute(sql`UPDATE social_posts SET platform_id = ${youtube} WHERE id = ${moved!}`);
    await expectExact();
    // A published post leaves 'published' only by the server's override of the publishing state machine.
    await t.db.transaction(async (tx) => {
      await tx.execute(sql`SELECT set_config('social.publish_state_override', 'on', true)`);
      await tx.execute(sql`UPDATE social_posts SET status = 'failed' WHERE id = ${unpublished!}`);
    });
    await expectExact();
    await t.db.execute(sql`UPDATE social_posts SET published_at = published_at - interval '1 hour' WHERE id = ${rescheduled!}`);
    await expectExact();
    await t.db.execute(sql`UPDATE social_posts SET content_category = 'community' WHERE id = ${moved!}`);
    await expectExact();
    const [copies] = await queryRows<{ platform_id: number; published_at: Date | null }>(
      t.db,
      sql`SELECT platform_id, published_at FROM post_latest_analytics WHERE post_id = ${unpublished!}`,
    );
    expect(copies!.published_at).toBeNull();
    // An upsert of unchanged values (a rollup re-run) changes nothing.
    await t.db.execute(sql`INSERT INTO post_analytics SELECT * FROM post_analytics ON CONFLICT (post_id, analysis_date) DO UPDATE SET likes_count = excluded.likes_count`);
    await expectExact();
  });

  it('TRUNCATE empties it', async () => {
    const left = await rolledBack(t.db, async (tx) => {
      await tx.execute(sql`TRUNCATE post_analytics`);
      return queryRows<{ n: number }>(tx, sql`SELECT count(*)::int AS n FROM post_latest_analytics`);
    });
    expect(Number(left[0]!.n)).toBe(0);
    await expectExact();
  });
});
