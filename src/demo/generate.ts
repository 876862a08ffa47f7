import { inArray, sql } from 'drizzle-orm';
import { authUsers } from 'drizzle-orm/supabase';
import type { Db } from '../db.js';
import {
  accountFollowerHistory,
  contentTemplates,
  socialAccounts,
  socialPlatforms,
  socialPosts,
  type ContentCategory,
  type EventType,
  type MediaType,
  type PlatformName,
} from '../schema/index.js';
import { recordConversion } from '../queries/conversions.js';
import { recordEngagementEvents } from '../queries/engagement/index.js';
import { recordTopicMentions } from '../queries/trends.js';
import type { TopicMentionInput } from '../schema/trends.js';
import { recordPostInsights } from '../queries/analytics.js';
import { ensurePartitionsSince } from './partitions.js';
import { progress, type ProgressOptions } from './progress.js';
import { seededRandom, type Random } from './random.js';

export interface DemoOptions {
  seed?: number;
  /** Days of history, ending at the start of today (UTC). */
  days?: number;
  posts?: number;
  /** Engagement events over all posts (long-tailed across them). */
  events?: number;
  out?: ProgressOptions['out'];
}

/** What a step produced, or why it could not run. */
export type StepResult = { ok: true; detail: string } | { ok: false; detail: string };

export interface DemoData {
  userId: string;
  from: Date;
  to: Date;
  accounts: number;
  followerHistoryRows: number;
  templates: number;
  posts: number;
  postIds: string[];
  events: StepResult;
  insights: StepResult;
  conversions: StepResult;
  mentions: StepResult;
}

const DAY = 86_400_000;

/** The demo's brand owner. Fixed, so a re-run against a server finds (and replaces) its own rows only. */
export const DEMO_USER_ID = '0e5f1d7a-4b1c-4f8e-9a2d-6d656d6f0001';
/** The demo brand's workspace, owned by DEMO_USER_ID. */
export const DEMO_WORKSPACE_ID = '0e5f1d7a-4b1c-4f8e-9a2d-6d656d6f0002';
const DEMO_EMAIL = 'demo@jmefit.example';

interface AccountPlan {
  platform: PlatformName;
  handle: string;
  followers: number;
  dailyGrowth: number;
  media: readonly MediaType[];
  share: number;
}

const ACCOUNTS: readonly AccountPlan[] = [
  // A growing small brand: with the demo's event volume, engagement rates land at a realistic 1-5 %.
  { platform: 'instagram', handle: 'jmefit', followers: 8_200, dailyGrowth: 25, media: ['reel', 'carousel', 'image', 'video'], share: 45 },
  { platform: 'tiktok', handle: 'jmefit', followers: 21_500, dailyGrowth: 110, media: ['video', 'carousel'], share: 35 },
  { platform: 'youtube', handle: 'JMEFitOfficial', followers: 3_800, dailyGrowth: 14, media: ['video'], share: 20 },
];

const TEMPLATES: readonly { name: string; category: ContentCategory; caption: string; hashtags: string[] }[] = [
  { name: 'Workout of the day', category: 'workout', caption: 'Today: {n}-minute full-body burner. Save it for later!', hashtags: ['workout', 'fitness', 'hiit', 'fullbody'] },
  { name: 'Form check', category: 'education', caption: 'Form check: the 3 cues that fix your {lift}.', hashtags: ['formcheck', 'strengthtraining', 'gymtips'] },
  { name: 'Macro breakdown', category: 'nutrition', caption: 'High-protein {meal} in 10 minutes: {n}g protein.', hashtags: ['highprotein', 'mealprep', 'macros'] },
  { name: 'Transformation Tuesday', category: 'transformation', caption: '{n} weeks of consistency. So proud of this client!', hashtags: ['transformation', 'progress', 'beforeandafter'] },
  { name: 'Monday motivation', category: 'motivation', caption: 'You do not need motivation, you need a plan. Week {n} starts now.', hashtags: ['motivation', 'mondaymotivation', 'mindset'] },
  { name: 'Day in my life', category: 'lifestyle', caption: 'Coach life: {n} clients, 2 workouts, 1 very big coffee.', hashtags: ['dayinmylife', 'fitnesscoach', 'healthylifestyle'] },
  { name: 'Community spotlight', category: 'community', caption: 'Shout-out to our member who hit a {n} kg PR this week!', hashtags: ['community', 'jmefitfamily', 'pr'] },
  { name: 'Program launch', category: 'promotion', caption: 'The {n}-week strength program is open. Link in bio.', hashtags: ['jmefit', 'onlinecoaching', 'strengthprogram'] },
];

