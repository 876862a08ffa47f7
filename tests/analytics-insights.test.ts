import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { close, createEmbeddedDb, queryRows, type Db } from '../src/db.js';
import { migrate } from '../src/migrate.js';
import { listMetricCatalog, recordPostInsights, refreshPostAnalytics } from '../src/queries/analytics.js';
import { useTestDb } from './support/db.js';
import { createAccount, createPost, createUser, insertEvents } from './support/fixtures.js';

const t = useTestDb();

async function row(db: Db, postId: string, day: string) {
  const rows = await queryRows<Record<string, unknown>>(
    db,
    sql`SELECT reach::int AS reach, impressions::int AS impressions, watch_time_seconds::int AS watch,
               avg_watch_time_seconds::float8 AS avg_watch, views_count::int AS views, likes_count::int AS likes,
               platform_metrics AS pm, insights_captured_at AS captured
        FROM post_analytics WHERE post_id = ${postId}::uuid AND analysis_date = ${day}::date`,
  );
  return rows[0];
}

describe('recordPostInsights: each platform documented payload lands in the right columns', () => {
  it('Instagram Graph API media insights (data[] of name/values), with a retired and an unknown metric', async () => {
    const db = t.db;
    const user = await createUser(db);
    const post = await createPost(db, { userId: user, accountId: await createAccount(db, user), mediaType: 'reel' });
    // GET /{ig-media-id}/insights?metric=views,reach,saved,shares,profile_visits,ig_reels_avg_watch_time,...
    const payload = {
      data: [
        { name: 'views', period: 'lifetime', values: [{ value: 15230 }], title: 'Views', description: '...', id: '1/insights/views/lifetime' },
        { name: 'reach', period: 'lifetime', values: [{ value: 9120 }], title: 'Accounts reached', id: '1/insights/reach/lifetime' },
        { name: 'saved', period: 'lifetime', values: [{ value: 311 }], id: '1/insights/saved/lifetime' },
        { name: 'shares', period: 'lifetime', values: [{ value: 87 }], id: '1/insights/shares/lifetime' },
        { name: 'profile_visits', period: 'lifetime', values: [{ value: 45 }], id: '1/insights/profile_visits/lifetime' },
        { name: 'ig_reels_avg_watch_time', period: 'lifetime', values: [{ value: 6350 }], id: 'x' },
        { name: 'ig_reels_video_view_total_time', period: 'lifetime', values: [{ value: 96710500 }], id: 'y' },
        { name: 'total_interactions', period: 'lifetime', total_value: { value: 1200 }, id: 'z' },
        { name: 'impressions', period: 'lifetime', values: [{ value: 20000 }], id: 'old' },
        { name: 'some_2027_metric', period: 'lifetime', values: [{ value: 3 }], id: 'new' },
      ],
      paging: { previous: 'https://graph.facebook.com/...' },
    };
    const result = await recordPostInsights(db, { postId: post, platform: 'instagram', metrics: payload, capturedAt: '2026-11-20T09:15:00Z' });
    expect(result).toMatchObject({
      analysisDate: '2026-11-20',
      columns: ['avg_watch_time_seconds', 'impressions', 'reach', 'watch_time_seconds'],
      unknown: ['some_2027_metric'],
      deprecated: ['impressions'],
      rejected: [],
      ignored: ['paging'],
    });
    expect(await row(db, post, '2026-11-20')).toMatchObject({
      reach: 9120,
      impressions: 20000,
      watch: 96711, // ms to s, rounded
      avg_watch: 6.35,
      views: 0, // the views column counts events; the platform's figure is kept beside it
      pm: { views: 15230, saves: 311, shares: 87, profile_visits: 45, total_interactions: 1200, 'instagram:some_2027_metric': 3 },
    });
  });

  it('TikTok Display API video object and Business API video insights', async () => {
    const db = t.db;
    const user = await createUser(db);
    const post = await createPost(db, { userId: user, accountId: await createAccount(db, user, 'tiktok'), platform: 'tiktok' });
    // POST /v2/video/query/?fields=id,title,view_count,like_count,comment_count,share_count,duration
    const display = {
      data: { videos: [{ id: '7301234567890123456', title: 'Leg day', view_count: 48210, like_count: 3900, comment_count: 120, share_count: 260, duration: 34 }] },
      error: { code: 'ok', message: '', log_id: '20261120' },
    };
    const first = await recordPostInsights(db, { postId: post, platform: 'tiktok', metrics: display, capturedAt: new Date('2026-11-19T08:00:00Z') });
    expect(first.ignored.sort()).toEqual(['error', 'id', 'title']);
    expect(first.unknown).toEqual([]);
    expect(await row(db, post, '2026-11-19')).toMatchObject({
      reach: null,
      pm: { views: 48210, likes: 3900, comments: 120, shares: 260, video_duration_seconds: 34 },
    });
    // Business API: GET /business/video/list/ with fields=item_id,video_views,reach,total_time_watched,...
    const business = {
      data: {
        videos: [{ item_id: '7301234567890123456', video_views: 51000, reach: 40100, total_time_watched: 612000, average_time_watched: 12.4, full_video_watched_rate: 0.31, favorites: 95, profile_views: 70 }],
      },
    };
    await recordPostInsights(db, { postId: post, platform: 'tiktok', metrics: business, capturedAt: '2026-11-20T08:00:00Z' });
    expect(await row(db, post, '2026-11-20')).toMatchObject({
      reach: 40100,
      watch: 612000,
      avg_watch: 12.4,
      // The day before's values are kept where this capture has none (lifetime totals carry forward).
      pm: { views: 51000, likes: 3900, saves: 95, full_watch_rate: 0.31, profile_visits: 70 },
    });
  });

  it('YouTube Analytics API report (columnHeaders/rows) and Data API statistics (numeric strings)', async () => {
    const db = t.db;
    const user = await createUser(db);
    const post = await createPost(db, { userId: user, accountId: await createAccount(db, user, 'youtube'), platform: 'youtube' });
    // GET youtubeAnalytics/v2/reports?dimensions=video&filters=video==ID&metrics=views,estimatedMinutesWatched,...
    const report = {
      kind: 'youtubeAnalytics#resultTable',
      columnHeaders: [
        { name: 'video', columnType: 'DIMENSION', dataType: 'STRING' },
        { name: 'views', columnType: 'METRIC', dataType: 'INTEGER' },
        { name: 'engagedViews', columnType: 'METRIC', dataType: 'INTEGER' },
        { name: 'estimatedMinutesWatched', columnType: 'METRIC', dataType: 'INTEGER' },
        { name: 'averageViewDuration', columnType: 'METRIC', dataType: 'INTEGER' },
        { name: 'likes', columnType: 'METRIC', dataType: 'INTEGER' },
        { name: 'subscribersGained', columnType: 'METRIC', dataType: 'INTEGER' },
        { name: 'averageViewPercentage', columnType: 'METRIC', dataType: 'FLOAT' },
      ],
      rows: [['dQw4w9WgXcQ', 12000, 9800, 1500, 41, 640, 33, 72.5]],
    };
    const r1 = await recordPostInsights(db, { postId: post, platform: 'youtube', metrics: report, capturedAt: '2026-11-21T06:00:00Z' });
    expect(r1.ignored).toEqual(['video']);
    expect(await row(db, post, '2026-11-21')).toMatchObject({
      watch: 90000, // 1,500 minutes
      avg_watch: 41,
      pm: { views: 12000, engaged_views: 9800, likes: 640, follows: 33, avg_view_percentage: 72.5 },
    });
    // GET youtube/v3/videos?part=statistics&id=ID: counts arrive as strings.
    const stats = { kind: 'youtube#videoListResponse', items: [{ id: 'dQw4w9WgXcQ', statistics: { viewCount: '12850', likeCount: '702', favoriteCount: '0', commentCount: '58' } }] };
    const r2 = await recordPostInsights(db, { postId: post, platform: 'youtube', metrics: stats, capturedAt: '2026-11-21T18:00:00Z' });
    expect(r2.deprecated).toEqual(['favoriteCount']);
    expect((await row(db, post, '2026-11-21'))!.pm).toMatchObject({ views: 12850, likes: 702, comments: 58, favorites: 0 });
  });
});

