import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { close, queryRows, type Db, type PostgresDb } from '../src/db.js';
import { pgErrorOf } from '../src/pg-error.js';
import {
  getBestPostingHours,
  getConversionFunnel,
  getDailyPlatformMetrics,
  getPostEngagementOverTime,
  getTopContentByCategory,
  InvalidInputError,
} from '../src/queries/index.js';
import { buildFixture, latestByPost, type Fixture, type FxAnalytics } from './support/dashboard-fixture.js';
import { asApi, authenticatorDb, signedIn } from './support/api.js';
import { useTestDb } from './support/db.js';

// Dashboards as a Supabase app reads them: through the Data API's roles, filtered by row-level
// security, for an agency whose two brands (workspaces) must never mix. Each role of a workspace gets
// exactly its brand's rows; conversions are an analyst's, so a viewer gets NULL there, never 0.

const t = useTestDb();
let fx: Fixture;
let latest: Map<string, FxAnalytics>;
let api: PostgresDb;
const DAY = 86_400_000;
/** Users of the first brand by role, an analyst of the second only, a person in both brands, a customer of the fitness app. */
const who = { viewer: randomUUID(), analyst: randomUUID(), otherBrand: randomUUID(), both: '', customer: randomUUID() };

beforeAll(async () => {
  fx = await buildFixture(t.db, { seed: 1515, posts: 140 });
  latest = latestByPost(fx);
  const [a, b] = fx.workspaces as [string, string];
  // The second brand's owner is also a viewer of the first.
  who.both = fx.users[1]!;
  for (const id of [who.viewer, who.analyst, who.otherBrand, who.customer]) await t.db.execute(sql`INSERT INTO auth.users (id) VALUES (${id}::uuid)`);
  await t.db.execute(sql`INSERT INTO workspace_members (workspace_id, user_id, role) VALUES
    (${a}::uuid, ${who.viewer}::uuid, 'viewer'), (${a}::uuid, ${who.analyst}::uuid, 'analyst'), (${a}::uuid, ${who.both}::uuid, 'viewer'),
    (${b}::uuid, ${who.otherBrand}::uuid, 'analyst')`);
  api = authenticatorDb(t.url);
});
afterAll(async () => {
  if (api) await close(api);
});

interface Row {
  post_id: string;
  conversion_count: number | null;
  revenue: string | null;
}

/** The top content of these workspaces, 120 days, by brute force: ids and exact conversion counts. */
function expected(workspaces: string[], limit = 50) {
  const since = Date.now() - 120 * DAY;
  return fx.posts
    .filter((p) => workspaces.includes(p.workspaceId) && p.status === 'published' && p.publishedAt!.getTime() >= since && latest.has(p.id))
    .map((p) => ({ postId: p.id, workspaceId: p.workspaceId, rate: latest.get(p.id)!.rateMicro, conversions: fx.conversions.filter((c) => c.postId === p.id).length }))
    .sort((x, y) => (x.rate === y.rate ? (x.postId < y.postId ? -1 : 1) : x.rate === null ? 1 : y.rate === null ? -1 : y.rate - x.rate))
    .slice(0, limit);
}

const rpc = (user: string, workspace: string | null) =>
  asApi(
    api,
    signedIn(user),
    (tx) =>
      queryRows<Row & Record<string, unknown>>(
        tx,
        sql`SELECT post_id, conversion_count, revenue FROM get_top_content_by_category(NULL, 120, ${workspace}::uuid)`,
      ),
    { rollback: true },
  );

