import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../src/db.js';
import { getConversionFunnel, InvalidInputError, recordConversion, refreshEngagedUsers } from '../src/queries/index.js';
import { buildFixture, latestByPost, type Fixture, type FxEvent } from './support/dashboard-fixture.js';
import { useTestDb } from './support/db.js';

const t = useTestDb();
let fx: Fixture;
const DAY = 86_400_000;

beforeAll(async () => {
  fx = await buildFixture(t.db, { seed: 7, posts: 120 });
});

/** Conversions as stored now (the fixture's plus those recorded by the tests), in cents. */
async function storedConversions() {
  const rows = await queryRows<{ post_id: string | null; cents: string | number }>(
    t.db,
    sql`SELECT post_id, (conversion_value * 100)::bigint AS cents FROM social_conversions`,
  );
  return rows.map((r) => ({ postId: r.post_id, cents: Number(r.cents) }));
}

/** The funnel of workspace `ws` by brute force over its posts' raw rows (default: the first brand's). */
async function expectedFunnel(ws: string = fx.workspaces[0]!) {
  const latest = latestByPost(fx);
  const convs = await storedConversions();
  const postPlatform = new Map(fx.posts.filter((p) => p.workspaceId === ws).map((p) => [p.id, p.platformId]));
  const perPost = (postId: string) => {
    const users = new Set(fx.events.filter((e) => e.postId === postId && e.user !== null).map((e) => e.user));
    const mine = convs.filter((c) => c.postId === postId);
    const a = latest.get(postId);
    return {
      engagedUsers: users.size,
      profileVisits: a?.profileVisits ?? 0,
      websiteClicks: a?.websiteClicks ?? 0,
      conversions: mine.length,
      revenue: mine.reduce((s, c) => s + c.cents, 0) / 100,
      conversionRate: users.size > 0 ? mine.length / users.size : null,
    };
  };
  const perPlatform = [...fx.platforms].map(([platformId, platform]) => {
    const posts = new Set(fx.posts.filter((p) => p.workspaceId === ws && p.platformId === platformId).map((p) => p.id));
    // Distinct across the platform's posts: a user engaging with three posts is one engaged user.
    const users = new Set(fx.events.filter((e) => posts.has(e.postId) && e.user !== null).map((e) => e.user));
    const mine = convs.filter((c) => c.postId !== null && postPlatform.get(c.postId) === platformId);
    const analytics = [...posts].map((id) => latest.get(id)).filter((a) => a !== undefined);
    return {
      platformId,
      platform,
      engagedUsers: users.size,
      profileVisits: analytics.reduce((s, a) => s + a.profileVisits, 0),
      websiteClicks: analytics.reduce((s, a) => s + a.websiteClicks, 0),
      conversions: mine.length,
      revenue: mine.reduce((s, c) => s + c.cents, 0) / 100,
      conversionRate: users.size > 0 ? mine.length / users.size : null,
    };
  });
  return { perPost, perPlatform };
}