const CATEGORY_WEIGHTS: readonly (readonly [ContentCategory, number])[] = [
  ['workout', 28],
  ['nutrition', 18],
  ['education', 14],
  ['transformation', 10],
  ['motivation', 10],
  ['lifestyle', 8],
  ['community', 7],
  ['promotion', 5],
];

/** Hours (UTC) the brand posts at, weighted toward mornings, lunch and evenings. */
const HOUR_WEIGHTS: readonly (readonly [number, number])[] = [
  [6, 5], [7, 9], [8, 7], [11, 6], [12, 9], [13, 5], [16, 5], [17, 9], [18, 11], [19, 8], [20, 5], [21, 3],
];

/** Realistic mix: most events are views and likes; comments, shares and saves are rarer. */
export const EVENT_MIX: readonly (readonly [EventType, number])[] = [
  ['view', 620],
  ['like', 270],
  ['comment', 30],
  ['share', 25],
  ['save', 35],
  ['profile_visit', 12],
  ['website_click', 8],
];

const COMMENTS = ['🔥🔥', 'Needed this today', 'Saving this!', 'How many sets?', 'Love it', 'Great form cues', 'Trying this tomorrow', 'So good 💪', 'What shoes are those?', 'Legend'];
const COUNTRIES = ['US', 'US', 'US', 'GB', 'CA', 'AU', 'DE', 'MX', 'BR', 'IN'];
const AGES = ['18-24', '25-34', '25-34', '35-44', '45-54'] as const;
const GENDERS = ['female', 'female', 'female', 'male', 'male', 'unknown'] as const;

/** Topics the audience talks about; the last few surge in the final days so trend detection has something to find. */
const STEADY_TOPICS = ['fitness', 'workout', 'gym', 'protein', 'mealprep', 'legday', 'cardio', 'pilates', 'running', 'stretching', 'glutes', 'strengthtraining'];
const SURGING_TOPICS = ['hyrox', 'cozycardio', 'creatinegummies', 'zone2', '75hard'];

export function demoWindow(days: number, now: Date = new Date()): { from: Date; to: Date } {
  const to = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  return { from: new Date(to.getTime() - days * DAY), to };
}

/**
 * Removes the rows of a previous demo run: its workspace (cascading to accounts, templates, posts,
 * history, analytics, mentions and trends), the events of its posts, and its user.
 */
export async function removeDemoData(db: Db): Promise<boolean> {
  const existing = await db.select({ id: authUsers.id }).from(authUsers).where(inArray(authUsers.id, [DEMO_USER_ID]));
  if (existing.length === 0) return false;
  // Engagement events and conversions have no foreign key to posts (partitioned / SET NULL): remove them by post first.
  await db.execute(sql`DELETE FROM engagement_events WHERE workspace_id = ${DEMO_WORKSPACE_ID}::uuid`);
  // The workspace first: its owner cannot be removed while it exists (the last owner is kept).
  await db.execute(sql`DELETE FROM workspaces WHERE id = ${DEMO_WORKSPACE_ID}::uuid`);
  await db.delete(authUsers).where(inArray(authUsers.id, [DEMO_USER_ID]));
  return true;
}

