import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../../src/db.js';
import {
  CONTENT_CATEGORIES,
  EVENT_TYPES,
  CONVERSION_TYPES,
  contentTemplates,
  engagementEvents,
  engagementEventsArchive,
  postAnalytics,
  socialConversions,
  socialPosts,
} from '../../src/schema/index.js';
import { mulberry32, type Rng } from './random.js';

// A generated data set for the dashboard and conversion tests, kept in memory as well so every figure
// can be recomputed by brute force over the raw rows. Seeded: the same seed gives the same data.
// Two workspaces (an agency's two brands), each owned by one user: about 80 % of the posts are the
// first's, the rest the second's; the same platform users engage with both, so per-workspace distinct
// counts differ from global ones.

export interface FxPost {
  id: string;
  /** workspaces[0] for users[0]'s posts, workspaces[1] for users[1]'s. */
  workspaceId: string;
  userId: string;
  platformId: number;
  platform: string;
  templateId: string | null;
  status: 'draft' | 'scheduled' | 'published';
  category: string | null;
  publishedAt: Date | null;
}
export interface FxAnalytics {
  postId: string;
  date: string;
  likes: number;
  comments: number;
  shares: number;
  saves: number;
  views: number;
  profileVisits: number;
  websiteClicks: number;
  /** Millionths (the column is numeric(10,6)): integer arithmetic keeps brute-force averages exact. */
  rateMicro: number | null;
}
export interface FxEvent {
  postId: string;
  at: Date;
  key: bigint;
  type: string;
  user: string | null;
  archived: boolean;
}
export interface FxConversion {
  postId: string;
  user: string | null;
  type: string;
  cents: number;
  at: Date;
}
export interface Fixture {
  /** users[i] owns workspaces[i]: two brands of one agency, whose figures must never mix. */
  users: string[];
  workspaces: string[];
  platforms: Map<number, string>;
  /** templates[0..2] of workspaces[0] (the third never used), templates[3..4] of workspaces[1]. */
  templates: string[];
  templateWorkspace: Map<string, string>;
  posts: FxPost[];
  analytics: FxAnalytics[];
  events: FxEvent[];
  conversions: FxConversion[];
}


const DAY = 86_400_000;
export const utcDate = (d: Date) => d.toISOString().slice(0, 10);
const addDays = (date: string, n: number) => utcDate(new Date(Date.parse(`${date}T00:00:00Z`) + n * DAY));

/** Days ago a post may have been published: never within half a day of the windows the tests use. */
function publishedDaysAgo(r: Rng, spanDays: number): number {
  for (;;) {
    const d = r.next() * spanDays;
    if ([7, 30, 90].every((b) => Math.abs(d - b) > 0.5) && d > 0.05) return d;
  }
}

/**
 * `now`: the instant publication times are relative to (default: the current time); `spanDays`: how
 * far back before it posts are published (default 130).
 */