describe('recordPostInsights: days, order and bad input', () => {
  it('later days inherit a capture until they have their own; an older capture never overwrites a newer one', async () => {
    const db = t.db;
    const user = await createUser(db);
    const post = await createPost(db, { userId: user });
    await insertEvents(db, [
      { postId: post, at: '2026-11-10T10:00:00Z', key: 70_000_001, type: 'like' },
      { postId: post, at: '2026-11-12T10:00:00Z', key: 70_000_002, type: 'like' },
    ]);
    await refreshPostAnalytics(db);
    await recordPostInsights(db, { postId: post, platform: 'instagram', metrics: { reach: 100 }, capturedAt: '2026-11-10T20:00:00Z' });
    expect((await row(db, post, '2026-11-12'))!.reach).toBe(100); // inherited
    await recordPostInsights(db, { postId: post, platform: 'instagram', metrics: { reach: 300 }, capturedAt: '2026-11-12T20:00:00Z' });
    await recordPostInsights(db, { postId: post, platform: 'instagram', metrics: { reach: 200, impressions: 900 }, capturedAt: '2026-11-11T20:00:00Z' });
    // 11-11 is a new row: counts carried from 11-10, insights its own.
    expect(await row(db, post, '2026-11-11')).toMatchObject({ reach: 200, impressions: 900, likes: 1 });
    // 11-12 keeps its own newer reach; it only gains the impressions it lacked.
    expect(await row(db, post, '2026-11-12')).toMatchObject({ reach: 300, impressions: 900, likes: 2 });
    // Events keep folding into rows insights created.
    await insertEvents(db, [{ postId: post, at: '2026-11-11T05:00:00Z', key: 70_000_003, type: 'like' }]);
    await refreshPostAnalytics(db);
    expect((await row(db, post, '2026-11-11'))!.likes).toBe(2);
    expect((await row(db, post, '2026-11-12'))!.likes).toBe(3);
  });

  it('keeps the valid metrics of a payload with bad ones and reports each refusal', async () => {
    const db = t.db;
    const user = await createUser(db);
    const post = await createPost(db, { userId: user });
    const result = await recordPostInsights(db, {
      postId: post,
      platform: 'instagram',
      metrics: { reach: 50, views: -3, shares: 'many', saved: '12' },
      capturedAt: '2026-11-15T10:00:00Z',
    });
    expect(result.rejected).toEqual([
      { metric: 'views', reason: '-3 is negative' },
      { metric: 'shares', reason: '"many" is not a number' },
    ]);
    expect(await row(db, post, '2026-11-15')).toMatchObject({ reach: 50, pm: { saves: 12 } });
  });

  it('refuses bad input with the field and the reason', async () => {
    const db = t.db;
    const user = await createUser(db);
    const post = await createPost(db, { userId: user, platform: 'tiktok', accountId: null });
    const base = { postId: post, platform: 'tiktok' as const, metrics: { view_count: 1 }, capturedAt: '2026-11-15T10:00:00Z' };
    await expect(recordPostInsights(db, { ...base, postId: 'nope' })).rejects.toThrow(/recordPostInsights: postId: /);
    await expect(recordPostInsights(db, { ...base, platform: 'instagram' })).rejects.toThrow(/platform: post .* is on tiktok, not instagram/);
    await expect(recordPostInsights(db, { ...base, postId: '00000000-0000-4000-8000-000000000000' })).rejects.toThrow(/postId: no post/);
    await expect(recordPostInsights(db, { ...base, capturedAt: '2099-01-01T00:00:00Z' })).rejects.toThrow(/capturedAt: is in the future/);
    await expect(recordPostInsights(db, { ...base, metrics: { view_count: Number.NaN } })).rejects.toThrow(/metrics\.view_count: NaN is not a finite number/);
    await expect(recordPostInsights(db, { ...base, metrics: {} })).rejects.toThrow(/metrics: holds no metric/);
    await expect(
      recordPostInsights(db, { ...base, metrics: { data: { videos: [{ view_count: 1 }, { view_count: 2 }] } } }),
    ).rejects.toThrow(/metrics\.data\.videos: holds 2 videos/);
  });
});