async function insertChunked<T>(rows: T[], size: number, write: (chunk: T[]) => Promise<unknown>, onChunk?: (n: number) => void) {
  for (let i = 0; i < rows.length; i += size) {
    const chunk = rows.slice(i, i + size);
    await write(chunk);
    onChunk?.(chunk.length);
  }
}

function fill(template: string, r: Random): string {
  return template
    .replace('{n}', String(r.int(3, 40)))
    .replace('{lift}', r.pick(['squat', 'deadlift', 'hip thrust', 'bench press', 'pull-up']))
    .replace('{meal}', r.pick(['breakfast', 'lunch', 'dinner', 'snack']));
}

/** One generated engagement event, in the shape `recordEngagementEvents` takes. */
export interface GeneratedEvent {
  postId: string;
  eventType: EventType;
  eventTimestamp: Date;
  platformEventId: string;
  eventValue?: number;
  platformUserId?: string;
  platformUsername?: string;
  userFollowerCount?: number;
  countryCode?: string;
  ageRange?: (typeof AGES)[number];
  gender?: (typeof GENDERS)[number];
  eventMetadata?: Record<string, unknown>;
}

/**
 * One realistic event of a post: user ids only where the platform gives them (likes, comments,
 * shares, follows; views are anonymous), short comment texts, demographics for part of the audience.
 */
export function generateEvent(r: Random, postId: string, at: Date, seq: number, isVideo: boolean): GeneratedEvent {
  const eventType = r.weighted(EVENT_MIX);
  const e: GeneratedEvent = { postId, eventType, eventTimestamp: at, platformEventId: `${postId.slice(0, 8)}-${seq}` };
  if (eventType === 'view') {
    // Play time in seconds for videos; one impression for images.
    if (isVideo) e.eventValue = r.int(1, 45);
  } else if (eventType !== 'profile_visit' && eventType !== 'website_click') {
    const u = r.int(1, 400_000);
    e.platformUserId = String(9_000_000 + u);
    if (eventType === 'comment') {
      e.platformUsername = `fan_${u}`;
      e.eventMetadata = { text: r.pick(COMMENTS) };
    }
    if (r.chance(0.3)) e.userFollowerCount = Math.floor(r.pareto(50, 1.3));
  }
  if (r.chance(0.4)) {
    e.countryCode = r.pick(COUNTRIES);
    e.ageRange = r.pick(AGES);
    e.gender = r.pick(GENDERS);
  }
  return e;
}

/** Hours after publishing of one interaction: most arrive in the first day, a tail over the following week. */
function eventDelayMs(r: Random): number {
  const hours = -Math.log(1 - r.next()) * (r.chance(0.8) ? 6 : 60);
  return hours * 3_600_000;
}

/**
 * Writes a month of a fitness brand's social activity: an auth user, one account per platform with
 * daily follower history, templates, published posts, long-tailed engagement, insights, conversions
 * and topic mentions. Deterministic for a given seed and day.
 */
