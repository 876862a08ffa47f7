import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { queryRows, type Db } from '../src/db.js';
import { recordPostInsights, refreshPostAnalytics } from '../src/queries/analytics.js';
import { useTestDb } from './support/db.js';
import { createAccount, createPost, createUser, insertEvents, type EventFixture } from './support/fixtures.js';

const t = useTestDb();

interface Derived {
  day: string;
  likes: number;
  hours: number | null;
  rate: number | null;
  conversions: number;
  virality: number | null;
  quality: number | null;
  relevance: number | null;
}

async function derived(db: Db, postId: string): Promise<Derived[]> {
  const rows = await queryRows<Record<string, unknown>>(
    db,
    sql`SELECT analysis_date::text AS day, likes_count AS likes, hours_since_published AS hours,
               engagement_rate::float8 AS rate, conversion_events AS conversions, virality_score AS virality,
               quality_score AS quality, relevance_score AS relevance
        FROM post_analytics WHERE post_id = ${postId}::uuid ORDER BY analysis_date`,
  );
  return rows.map((r) => ({
    day: String(r.day),
    likes: Number(r.likes),
    hours: r.hours === null ? null : Number(r.hours),
    rate: r.rate === null ? null : Number(r.rate),
    conversions: Number(r.conversions),
    virality: r.virality === null ? null : Number(r.virality),
    quality: r.quality === null ? null : Number(r.quality),
    relevance: r.relevance === null ? null : Number(r.relevance),
  }));
}

let key = 50_000_000;
const ev = (postId: string, at: string, type: string, n = 1): EventFixture[] =>
  Array.from({ length: n }, (_, i) => ({ postId, at: at.replace('Z', `.${String(i % 1000).padStart(3, '0')}Z`), key: key++, type }));

describe('engagement rate from follower history', () => {
  it('divides by the followers of the posting account on that day, NULL where unknown or zero', async () => {
    const db = t.db;
    const user = await createUser(db);
    const account = await createAccount(db, user);
    const bare = await createAccount(db, user);
    await db.execute(sql`INSERT INTO account_follower_history (account_id, recorded_on, follower_count)
      VALUES (${account}::uuid, '2026-11-02', 1000), (${account}::uuid, '2026-11-05', 2000)`);
    const post = await createPost(db, { userId: user, accountId: account, publishedAt: '2026-11-01T06:00:00Z' });
    const noHistory = await createPost(db, { userId: user, accountId: bare });
    const noAccount = await createPost(db, { userId: user, accountId: null });
    await insertEvents(db, [
      ...ev(post, '2026-11-01T10:00:00Z', 'like', 5), // before any history: unknown
      ...ev(post, '2026-11-03T10:00:00Z', 'like', 10),
      ...ev(post, '2026-11-03T11:00:00Z', 'comment', 5),
      ...ev(post, '2026-11-03T12:00:00Z', 'share', 5),
      ...ev(post, '2026-11-03T13:00:00Z', 'view', 50), // views are not interactions
      ...ev(post, '2026-11-06T10:00:00Z', 'like', 20),
      ...ev(noHistory, '2026-11-03T10:00:00Z', 'like', 3),
      ...ev(noAccount, '2026-11-03T10:00:00Z', 'like', 3),
    ]);
    await refreshPostAnalytics(db);

    const rows = await derived(db, post);
    expect(rows.map((r) => [r.day, r.rate])).toEqual([
      ['2026-11-01', null],
      ['2026-11-03', 0.025], // (15 likes + 5 comments + 5 shares) / 1000
      ['2026-11-06', 0.0225], // 45 / 2000 (history of 11-05)
    ]);
    expect((await derived(db, noHistory))[0]!.rate).toBeNull();
    expect((await derived(db, noAccount))[0]!.rate).toBeNull();

    // History recorded late (a backfill for 11-03, a zero count for 11-06) re-rates those days at the
    // next incremental refresh, without any new event.
    await db.execute(sql`INSERT INTO account_follower_history (account_id, recorded_on, follower_count)
      VALUES (${account}::uuid, '2026-11-03', 500), (${account}::uuid, '2026-11-06', 0)`);
    const result = await refreshPostAnalytics(db);
    expect(result.queuedEvents).toBe(0);
    expect((await derived(db, post)).map((r) => [r.day, r.rate])).toEqual([
      ['2026-11-01', null],
      ['2026-11-03', 0.05],
      ['2026-11-06', null],
    ]);
  });

  it('caps the rate instead of overflowing numeric(10,6) when a tiny account goes viral', async () => {
    const db = t.db;
    const user = await createUser(db);
    const account = await createAccount(db, user);
    await db.execute(sql`INSERT INTO account_follower_history VALUES (${account}::uuid, '2026-11-01', 1)`);
    const post = await createPost(db, { userId: user, accountId: account });
    await db.execute(sql`INSERT INTO engagement_events (post_id, event_timestamp, event_key, event_type)
      SELECT ${post}::uuid, '2026-11-02T00:00:00Z'::timestamptz + g * interval '1 ms', 60000000 + g, 'like'
      FROM generate_series(1, 12000) g`);
    await refreshPostAnalytics(db);
    expect((await derived(db, post))[0]).toMatchObject({ likes: 12000, rate: 9999.999999 });
  });
});