describe('get_top_content_by_category through row-level security, by role', () => {
  it('a viewer gets their brand\'s posts with conversions NULL (not theirs to read), an analyst the exact counts', async () => {
    const [a] = fx.workspaces as [string, string];
    const want = expected([a]);
    expect(want.some((w) => w.conversions > 0)).toBe(true);
    const viewer = await rpc(who.viewer, null);
    expect(viewer.map((r) => r.post_id)).toEqual(want.map((w) => w.postId));
    expect(viewer.every((r) => r.conversion_count === null && r.revenue === null)).toBe(true);
    const analyst = await rpc(who.analyst, a);
    expect(analyst.map((r) => r.post_id)).toEqual(want.map((w) => w.postId));
    expect(analyst.map((r) => r.conversion_count)).toEqual(want.map((w) => w.conversions));
    expect(analyst.every((r) => r.revenue !== null)).toBe(true);
  });

  it('a member of both brands gets both, each row with what their role there allows; one brand when named', async () => {
    const [a, b] = fx.workspaces as [string, string];
    const want = expected([a, b]);
    expect(new Set(want.map((w) => w.workspaceId)).size).toBe(2);
    const both = await rpc(who.both, null);
    expect(both.map((r) => r.post_id)).toEqual(want.map((w) => w.postId));
    // Viewer of a: NULL there; owner of b: the counts.
    expect(both.map((r) => r.conversion_count)).toEqual(want.map((w) => (w.workspaceId === a ? null : w.conversions)));
    const onlyA = await rpc(who.both, a);
    expect(onlyA.map((r) => r.post_id)).toEqual(expected([a]).map((w) => w.postId));
    const onlyB = await rpc(who.both, b);
    expect(onlyB.map((r) => r.post_id)).toEqual(expected([b]).map((w) => w.postId));
  });

  it('a customer of the fitness app (no membership) gets nothing, even naming a workspace; nor does another brand\'s analyst', async () => {
    const [a] = fx.workspaces as [string, string];
    expect(expected([a]).length).toBeGreaterThan(0);
    expect(await rpc(who.customer, null)).toEqual([]);
    expect(await rpc(who.customer, a)).toEqual([]);
    expect(await rpc(who.otherBrand, a)).toEqual([]);
  });

  it('the TypeScript wrapper through RLS: a viewer\'s conversionCount is null, and another brand is an error naming workspaceId', async () => {
    const [a, b] = fx.workspaces as [string, string];
    const rows = await asApi(api, signedIn(who.viewer), (tx) => getTopContentByCategory(tx, { workspaceId: a, days: 120 }), { rollback: true });
    expect(rows.map((r) => r.postId)).toEqual(expected([a]).map((w) => w.postId));
    expect(rows.every((r) => r.conversionCount === null && r.revenue === null)).toBe(true);
    const err = await asApi(
      api,
      signedIn(who.viewer),
      (tx) => getTopContentByCategory(tx, { workspaceId: b }).then(() => null, (e: unknown) => e),
      { rollback: true },
    );
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as Error).message).toBe(`getTopContentByCategory: workspaceId: no workspace ${b} (or not one the caller is a member of)`);
  });
});

describe('server-only reads', () => {
  it('daily metrics, best posting hours and the funnel are refused to a member\'s connection (materialized views, posting_slot_stats)', async () => {
    const [a] = fx.workspaces as [string, string];
    const reads: [string, (tx: Db) => Promise<unknown>][] = [
      ['getDailyPlatformMetrics', (tx) => getDailyPlatformMetrics(tx, { workspaceId: a })],
      ['getBestPostingHours', (tx) => getBestPostingHours(tx, { workspaceId: a })],
      ['getConversionFunnel', (tx) => getConversionFunnel(tx, { by: 'platform', workspaceId: a })],
    ];
    for (const [name, read] of reads) {
      const code = await asApi(api, signedIn(fx.users[0]!), (tx) => read(tx).then(() => 'read', (e: unknown) => pgErrorOf(e).code), { rollback: true });
      expect({ name, code }).toEqual({ name, code: '42501' });
      // The server reads them for that workspace.
      await expect(read(t.db)).resolves.toBeInstanceOf(Array);
    }
  });
});

describe('direct reads through row-level security', () => {
  it('post_latest_analytics top 50 by rate: the brand\'s own rows only', async () => {
    const [a] = fx.workspaces as [string, string];
    const rows = await asApi(
      api,
      signedIn(fx.users[0]!),
      (tx) =>
        queryRows<{ post_id: string }>(
          tx,
          sql`SELECT post_id FROM post_latest_analytics ORDER BY engagement_rate DESC NULLS LAST, post_id LIMIT 50`,
        ),
      { rollback: true },
    );
    const mine = [...latest.values()]
      .filter((x) => fx.posts.find((p) => p.id === x.postId)!.workspaceId === a)
      .sort((x, y) => (x.rateMicro === y.rateMicro ? (x.postId < y.postId ? -1 : 1) : x.rateMicro === null ? 1 : y.rateMicro === null ? -1 : y.rateMicro - x.rateMicro))
      .slice(0, 50);
    expect(rows.map((r) => r.post_id)).toEqual(mine.map((x) => x.postId));
  });

  it('one post\'s analytics: its brand\'s members read them, the other brand\'s staff read nothing', async () => {
    const [a] = fx.workspaces as [string, string];
    const post = fx.posts.find((p) => p.workspaceId === a && fx.analytics.filter((x) => x.postId === p.id).length >= 3)!;
    const days = fx.analytics.filter((x) => x.postId === post.id).length;
    const read = (user: string) =>
      asApi(api, signedIn(user), (tx) => getPostEngagementOverTime(tx, { postId: post.id }).then((d) => d.filter((x) => x.measured).length), {
        rollback: true,
      });
    expect(await read(who.viewer)).toBe(days);
    // The other brand's analyst does not see the post at all: to them it does not exist.
    const err = await asApi(
      api,
      signedIn(who.otherBrand),
      (tx) => getPostEngagementOverTime(tx, { postId: post.id }).then(() => null, (e: unknown) => e),
      { rollback: true },
    );
    expect((err as Error).message).toMatch(/postId: no post/);
  });
});