describe('getConversionFunnel', () => {
  it('engaged users are as of the last refresh; the other stages are live', async () => {
    const workspaceId = fx.workspaces[0]!;
    // The template database was migrated empty, so the materialized counts start at zero.
    const before = await getConversionFunnel(t.db, { by: 'platform', workspaceId });
    expect(before.every((r) => r.engagedUsers === 0 && r.conversionRate === null)).toBe(true);
    const { perPlatform } = await expectedFunnel();
    expect(before.map((r) => r.conversions)).toEqual(perPlatform.map((r) => r.conversions));
    await refreshEngagedUsers(t.db);
    expect((await getConversionFunnel(t.db, { by: 'platform', workspaceId })).map((r) => r.engagedUsers)).toEqual(
      perPlatform.map((r) => r.engagedUsers),
    );
  });

  it('per platform: every stage agrees with a brute-force count over the workspace\'s raw rows', async () => {
    const [a, b] = fx.workspaces as [string, string];
    const { perPlatform } = await expectedFunnel(a);
    expect(perPlatform.every((r) => r.engagedUsers > 0 && r.conversions > 0)).toBe(true);
    expect(await getConversionFunnel(t.db, { by: 'platform', workspaceId: a })).toEqual(perPlatform);
    expect(await getConversionFunnel(t.db, { by: 'platform', workspaceId: a, platform: 'youtube' })).toEqual(
      perPlatform.filter((r) => r.platform === 'youtube'),
    );
    // Per platform is not the sum of per post: users engage with several posts.
    const sumOfPosts = fx.posts
      .filter((p) => p.workspaceId === a && p.platform === 'instagram')
      .reduce((s, p) => s + new Set(fx.events.filter((e) => e.postId === p.id && e.user).map((e) => e.user)).size, 0);
    expect(perPlatform.find((r) => r.platform === 'instagram')!.engagedUsers).toBeLessThan(sumOfPosts);

    // The other brand: its own figures, which differ from the first's and are not in them.
    const other = (await expectedFunnel(b)).perPlatform;
    expect(await getConversionFunnel(t.db, { by: 'platform', workspaceId: b })).toEqual(other);
    expect(other).not.toEqual(perPlatform);
    // The same people engage with both brands: each brand counts them, so the brands' engaged users
    // add up to more than the distinct people of the platform across both.
    const posts = new Set(fx.posts.filter((p) => p.platform === 'instagram').map((p) => p.id));
    const everyone = new Set(fx.events.filter((e) => posts.has(e.postId) && e.user !== null).map((e) => e.user)).size;
    const perBrand = [perPlatform, other].map((rows) => rows.find((r) => r.platform === 'instagram')!.engagedUsers);
    expect(perBrand[0]! + perBrand[1]!).toBeGreaterThan(everyone);
  });

  it('per post: the newest published posts by default, or the posts asked for', async () => {
    const { perPost } = await expectedFunnel();
    const workspaceId = fx.workspaces[0]!;
    const published = fx.posts
      .filter((p) => p.workspaceId === workspaceId && p.status === 'published')
      .sort((a, b) => b.publishedAt!.getTime() - a.publishedAt!.getTime() || (a.id < b.id ? -1 : 1));
    const row = (p: (typeof fx.posts)[number]) => ({
      postId: p.id,
      platformId: p.platformId,
      platform: p.platform,
      publishedAt: p.publishedAt,
      ...perPost(p.id),
    });
    expect(await getConversionFunnel(t.db, { by: 'post', workspaceId })).toEqual(published.slice(0, 50).map(row));
    expect(await getConversionFunnel(t.db, { by: 'post', workspaceId, platform: 'tiktok', limit: 7 })).toEqual(
      published.filter((p) => p.platform === 'tiktok').slice(0, 7).map(row),
    );
    const all = await getConversionFunnel(t.db, { by: 'post', workspaceId, limit: 1000 });
    expect(all).toEqual(published.map(row));
    expect(all.filter((r) => r.conversions >= 2).length).toBeGreaterThan(15);
    const draft = fx.posts.find((p) => p.workspaceId === workspaceId && p.status !== 'published')!;
    // A post of the other brand, asked for by id, is left out: the funnel is one workspace's.
    const foreign = fx.posts.find((p) => p.workspaceId !== workspaceId && p.status === 'published')!;
    const asked = [draft, published[3]!, foreign];
    const got = await getConversionFunnel(t.db, { by: 'post', workspaceId, postIds: asked.map((p) => p.id) });
    expect(got).toEqual([published[3]!, draft].map(row));
  });

  it('refuses bad parameters, naming them; an unknown workspace is an error', async () => {
    const workspaceId = fx.workspaces[0]!;
    await expect(getConversionFunnel(t.db, { by: 'account' } as never)).rejects.toThrow(/getConversionFunnel: by:/);
    await expect(getConversionFunnel(t.db, { by: 'post', workspaceId, postIds: ['x'] })).rejects.toThrow(/postIds\.0: must be a UUID/);
    await expect(getConversionFunnel(t.db, { by: 'post', workspaceId, limit: 0 })).rejects.toThrow(/limit: must be at least 1/);
    await expect(getConversionFunnel(t.db, { by: 'platform', workspaceId, platform: 'myspace' })).rejects.toThrow(
      /platform: no platform named "myspace"/,
    );
    await expect(getConversionFunnel(t.db, { by: 'platform' } as never)).rejects.toThrow(/getConversionFunnel: workspaceId: /);
    const unknown = randomUUID();
    await expect(getConversionFunnel(t.db, { by: 'platform', workspaceId: unknown })).rejects.toThrow(`workspaceId: no workspace ${unknown}`);
    await expect(getConversionFunnel(t.db, { by: 'post', workspaceId: unknown })).rejects.toThrow(`workspaceId: no workspace ${unknown}`);
  });
});