export async function buildFixture(db: Db, opts: { seed: number; posts: number; now?: number; spanDays?: number }): Promise<Fixture> {
  const r = mulberry32(opts.seed);
  const now = opts.now ?? Date.now();
  const users = [r.uuid(), r.uuid()];
  // Ids the data set had no need of before workspaces come from a stream of their own, so the main
  // stream (and every post, day and event drawn from it) is what it was.
  const side = mulberry32(opts.seed ^ 0x5eed);
  const workspaces = [side.uuid(), side.uuid()];
  for (const [i, u] of users.entries()) {
    await db.execute(sql`INSERT INTO auth.users (id, email) VALUES (${u}, ${`${u}@example.test`})`);
    await db.execute(sql`INSERT INTO workspaces (id, name, slug) VALUES (${workspaces[i]!}, ${`Brand ${i}`}, ${`brand-${i}-${opts.seed}`})`);
    await db.execute(sql`INSERT INTO workspace_members (workspace_id, user_id, role) VALUES (${workspaces[i]!}, ${u}, 'owner')`);
  }
  const platformRows = await queryRows<{ id: number; name: string }>(db, sql`SELECT id, name FROM social_platforms ORDER BY id`);
  const platforms = new Map(platformRows.map((p) => [Number(p.id), String(p.name)]));

  const templates = [r.uuid(), r.uuid(), r.uuid(), side.uuid(), side.uuid()];
  const templateWorkspace = new Map(templates.map((id, i) => [id, workspaces[i < 3 ? 0 : 1]!]));
  await db.insert(contentTemplates).values(
    templates.map((id, i) => ({ id, workspaceId: templateWorkspace.get(id)!, userId: users[i < 3 ? 0 : 1]!, name: `template ${i}` })),
  );

  const posts: FxPost[] = [];
  for (let i = 0; i < opts.posts; i++) {
    const status = r.chance(0.85) ? 'published' : r.pick(['draft', 'scheduled'] as const);
    const platformId = r.pick([...platforms.keys()]);
    const id = r.uuid();
    const brand = r.chance(0.8) ? 0 : 1;
    posts.push({
      id,
      workspaceId: workspaces[brand]!,
      userId: users[brand]!,
      platformId,
      platform: platforms.get(platformId)!,
      // A template of the post's own workspace; the third template is never used: its figures must be
      // reset to 0 / NULL.
      templateId: r.chance(0.6) ? r.pick(brand === 0 ? templates.slice(0, 2) : templates.slice(3, 5)) : null,
      status,
      category: r.chance(0.9) ? r.pick(CONTENT_CATEGORIES) : null,
      publishedAt: status === 'published' ? new Date(now - Math.round(publishedDaysAgo(r, opts.spanDays ?? 130) * DAY)) : null,
    });
  }
  await db.insert(socialPosts).values(
    posts.map((p) => ({
      id: p.id,
      workspaceId: p.workspaceId,
      userId: p.userId,
      platformId: p.platformId,
      templateId: p.templateId,
      caption: `post ${p.id.slice(0, 8)}`,
      mediaType: 'video',
      status: p.status,
      contentCategory: p.category,
      publishedAt: p.publishedAt,
      scheduledAt: p.status === 'scheduled' ? new Date(now + 5 * DAY) : null,
    })),
  );

  const analytics: FxAnalytics[] = [];
  const today = utcDate(new Date(now));
  for (const p of posts) {
    if (!p.publishedAt || r.chance(0.08)) continue; // some published posts have no analytics yet
    let day = utcDate(p.publishedAt);
    const c = { likes: 0, comments: 0, shares: 0, saves: 0, views: 0, profileVisits: 0, websiteClicks: 0 };
    const n = r.int(1, 9);
    for (let k = 0; k < n && day <= today; k++) {
      c.likes += r.int(0, 60);
      c.comments += r.int(0, 15);
      c.shares += r.int(0, 10);
      c.saves += r.int(0, 8);
      c.views += r.int(0, 900);
      c.profileVisits += r.int(0, 12);
      c.websiteClicks += r.int(0, 5);
      // Platforms do remove interactions (unlikes): a cumulative count may go down.
      if (k > 0 && r.chance(0.1)) c.likes = Math.max(0, c.likes - r.int(1, 70));
      analytics.push({ postId: p.id, date: day, ...c, rateMicro: r.chance(0.1) ? null : r.int(0, 250_000) });
      day = addDays(day, r.chance(0.3) ? r.int(2, 4) : 1); // gaps: days without a row
    }
  }
  // A few equal rates, so the ranking's tie-break (post id) is exercised.
  const newest = [...latestByPost({ analytics } as Fixture).values()];
  for (let i = 0; i + 1 < newest.length; i += 7) newest[i + 1]!.rateMicro = newest[i]!.rateMicro ?? 123_456;
  // Inserted newest day first in places: "latest" must come from analysis_date, not insertion order.
  const shuffled = [...analytics].sort(() => r.next() - 0.5);
  for (let i = 0; i < shuffled.length; i += 500) {
    await db.insert(postAnalytics).values(
      shuffled.slice(i, i + 500).map((a) => ({
        postId: a.postId,
        analysisDate: a.date,
        likesCount: a.likes,
        commentsCount: a.comments,
        sharesCount: a.shares,
        savesCount: a.saves,
        viewsCount: a.views,
        profileVisits: a.profileVisits,
        websiteClicks: a.websiteClicks,
        engagementRate: a.rateMicro === null ? null : a.rateMicro / 1e6,
      })),
    );
  }

  // Per platform, a pool of 25 user ids shared by its posts: one person engages with several posts.
  const events: FxEvent[] = [];
  let key = 1n;
  for (const p of posts) {
    if (!p.publishedAt) continue;
    const n = r.int(0, 30);
    for (let k = 0; k < n; k++) {
      events.push({
        postId: p.id,
        at: new Date(p.publishedAt.getTime() + r.int(0, 12 * DAY)),
        key: key++,
        type: r.pick(EVENT_TYPES),
        user: r.chance(0.12) ? null : `${p.platform}_user_${r.int(1, 25)}`,
        archived: r.chance(0.1),
      });
    }
  }
  for (const archived of [false, true]) {
    const rows = events.filter((e) => e.archived === archived);
    const table = archived ? engagementEventsArchive : engagementEvents;
    for (let i = 0; i < rows.length; i += 1000) {
      await db.insert(table).values(
        rows.slice(i, i + 1000).map((e) => ({
          postId: e.postId,
          eventTimestamp: e.at,
          eventKey: e.key,
          eventType: e.type,
          platformUserId: e.user,
        })),
      );
    }
  }

  const conversions: FxConversion[] = [];
  for (const p of posts) {
    if (!p.publishedAt) continue;
    const n = r.int(0, 4);
    for (let k = 0; k < n; k++) {
      const at = new Date(p.publishedAt.getTime() + r.int(0, Math.max(0, now - p.publishedAt.getTime() - 60_000)));
      conversions.push({
        postId: p.id,
        user: r.chance(0.15) ? null : `${p.platform}_user_${r.int(1, 30)}`,
        type: r.pick(CONVERSION_TYPES),
        cents: r.chance(0.2) ? 0 : r.int(1, 50_000),
        at,
      });
    }
  }
  if (conversions.length > 0) {
    await db.insert(socialConversions).values(
      conversions.map((c) => ({
        postId: c.postId,
        platformUserId: c.user,
        conversionType: c.type,
        conversionValue: c.cents / 100,
        conversionAt: c.at,
      })),
    );
  }
  return { users, workspaces, platforms, templates, templateWorkspace, posts, analytics, events, conversions };
}

// ---------------------------------------------------------------------------------------------
// Brute force over the in-memory rows

/** Each post's analytics row with the greatest date. */
export function latestByPost(fx: Fixture): Map<string, FxAnalytics> {
  const m = new Map<string, FxAnalytics>();
  for (const a of fx.analytics) {
    const cur = m.get(a.postId);
    if (!cur || a.date > cur.date) m.set(a.postId, a);
  }
  return m;
}

/** round(avg(x), 6) of rates in millionths, exactly as PostgreSQL rounds numeric (half away from zero). */
export function avgRate(micros: number[]): number | null {
  if (micros.length === 0) return null;
  const s = BigInt(micros.reduce((a, b) => a + b, 0));
  const n = BigInt(micros.length);
  return Number((2n * s + n) / (2n * n)) / 1e6;
}

/** round(x, 4) of a share k/n. */
export function share4(k: number, n: number): number {
  return Number((2n * BigInt(k) * 10_000n + BigInt(n)) / (2n * BigInt(n))) / 10_000;
}