export async function generateDemoData(db: Db, options: DemoOptions = {}): Promise<DemoData> {
  const r = seededRandom(options.seed ?? 20261124);
  const days = options.days ?? 30;
  const postCount = options.posts ?? 300;
  const eventTarget = options.events ?? 40_000;
  const out = options.out;
  const { from, to } = demoWindow(days);

  const platforms = await db.select({ id: socialPlatforms.id, name: socialPlatforms.name }).from(socialPlatforms);
  const platformId = new Map(platforms.map((p) => [p.name, p.id]));
  for (const a of ACCOUNTS) {
    if (!platformId.has(a.platform)) throw new Error(`platform ${a.platform} is missing from social_platforms: run the migrations first`);
  }

  await ensurePartitionsSince(db, new Date(from.getTime() - DAY));

  await db.insert(authUsers).values({ id: DEMO_USER_ID, email: DEMO_EMAIL });
  await db.execute(sql`
    WITH w AS (INSERT INTO workspaces (id, name, slug) VALUES (${DEMO_WORKSPACE_ID}::uuid, 'JMEFit (demo)', 'jmefit-demo') RETURNING id)
    INSERT INTO workspace_members (workspace_id, user_id, role) SELECT w.id, ${DEMO_USER_ID}::uuid, 'owner' FROM w`);

  // Accounts and their follower history (one row per day, growing with some noise).
  const accountRows = ACCOUNTS.map((a) => ({
    id: r.uuid(),
    workspaceId: DEMO_WORKSPACE_ID,
    userId: DEMO_USER_ID,
    platformId: platformId.get(a.platform)!,
    handle: a.handle,
    platformAccountId: `${a.platform}-${r.int(10_000_000, 99_999_999)}`,
    displayName: 'JMEFit',
    followerCount: a.followers + a.dailyGrowth * days,
  }));
  await db.insert(socialAccounts).values(accountRows);
  const history: (typeof accountFollowerHistory.$inferInsert)[] = [];
  ACCOUNTS.forEach((a, i) => {
    let followers = a.followers;
    for (let d = 0; d <= days; d++) {
      followers += Math.max(0, Math.round(a.dailyGrowth * (0.5 + r.next())));
      const day = new Date(from.getTime() + d * DAY).toISOString().slice(0, 10);
      history.push({ accountId: accountRows[i]!.id, recordedOn: day, followerCount: followers });
    }
  });
  await insertChunked(history, 500, (c) => db.insert(accountFollowerHistory).values(c));

  const templateRows = TEMPLATES.map((t) => ({
    id: r.uuid(),
    workspaceId: DEMO_WORKSPACE_ID,
    userId: DEMO_USER_ID,
    name: t.name,
    category: t.category,
    captionTemplate: t.caption,
    hashtagSets: t.hashtags,
  }));
  await db.insert(contentTemplates).values(templateRows);

  // Posts, spread over the window at the brand's usual hours.
  const posts: (typeof socialPosts.$inferInsert & { id: string; publishedAt: Date })[] = [];
  const postMeta: { id: string; platform: PlatformName; publishedAt: Date; weight: number; isVideo: boolean }[] = [];
  for (let i = 0; i < postCount; i++) {
    const plan = r.weighted(ACCOUNTS.map((a, idx) => [idx, a.share] as const));
    const a = ACCOUNTS[plan]!;
    const category = r.weighted(CATEGORY_WEIGHTS);
    const tplIndex = TEMPLATES.findIndex((t) => t.category === category);
    const useTemplate = tplIndex >= 0 && r.chance(0.7);
    const tpl = TEMPLATES[tplIndex >= 0 ? tplIndex : 0]!;
    const dayOffset = Math.floor((i / postCount) * days);
    const publishedAt = new Date(from.getTime() + dayOffset * DAY + r.weighted(HOUR_WEIGHTS) * 3_600_000 + r.int(0, 59) * 60_000);
    const mediaType = r.pick(a.media);
    const id = r.uuid();
    posts.push({
      id,
      workspaceId: DEMO_WORKSPACE_ID,
      userId: DEMO_USER_ID,
      platformId: platformId.get(a.platform)!,
      accountId: accountRows[plan]!.id,
      templateId: useTemplate ? templateRows[tplIndex]!.id : null,
      title: `${tpl.name} #${i + 1}`,
      caption: fill(tpl.caption, r),
      hashtags: [...tpl.hashtags.slice(0, r.int(1, tpl.hashtags.length)), 'jmefit'],
      mediaType,
      status: 'published',
      publishedAt,
      platformPostId: `${a.platform.slice(0, 2)}_${publishedAt.getTime().toString(36)}_${i}`,
      contentCategory: category,
      targetAudience: r.pick(['beginners', 'intermediate', 'advanced', 'general'] as const),
      contentGoals: [r.pick(['engagement', 'awareness', 'community', 'traffic', 'conversions'] as const)],
    });
    // Long tail: a Pareto draw gives most posts a modest audience and a handful a viral one; bigger
    // accounts reach more; category and template matter a little.
    const categoryBoost = category === 'transformation' ? 1.6 : category === 'promotion' ? 0.6 : 1;
    const weight = Math.min(r.pareto(1, 1.25), 60) * (a.followers / 10_000) ** 0.5 * categoryBoost * (useTemplate ? 1.15 : 1);
    postMeta.push({ id, platform: a.platform, publishedAt, weight, isVideo: mediaType !== 'image' && mediaType !== 'carousel' });
  }
  await insertChunked(posts, 200, (c) => db.insert(socialPosts).values(c));

  // Engagement events, allotted to posts by weight.
  const totalWeight = postMeta.reduce((s, p) => s + p.weight, 0);
  const events: GeneratedEvent[] = [];
  let seq = 0;
  for (const p of postMeta) {
    const n = Math.max(3, Math.round((eventTarget * p.weight) / totalWeight));
    for (let k = 0; k < n; k++) {
      const at = p.publishedAt.getTime() + eventDelayMs(r);
      // Interactions after the end of the window have not happened yet.
      if (at < to.getTime()) events.push(generateEvent(r, p.id, new Date(at), seq++, p.isVideo));
    }
  }
  const eventsStep = await writeEvents(db, events, out);

  const insights = await writeInsights(db, r, postMeta, events, to, out);
  const conversions = await writeConversions(db, r, events, out);
  const mentions = await writeMentions(db, r, from, to, platforms, out);

  return {
    userId: DEMO_USER_ID,
    from,
    to,
    accounts: accountRows.length,
    followerHistoryRows: history.length,
    templates: templateRows.length,
    posts: posts.length,
    postIds: postMeta.map((p) => p.id),
    events: eventsStep,
    insights,
    conversions,
    mentions,
  };
}