describe('recordConversion', () => {
  /** A post and a user with several events, live and archived, before and after a chosen instant. */
  function journey(): { postId: string; user: string; events: FxEvent[] } {
    const byKey = new Map<string, FxEvent[]>();
    for (const e of fx.events) {
      if (!e.user) continue;
      const k = `${e.postId}|${e.user}`;
      byKey.set(k, [...(byKey.get(k) ?? []), e]);
    }
    const [k, events] = [...byKey].find(
      ([, es]) => es.filter((e) => e.at.getTime() < Date.now()).length >= 3 && es.some((e) => e.archived),
    )!;
    const [postId, user] = k.split('|') as [string, string];
    return { postId, user, events: events.sort((a, b) => a.at.getTime() - b.at.getTime() || Number(a.key - b.key)) };
  }

  it('fills touchpoints and the first interaction from the user\'s events up to the conversion', async () => {
    const { postId, user, events } = journey();
    const past = events.filter((e) => e.at.getTime() <= Date.now());
    // Convert just after the second event: only the first two count.
    const at = new Date(past[1]!.at.getTime() + 1);
    const c = await recordConversion(t.db, { postId, platformUserId: user, conversionType: 'purchase', conversionValue: 49.99, conversionAt: at });
    const before = events.filter((e) => e.at.getTime() <= at.getTime());
    expect(c).toMatchObject({
      postId,
      platformUserId: user,
      conversionType: 'purchase',
      conversionValue: 49.99,
      conversionAt: at,
      touchpoints: before.length,
      firstInteractionType: before[0]!.type,
      firstInteractionAt: before[0]!.at,
      timeToConversionSeconds: (at.getTime() - before[0]!.at.getTime()) / 1000,
      filledFromEvents: { touchpoints: true, firstInteraction: true },
    });
    const [stored] = await queryRows<{ touchpoints: number; first_interaction_type: string }>(
      t.db,
      sql`SELECT touchpoints, first_interaction_type FROM social_conversions WHERE id = ${c.id}`,
    );
    expect(stored).toEqual({ touchpoints: before.length, first_interaction_type: before[0]!.type });

    // Defaults to now: every event of the user up to now counts, archived ones included.
    const now = await recordConversion(t.db, { postId, platformUserId: user, conversionType: 'email_signup' });
    expect(now.touchpoints).toBe(past.length);
    expect(now.conversionValue).toBe(0);
    expect(Math.abs(now.conversionAt.getTime() - Date.now())).toBeLessThan(60_000);
  });

  it('keeps what the caller gives; leaves unknowns NULL without a user; counts 0 for a user without events', async () => {
    const { postId, user, events } = journey();
    const given = await recordConversion(t.db, {
      postId,
      platformUserId: user,
      conversionType: 'trial_start',
      touchpoints: 0,
      firstInteractionType: 'view',
      firstInteractionAt: '2020-01-01T00:00:00Z',
    });
    expect(given).toMatchObject({
      touchpoints: 0,
      firstInteractionType: 'view',
      firstInteractionAt: new Date('2020-01-01T00:00:00Z'),
      filledFromEvents: { touchpoints: false, firstInteraction: false },
    });
    const partly = await recordConversion(t.db, { postId, platformUserId: user, conversionType: 'trial_start', touchpoints: 42 });
    expect(partly.touchpoints).toBe(42);
    expect(partly.firstInteractionAt).toEqual(events[0]!.at);

    const anonymous = await recordConversion(t.db, { postId, conversionType: 'app_install' });
    expect(anonymous).toMatchObject({ touchpoints: null, firstInteractionType: null, firstInteractionAt: null, timeToConversionSeconds: null });
    const stranger = await recordConversion(t.db, { postId, platformUserId: 'nobody_seen', conversionType: 'app_install' });
    expect(stranger).toMatchObject({ touchpoints: 0, firstInteractionType: null, firstInteractionAt: null });
  });

  it('refuses bad input with the field and the reason, and stores nothing', async () => {
    const postId = fx.posts[0]!.id;
    const [{ n: before }] = (await queryRows<{ n: number }>(t.db, sql`SELECT count(*)::int AS n FROM social_conversions`)) as [{ n: number }];
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ postId, conversionType: 'purchase', conversionValue: -1 }, /conversionValue: .*>=0/],
      [{ postId, conversionType: 'purchase', conversionValue: 1.005 }, /conversionValue: at most 2 decimal places/],
      [{ postId, conversionType: 'donation' }, /conversionType: /],
      [{ postId: 'p1', conversionType: 'purchase' }, /postId: must be a UUID/],
      [{ conversionType: 'purchase' }, /postId: /],
      [{ postId, conversionType: 'purchase', firstInteractionType: 'like' }, /firstInteractionAt: give firstInteractionType and firstInteractionAt together/],
      [{ postId, conversionType: 'purchase', conversionAt: new Date(Date.now() + 2 * DAY) }, /conversionAt: is in the future/],
      [
        { postId, conversionType: 'purchase', conversionAt: '2026-01-01T00:00:00Z', firstInteractionType: 'like', firstInteractionAt: '2026-02-01T00:00:00Z' },
        /firstInteractionAt: first interaction is after the conversion/,
      ],
      [{ postId, conversionType: 'purchase', conversionAt: 'yesterday' }, /conversionAt: /],
      [{ postId, conversionType: 'purchase', touchpoints: -2 }, /touchpoints: /],
      [{ postId, conversionType: 'purchase', revenue: 3 }, /revenue: unknown field/],
      [{ postId: randomUUID(), conversionType: 'purchase' }, /postId: no post/],
    ];
    for (const [input, message] of cases) {
      const err = await recordConversion(t.db, input as never).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err, JSON.stringify(input)).toBeInstanceOf(InvalidInputError);
      expect((err as Error).message).toMatch(/^recordConversion: /);
      expect((err as Error).message).toMatch(message);
    }
    const [{ n: after }] = (await queryRows<{ n: number }>(t.db, sql`SELECT count(*)::int AS n FROM social_conversions`)) as [{ n: number }];
    expect(after).toBe(before);
  });
});