describe('metric catalog', () => {
  it('names 50+ per-post metrics across the three platforms, with Meta retirements', async () => {
    const catalog = await listMetricCatalog(t.db);
    expect(catalog.length).toBeGreaterThanOrEqual(50);
    for (const platform of ['instagram', 'tiktok', 'youtube']) {
      expect(catalog.filter((m) => m.platform === platform).length).toBeGreaterThanOrEqual(10);
    }
    const ig = (name: string) => catalog.find((m) => m.platform === 'instagram' && m.nativeName === name);
    expect(ig('impressions')).toMatchObject({ deprecatedAt: '2025-04-21', replacedBy: 'views', targetColumn: 'impressions' });
    expect(ig('plays')).toMatchObject({ deprecatedAt: '2025-04-21', replacedBy: 'views' });
    expect(ig('views')).toMatchObject({ deprecatedAt: null });
    const current = await listMetricCatalog(t.db, { platform: 'instagram', includeDeprecated: false });
    expect(current.every((m) => m.deprecatedAt === null && m.platform === 'instagram')).toBe(true);
    expect(current.length).toBeLessThan(catalog.filter((m) => m.platform === 'instagram').length);
    for (const m of catalog) expect(m.description.length).toBeGreaterThan(5);
  });
});

describe('embedded PGlite', () => {
  it('runs the same refresh and insights functions', async () => {
    const db = await createEmbeddedDb();
    try {
      await migrate(db);
      const user = await createUser(db);
      const account = await createAccount(db, user);
      await db.execute(sql`INSERT INTO account_follower_history VALUES (${account}::uuid, '2026-11-01', 100)`);
      const post = await createPost(db, { userId: user, accountId: account });
      await insertEvents(db, [
        { postId: post, at: '2026-11-02T10:00:00Z', key: 1, type: 'like' },
        { postId: post, at: '2026-11-02T11:00:00Z', key: 2, type: 'comment' },
        { postId: post, at: '2026-11-03T11:00:00Z', key: 3, type: 'like' },
      ]);
      expect(await refreshPostAnalytics(db)).toMatchObject({ queuedEvents: 3, rowsInserted: 2 });
      await recordPostInsights(db, { postId: post, platform: 'instagram', metrics: { reach: 40 }, capturedAt: '2026-11-03T12:00:00Z' });
      const rows = await queryRows<{ d: string; likes: number; rate: string | number; reach: number | null }>(
        db,
        sql`SELECT analysis_date::text AS d, likes_count AS likes, engagement_rate::text AS rate, reach::int AS reach
            FROM post_analytics ORDER BY 1`,
      );
      expect(rows).toEqual([
        { d: '2026-11-02', likes: 1, rate: '0.020000', reach: null },
        { d: '2026-11-03', likes: 2, rate: '0.030000', reach: 40 },
      ]);
    } finally {
      await close(db);
    }
  });
});