async function writeEvents(db: Db, events: GeneratedEvent[], out: DemoOptions['out']): Promise<StepResult> {
  const bar = progress('engagement events', events.length, { out });
  let inserted = 0;
  let duplicates = 0;
  let rejected = 0;
  const firstRejections: string[] = [];
  await insertChunked(events, 5_000, async (chunk) => {
    const res = await recordEngagementEvents(db, chunk, { source: 'demo' });
    inserted += res.inserted;
    duplicates += res.duplicates;
    rejected += res.rejected.length;
    for (const r of res.rejected.slice(0, 3 - firstRejections.length)) firstRejections.push(`${r.field}: ${r.error}`);
  }, (n) => bar.tick(n));
  bar.done();
  return {
    ok: rejected === 0,
    detail: `${inserted.toLocaleString('en-US')} events through recordEngagementEvents (${duplicates} duplicates, ${rejected} rejected${firstRejections.length ? `: ${firstRejections.join('; ')}` : ''})`,
  };
}

async function writeInsights(
  db: Db,
  r: Random,
  posts: { id: string; platform: PlatformName; publishedAt: Date }[],
  events: GeneratedEvent[],
  capturedAt: Date,
  out: DemoOptions['out'],
): Promise<StepResult> {
  const views = new Map<string, number>();
  for (const e of events) if (e.eventType === 'view') views.set(e.postId, (views.get(e.postId) ?? 0) + 1);
  const bar = progress('post insights', posts.length, { out });
  for (const p of posts) {
    const v = views.get(p.id) ?? 0;
    // Platforms report reach and impressions we cannot count from events; views sample them.
    const reach = Math.round(v * (3 + r.next() * 4));
    await recordPostInsights(db, {
      postId: p.id,
      platform: p.platform,
      capturedAt,
      metrics: { reach, impressions: Math.round(reach * (1.2 + r.next() * 0.6)) },
    });
    bar.tick();
  }
  bar.done();
  return { ok: true, detail: `${posts.length} posts' reach and impressions through recordPostInsights` };
}