describe('post_conversion_totals stays exact', () => {
  const recount = sql`SELECT c.post_id, count(*)::int AS conversions, sum(c.conversion_value) AS revenue, min(p.platform_id) AS platform_id
                     FROM social_conversions c JOIN social_posts p ON p.id = c.post_id GROUP BY c.post_id`;
  const diff = sql`
    SELECT count(*)::int AS n FROM (
      ((${recount}) EXCEPT SELECT post_id, conversions, revenue, platform_id FROM post_conversion_totals)
      UNION ALL
      (SELECT post_id, conversions, revenue, platform_id FROM post_conversion_totals EXCEPT (${recount}))
    ) d`;
  async function expectExact() {
    const [row] = await queryRows<{ n: number }>(t.db, diff);
    expect(Number(row!.n)).toBe(0);
  }

  it('through inserts, value changes, moves between posts, deletes and post deletion', async () => {
    await expectExact();
    // Two posts of one workspace: a conversion moves between posts of its own brand only.
    const [a, b] = fx.posts.filter((p) => p.status === 'published' && p.workspaceId === fx.workspaces[0]);
    const c = await recordConversion(t.db, { postId: a!.id, conversionType: 'purchase', conversionValue: 10 });
    await expectExact();
    await t.db.execute(sql`UPDATE social_conversions SET conversion_value = 12.34 WHERE id = ${c.id}`);
    await expectExact();
    await t.db.execute(sql`UPDATE social_conversions SET post_id = ${b!.id} WHERE post_id = ${a!.id}`);
    await expectExact();
    await t.db.execute(sql`DELETE FROM social_conversions WHERE id = ${c.id}`);
    await expectExact();
    // A post moved to another platform takes its conversions along in the per-platform funnel.
    const tiktok = [...fx.platforms].find(([, name]) => name === 'tiktok')![0];
    const mover = fx.posts.find((p) => p.platformId !== tiktok && fx.conversions.some((x) => x.postId === p.id))!;
    await t.db.execute(sql`UPDATE social_posts SET platform_id = ${tiktok} WHERE id = ${mover.id}`);
    mover.platformId = tiktok;
    mover.platform = 'tiktok';
    await expectExact();
    // ON DELETE SET NULL: the revenue stays stored, attributed to no post.
    await t.db.execute(sql`DELETE FROM social_posts WHERE id = ${b!.id}`);
    await expectExact();
    const [orphans] = await queryRows<{ n: number }>(t.db, sql`SELECT count(*)::int AS n FROM social_conversions WHERE post_id IS NULL`);
    expect(Number(orphans!.n)).toBeGreaterThan(0);
    fx.posts = fx.posts.filter((p) => p.id !== b!.id);
    fx.analytics = fx.analytics.filter((x) => x.postId !== b!.id);
    fx.events = fx.events.filter((x) => x.postId !== b!.id);
    // And the funnel, live for conversions, agrees with the raw rows again once engaged users are refreshed.
    await refreshEngagedUsers(t.db);
    for (const workspaceId of fx.workspaces) {
      expect(await getConversionFunnel(t.db, { by: 'platform', workspaceId })).toEqual((await expectedFunnel(workspaceId)).perPlatform);
    }
  });
});
