import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { close, createEmbeddedDb, type Db, type EmbeddedDb } from '../src/db.js';
import { migrate } from '../src/migrate.js';
import {
  getBestPostingHours,
  getConversionFunnel,
  getDailyPlatformMetrics,
  getPostEngagementOverTime,
  getTopContentByCategory,
  recordConversion,
  refreshDailyPlatformMetrics,
  refreshEngagedUsers,
  refreshTemplatePerformance,
} from '../src/queries/index.js';
import { buildFixture, type Fixture } from './support/dashboard-fixture.js';
import { useTestDb } from './support/db.js';

// The same generated data set in PostgreSQL (postgres.js) and in embedded PGlite: every dashboard and
// conversion function must answer identically on both. The PostgreSQL answers are checked against
// brute-force counts in dashboard.test.ts and conversions.test.ts. The fixture's ids are seeded, so
// both databases hold the same two workspaces.

const t = useTestDb();
let embedded: EmbeddedDb;
let fx: Fixture;
const now = Date.now();

beforeAll(async () => {
  embedded = await createEmbeddedDb();
  await migrate(embedded);
  fx = await buildFixture(t.db, { seed: 99, posts: 60, now });
  await buildFixture(embedded, { seed: 99, posts: 60, now });
});

afterAll(async () => {
  if (embedded) await close(embedded);
});

async function both<T>(query: (db: Db) => Promise<T>): Promise<T> {
  const [pg, lite] = [await query(t.db), await query(embedded)];
  expect(lite).toEqual(pg);
  return pg;
}

describe('the dashboard on PGlite', () => {
  it('top content, daily metrics, engagement over time, posting hours, templates, funnels, conversions', async () => {
    const [workspaceId, other] = fx.workspaces as [string, string];
    expect((await both((db) => getTopContentByCategory(db, { workspaceId, days: 120, limit: 1000 }))).length).toBeGreaterThan(10);
    expect((await both((db) => getTopContentByCategory(db, { workspaceId, category: 'workout', days: 120 }))).length).toBeGreaterThan(0);
    expect((await both((db) => getTopContentByCategory(db, { workspaceId: other, days: 120, limit: 1000 }))).length).toBeGreaterThan(0);
    await both((db) => refreshDailyPlatformMetrics(db));
    expect((await both((db) => getDailyPlatformMetrics(db, { workspaceId }))).length).toBeGreaterThan(10);
    for (const postId of [...new Set(fx.analytics.map((a) => a.postId))].slice(0, 10)) {
      expect((await both((db) => getPostEngagementOverTime(db, { postId }))).length).toBeGreaterThan(0);
    }
    expect((await both((db) => getBestPostingHours(db, { workspaceId, timeZone: 'Asia/Kolkata', days: 120 }))).length).toBeGreaterThan(5);
    expect(await both((db) => refreshTemplatePerformance(db))).toBeGreaterThan(0);
    await both((db) => refreshEngagedUsers(db));
    const platforms = await both((db) => getConversionFunnel(db, { by: 'platform', workspaceId }));
    expect(platforms.some((p) => p.engagedUsers > 0 && p.conversions > 0)).toBe(true);
    await both((db) => getConversionFunnel(db, { by: 'post', workspaceId, limit: 1000 }));

    const e = fx.events.find((x) => x.user !== null && x.at.getTime() < now)!;
    const at = new Date(now - 1000);
    const recorded = await both(async (db) => {
      const { id: _id, ...rest } = await recordConversion(db, {
        postId: e.postId,
        platformUserId: e.user,
        conversionType: 'subscription',
        conversionValue: 19.99,
        conversionAt: at,
      });
      return rest;
    });
    expect(recorded.touchpoints).toBeGreaterThan(0);
    const ws = fx.posts.find((p) => p.id === e.postId)!.workspaceId;
    expect(await both((db) => getConversionFunnel(db, { by: 'post', workspaceId: ws, postIds: [e.postId] }))).toHaveLength(1);
  });
});