async function writeConversions(db: Db, r: Random, events: GeneratedEvent[], out: DemoOptions['out']): Promise<StepResult> {
  const clicks = events.filter((e) => e.eventType === 'website_click' || (e.eventType === 'profile_visit' && r.chance(0.2)));
  const converting = clicks.filter(() => r.chance(0.25));
  const bar = progress('conversions', converting.length, { out });
  let n = 0;
  for (const e of converting) {
    const type = r.weighted([
      ['email_signup', 50],
      ['trial_start', 25],
      ['subscription', 15],
      ['purchase', 10],
    ] as const);
    const value = type === 'subscription' ? 29.99 : type === 'purchase' ? r.pick([49, 79, 129]) : 0;
    const conversionAt = new Date(Math.min(e.eventTimestamp.getTime() + r.int(2, 72 * 60) * 60_000, Date.now() - 60_000));
    // Times as ISO strings: recordConversion accepts both, and Date parameters trip postgres.js there.
    await recordConversion(db, {
      postId: e.postId,
      platformUserId: e.platformUserId ?? `visitor_${r.int(1, 1_000_000)}`,
      firstInteractionType: e.eventType,
      firstInteractionAt: e.eventTimestamp.toISOString(),
      conversionType: type,
      conversionValue: value,
      conversionAt: conversionAt.toISOString(),
      touchpoints: r.int(1, 6),
    });
    n++;
    bar.tick();
  }
  bar.done();
  return { ok: true, detail: `${n} conversions through recordConversion` };
}

async function writeMentions(
  db: Db,
  r: Random,
  from: Date,
  to: Date,
  platforms: { id: number; name: string }[],
  out: DemoOptions['out'],
): Promise<StepResult> {
  const days = Math.round((to.getTime() - from.getTime()) / DAY);
  const mentions: TopicMentionInput[] = [];
  let ref = 0;
  const mention = (topic: string, platformId: number, day: number): TopicMentionInput => ({
    topic,
    topicType: 'hashtag',
    platformId,
    mentionedAt: new Date(from.getTime() + day * DAY + r.int(0, DAY - 1)),
    source: 'external',
    // The day in the reference: a re-run the same day is a replay (no new rows), another day is new data.
    sourceRef: `jmefit-demo-${to.toISOString().slice(0, 10)}-${ref++}`,
    engagementWeight: Math.floor(r.pareto(5, 1.5)),
  });
  for (const p of platforms) {
    for (let d = 0; d < days; d++) {
      for (const topic of STEADY_TOPICS) {
        const n = r.int(4, 9);
        for (let k = 0; k < n; k++) mentions.push(mention(topic, p.id, d));
      }
      SURGING_TOPICS.forEach((topic, i) => {
        // Quiet for most of the month, then growing fast over the last days (a different start per topic).
        const surgeFrom = days - 5 - i;
        const n = d < surgeFrom ? r.int(0, 2) : Math.round(3 * 1.8 ** (d - surgeFrom)) + r.int(0, 3);
        for (let k = 0; k < n; k++) mentions.push(mention(topic, p.id, d));
      });
    }
  }
  const bar = progress('topic mentions', mentions.length, { out });
  let inserted = 0;
  let duplicates = 0;
  let rejected = 0;
  await insertChunked(mentions, 5_000, async (chunk) => {
    const res = await recordTopicMentions(db, chunk);
    inserted += res.inserted;
    duplicates += res.duplicates;
    rejected += res.rejected.length;
  }, (n) => bar.tick(n));
  bar.done();
  return {
    ok: rejected === 0,
    detail: `${mentions.length.toLocaleString('en-US')} topic mentions through recordTopicMentions (${inserted.toLocaleString('en-US')} new, ${duplicates.toLocaleString('en-US')} already stored, ${rejected} rejected)`,
  };
}
