import type { Db } from '../db.js';
import { getConversionFunnel, refreshEngagedUsers } from '../queries/conversions.js';
import {
  getBestPostingHours,
  getDailyPlatformMetrics,
  getTopContentByCategory,
  refreshDailyPlatformMetrics,
  refreshTemplatePerformance,
} from '../queries/dashboard.js';
import { detectTrendingTopics, getTrendingTopics } from '../queries/trends.js';
import { CONTENT_CATEGORIES, socialPlatforms } from '../schema/index.js';
import { refreshPostAnalytics } from '../queries/analytics.js';
import { DEMO_WORKSPACE_ID } from './generate.js';
import { table } from './table.js';

type Row = Record<string, unknown>;
type Write = (s: string) => void;

export interface RollupStep {
  name: string;
  ok: boolean;
  detail: string;
  ms?: number;
}

async function timed(name: string, run: () => Promise<unknown>): Promise<RollupStep> {
  const started = performance.now();
  const res = await run();
  return { name, ok: true, detail: summarize(res), ms: performance.now() - started };
}

/**
 * Runs what the scheduled jobs would: post analytics from the events, the dashboard's materialized
 * views and template figures, then trend detection over the last three days of mentions up to `asOf`.
 */
export async function runRollups(db: Db, asOf: Date): Promise<RollupStep[]> {
  const results: RollupStep[] = [];
  // Incremental (folds the queue of new events), as the scheduled job runs it.
  results.push(
    await timed('refreshPostAnalytics', async () => {
      const r = await refreshPostAnalytics(db);
      return `${r.queuedEvents.toLocaleString('en-US')} events folded into ${(r.rowsInserted + r.rowsUpdated).toLocaleString('en-US')} daily rows`;
    }),
  );
  results.push(await timed('refreshDailyPlatformMetrics', () => refreshDailyPlatformMetrics(db)));
  results.push(await timed('refreshTemplatePerformance', () => refreshTemplatePerformance(db)));
  results.push(await timed('refreshEngagedUsers', () => refreshEngagedUsers(db)));
  results.push(
    await timed('detectTrendingTopics', async () => {
      const trends = await detectTrendingTopics(db, { windowHours: 72, asOf });
      return `${trends.length} topics, ${trends.filter((t) => t.trendStatus === 'trending').length} trending`;
    }),
  );
  return results;
}

function summarize(res: unknown): string {
  if (res == null) return 'done';
  if (typeof res === 'string') return res;
  if (typeof res === 'number') return `${res} rows`;
  if (Array.isArray(res)) return `${res.length} rows`;
  if (typeof res === 'object') {
    return Object.entries(res as Row)
      .filter(([, v]) => typeof v === 'number' || typeof v === 'string' || typeof v === 'bigint')
      .map(([k, v]) => `${k} ${String(v)}`)
      .join(', ') || 'done';
  }
  return String(res);
}

/** A rate (interactions per follower, conversions per user) as a percentage. */
function pct(rate: number | null): string | null {
  return rate == null ? null : `${(rate * 100).toFixed(2)}%`;
}

function heading(write: Write, title: string) {
  write(`\n${title}\n${'═'.repeat(title.length)}\n`);
}

/**
 * Prints one workspace's dashboard (the demo brand's by default): top content by category, daily
 * platform metrics, best hours, trending topics (its own and the market's), conversion funnel.
 */
export async function printDashboard(
  db: Db,
  write: Write,
  options: { days?: number; to?: Date; workspaceId?: string } = {},
): Promise<void> {
  const days = options.days ?? 30;
  const to = options.to ?? new Date();
  const workspaceId = options.workspaceId ?? DEMO_WORKSPACE_ID;
  const platforms = new Map((await db.select({ id: socialPlatforms.id, name: socialPlatforms.name }).from(socialPlatforms)).map((p) => [p.id, p.name]));

  heading(write, `Top content by category (last ${days} days, by engagement rate)`);
  let shown = 0;
  for (const category of CONTENT_CATEGORIES) {
    const rows = await getTopContentByCategory(db, { workspaceId, category, days, limit: 3 });
    if (rows.length === 0) continue;
    shown++;
    write(
      `\n  ${category}\n${table(
        rows.map((r) => ({
          caption: r.caption,
          platform: platforms.get(r.platformId),
          published: r.publishedAt,
          rate: pct(r.engagementRate),
          engagement: r.totalEngagement,
          views: r.viewsCount,
          conversions: r.conversionCount,
          revenue: r.revenue,
        })),
      )}\n`,
    );
  }
  if (shown === 0) write('  (no rated posts: post analytics have not been computed)\n');

  heading(write, 'Daily platform metrics (last 7 days, by publish date)');
  const from = new Date(to.getTime() - 7 * 86_400_000);
  const daily = await getDailyPlatformMetrics(db, { workspaceId, from, to });
  write(
    `${table(
      daily.map((d) => ({
        date: d.publishDate,
        platform: d.platform,
        posts: d.postsCount,
        'avg rate': pct(d.avgEngagementRate),
        engagement: d.totalEngagement,
        views: d.viewsCount,
        saves: d.savesCount,
        'site clicks': d.websiteClicks,
      })),
    )}\n`,
  );

  heading(write, `Best posting hours (UTC, last ${days} days, top 3 per platform)`);
  const hours = await getBestPostingHours(db, { workspaceId, days, minPosts: 2 });
  const perPlatform = new Map<string, number>();
  const best = hours.filter((h) => {
    const n = (perPlatform.get(h.platform) ?? 0) + 1;
    perPlatform.set(h.platform, n);
    return n <= 3;
  });
  write(`${table(best.map((h) => ({ platform: h.platform, hour: `${String(h.hour).padStart(2, '0')}:00`, posts: h.postsCount, 'avg rate': pct(h.avgEngagementRate) })))}\n`);

  heading(write, "Trending topics (emerging and trending: the brand's own, and the market's)");
  const topics = await getTrendingTopics(db, { workspaceId, limit: 10 });
  write(
    `${table(
      topics.map((t) => ({
        topic: `#${t.topicName}`,
        scope: t.scope,
        platform: platforms.get(t.platformId),
        status: t.trendStatus,
        mentions: t.mentionCount,
        'growth %': t.growthRate,
        engagement: t.engagementScore,
        relevance: t.fitnessRelevanceScore,
      })),
    )}\n`,
  );

  heading(write, 'Conversion funnel by platform (lifetime)');
  const funnel = await getConversionFunnel(db, { workspaceId, by: 'platform' });
  write(
    `${table(
      funnel.map((f) => ({
        platform: f.platform,
        'engaged users': f.engagedUsers,
        'profile visits': f.profileVisits,
        'site clicks': f.websiteClicks,
        conversions: f.conversions,
        revenue: f.revenue,
        'conv. rate': pct(f.conversionRate),
      })),
    )}\n`,
  );
}