describe('hours since publication and conversions', () => {
  it('hours run to the end of the row day; conversions are cumulative to that day and follow new conversions', async () => {
    const db = t.db;
    const user = await createUser(db);
    const post = await createPost(db, { userId: user, publishedAt: '2026-11-10T18:30:00Z' });
    await insertEvents(db, [...ev(post, '2026-11-10T20:00:00Z', 'like'), ...ev(post, '2026-11-12T09:00:00Z', 'like')]);
    await db.execute(sql`INSERT INTO social_conversions (post_id, conversion_type, conversion_at)
      VALUES (${post}::uuid, 'email_signup', '2026-11-10T21:00:00Z'), (${post}::uuid, 'purchase', '2026-11-12T23:59:59Z'),
             (${post}::uuid, 'purchase', '2026-11-13T00:00:00Z')`);
    await refreshPostAnalytics(db);
    expect((await derived(db, post)).map((r) => [r.day, r.hours, r.conversions])).toEqual([
      ['2026-11-10', 5], // 18:30 to midnight: 5.5 h, whole hours
      ['2026-11-12', 53],
    ].map(([d, h], i) => [d, h, i === 0 ? 1 : 2]));

    // A conversion recorded later for an old day is counted at the next refresh.
    await db.execute(sql`INSERT INTO social_conversions (post_id, conversion_type, conversion_at)
      VALUES (${post}::uuid, 'trial_start', '2026-11-11T08:00:00Z')`);
    await refreshPostAnalytics(db);
    expect((await derived(db, post)).map((r) => r.conversions)).toEqual([1, 3]);

    // Publication time corrected: hours follow.
    await db.execute(sql`UPDATE social_posts SET published_at = '2026-11-10T12:00:00Z' WHERE id = ${post}::uuid`);
    await refreshPostAnalytics(db);
    expect((await derived(db, post)).map((r) => r.hours)).toEqual([12, 60]);
  });
});

describe('stale marks under row-level security', () => {
  it('a signed-in owner editing their post marks its analytics stale without any right on the internal table', async () => {
    const db = t.db;
    const user = await createUser(db);
    const post = await createPost(db, { userId: user, category: 'workout' });
    await insertEvents(db, ev(post, '2026-11-05T10:00:00Z', 'like'));
    await refreshPostAnalytics(db);
    expect((await derived(db, post))[0]!.relevance).toBe(40);
    const conn = await db.$client.reserve();
    try {
      await conn.unsafe('BEGIN');
      await conn.unsafe(`SELECT set_config('request.jwt.claims', $1, true)`, [JSON.stringify({ sub: user, role: 'authenticated' })]);
      await conn.unsafe('SET LOCAL ROLE authenticated');
      await expect(conn.unsafe('SELECT count(*) FROM post_analytics_stale')).rejects.toThrow(/permission denied/);
      await conn.unsafe('ROLLBACK');
      await conn.unsafe('BEGIN');
      await conn.unsafe(`SELECT set_config('request.jwt.claims', $1, true)`, [JSON.stringify({ sub: user, role: 'authenticated' })]);
      await conn.unsafe('SET LOCAL ROLE authenticated');
      const updated = await conn.unsafe(`UPDATE social_posts SET content_category = 'promotion' WHERE id = $1 RETURNING id`, [post]);
      expect(updated).toHaveLength(1);
      await conn.unsafe('COMMIT');
    } finally {
      conn.release();
    }
    await refreshPostAnalytics(db);
    expect((await derived(db, post))[0]!.relevance).toBe(16); // promotion 40 * 0.4
  });
});

describe('scores', () => {
  it('follow their documented formulas, stay within 0-100 and are not NULL where their inputs exist', async () => {
    const db = t.db;
    const user = await createUser(db);
    const account = await createAccount(db, user);
    const solo = await createPost(db, {
      userId: user,
      accountId: account,
      publishedAt: '2026-11-14T00:00:00Z',
      category: 'workout',
      hashtags: ['LegDay', 'gym'],
    });
    // 1,000 views, 10 saves (1 %), 5 comments (0.5 %): both at their reference, so quality 50.
    await insertEvents(db, [
      ...ev(solo, '2026-11-14T10:00:00Z', 'view', 1000),
      ...ev(solo, '2026-11-14T11:00:00Z', 'save', 10),
      ...ev(solo, '2026-11-14T12:00:00Z', 'comment', 5),
      ...ev(solo, '2026-11-14T13:00:00Z', 'share', 4),
    ]);
    await refreshPostAnalytics(db);
    let [row] = await derived(db, solo);
    // Alone on its account, its share rate is the median: 4 / (4 + 4) = 0.5.
    expect(row).toMatchObject({ quality: 50, virality: 50, relevance: 40 }); // workout 100 * 0.4, no trend

    // A trending hashtag of the post's platform, matched case-insensitively: 0.4 * 100 + 0.6 * 90 = 94.
    await db.execute(sql`INSERT INTO trending_topics (topic_name, topic_type, platform_id, trend_status, fitness_relevance_score, first_detected_at, last_updated_at)
      SELECT 'legday', 'hashtag', id, 'trending', 90, '2026-11-13T00:00:00Z', '2026-11-15T00:00:00Z' FROM social_platforms WHERE name = 'instagram'`);
    await refreshPostAnalytics(db, { since: new Date('2026-11-14T00:00:00Z') });
    [row] = await derived(db, solo);
    expect(row!.relevance).toBe(94);

    // Watch time from insights joins quality: 10 s per view is its reference, so quality stays 50.
    await recordPostInsights(db, {
      postId: solo,
      platform: 'instagram',
      metrics: { ig_reels_avg_watch_time: 10_000, reach: 800 },
      capturedAt: '2026-11-14T20:00:00Z',
    });
    [row] = await derived(db, solo);
    expect(row!.quality).toBe(50);
    // Reach alone on the account: also its median, so virality stays 50.
    expect(row!.virality).toBe(50);

    // A sibling with ten times the shares per hour beats the account's median; one with none scores 0.
    const viral = await createPost(db, { userId: user, accountId: account, publishedAt: '2026-11-14T00:00:00Z' });
    const flat = await createPost(db, { userId: user, accountId: account, publishedAt: '2026-11-14T00:00:00Z' });
    await insertEvents(db, [...ev(viral, '2026-11-14T15:00:00Z', 'share', 40), ...ev(flat, '2026-11-14T15:00:00Z', 'like', 3)]);
    await refreshPostAnalytics(db);
    const [v] = await derived(db, viral);
    const [f] = await derived(db, flat);
    // Median of (4, 40, 0) shares per 24 h is 4/24: 40/24 scores 100 * 40 / (40 + 4) = 91.
    expect(v!.virality).toBe(91);
    expect(f!.virality).toBe(0);
    // Nothing viewed and nothing reached: quality has no input and stays NULL; the others do not.
    expect(f).toMatchObject({ quality: null, relevance: 8 }); // no category: 20 * 0.4

    const all = await queryRows<{ bad: number; nulls: number }>(
      db,
      sql`SELECT count(*) FILTER (WHERE virality_score NOT BETWEEN 0 AND 100 OR relevance_score NOT BETWEEN 0 AND 100
                                   OR quality_score NOT BETWEEN 0 AND 100)::int AS bad,
                 count(*) FILTER (WHERE virality_score IS NULL OR relevance_score IS NULL
                                   OR (quality_score IS NULL AND (views_count > 0 OR reach > 0)))::int AS nulls
          FROM post_analytics`,
    );
    expect(all[0]).toEqual({ bad: 0, nulls: 0 });
  });
});

describe('peers and trends stay within a workspace', () => {
  it('an author working for two brands is compared with each brand\'s posts apart, and a brand\'s trends score only its posts', async () => {
    const db = t.db;
    const user = await createUser(db);
    // A second brand the same person owns (an agency): their posts there, without an account, on the
    // same platform, would be the same peers if peers were keyed by author alone.
    const [other] = await queryRows<{ id: string }>(
      db,
      sql`WITH w AS (INSERT INTO workspaces (name, slug) VALUES ('Second brand', ${`second-${user.slice(0, 8)}`}) RETURNING id),
               m AS (INSERT INTO workspace_members (workspace_id, user_id, role) SELECT w.id, ${user}::uuid, 'owner' FROM w)
          SELECT id::text FROM w`,
    );
    const at = '2026-11-14T00:00:00Z';
    const mine = await createPost(db, { userId: user, accountId: null, publishedAt: at, category: 'workout', hashtags: ['glutefocus'] });
    const theirs = await createPost(db, {
      userId: user,
      workspaceId: other!.id,
      accountId: null,
      publishedAt: at,
      category: 'workout',
      hashtags: ['glutefocus'],
    });
    await insertEvents(db, [...ev(mine, '2026-11-14T15:00:00Z', 'share', 4), ...ev(theirs, '2026-11-14T15:00:00Z', 'share', 40)]);
    // A trend of the second brand alone (detected from its own posts and comments); a hashtag no other
    // test makes a market trend of.
    await db.execute(sql`INSERT INTO trending_topics (workspace_id, topic_name, topic_type, platform_id, trend_status, fitness_relevance_score, first_detected_at, last_updated_at)
      SELECT ${other!.id}::uuid, 'glutefocus', 'hashtag', id, 'trending', 90, '2026-11-13T00:00:00Z', '2026-11-15T00:00:00Z'
      FROM social_platforms WHERE name = 'instagram'`);
    await refreshPostAnalytics(db);
    // Each post alone among its brand's peers: its share rate is the median, 50. Together the median
    // of (4, 40) would give the first 4 / (4 + 22) = 15.
    expect((await derived(db, mine))[0]).toMatchObject({ virality: 50, relevance: 40 }); // workout 100 * 0.4, no trend of its own
    expect((await derived(db, theirs))[0]).toMatchObject({ virality: 50, relevance: 94 }); // + 0.6 * 90
  });
});
