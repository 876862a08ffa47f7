import type { Db } from '../db.js';
import { CONTENT_CATEGORIES } from '../schema/index.js';
import { feature } from './features.js';

type Row = Record<string, unknown>;
type Write = (s: string) => void;

export interface RollupStep {
  name: string;
  ok: boolean;
  detail: string;
  ms?: number;
}

/** Runs what the scheduled jobs would: post analytics, daily platform metrics, template performance, trend detection. */
export async function runRollups(db: Db, since: Date): Promise<RollupStep[]> {
  const steps: [string, Record<string, unknown> | undefined][] = [
    ['refreshPostAnalytics', { since }],
    ['refreshDailyPlatformMetrics', undefined],
    ['refreshTemplatePerformance', undefined],
    ['detectTrendingTopics', {}],
  ];
  const results: RollupStep[] = [];
  for (const [name, params] of steps) {
    const fn = feature(name);
    if (!fn) {
      results.push({ name, ok: false, detail: 'not available yet' });
      continue;
    }
    const started = performance.now();
    const res: unknown = params === undefined ? await fn(db) : await fn(db, params);
    results.push({ name, ok: true, detail: summarize(res), ms: performance.now() - started });
  }
  return results;
}

function summarize(res: unknown): string {
  if (res == null) return 'done';
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

/** Text for one value in a table cell. */
export function cell(v: unknown): string {
  if (v == null) return '–';
  if (v instanceof Date) return v.toISOString().replace('T', ' ').slice(0, 16);
  if (typeof v === 'number') {
    if (Number.isInteger(v)) return v.toLocaleString('en-US');
    return Math.abs(v) < 1 ? v.toFixed(4) : v.toLocaleString('en-US', { maximumFractionDigits: 2 });
  }
  if (typeof v === 'bigint') return v.toLocaleString('en-US');
  if (Array.isArray(v)) return v.map(cell).join(' ');
  if (typeof v === 'object') return JSON.stringify(v);
  const s = String(v);
  return s.length > 42 ? `${s.slice(0, 41)}…` : s;
}

/** A plain-text table; `columns` picks and orders the keys, else every scalar key of the first row. */
export function table(rows: Row[], columns?: string[]): string {
  if (rows.length === 0) return '  (no rows)';
  const cols = columns ?? Object.keys(rows[0]!).filter((k) => !/(^id$|_id$|Id$)/.test(k) || k === 'postId');
  const body = rows.map((r) => cols.map((c) => cell(r[c])));
  const widths = cols.map((c, i) => Math.max(c.length, ...body.map((b) => b[i]!.length)));
  const right = cols.map((c) => rows.every((r) => r[c] == null || typeof r[c] === 'number' || typeof r[c] === 'bigint'));
  const fmt = (vals: string[]) =>
    '  ' + vals.map((v, i) => (right[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join('  ');
  return [fmt(cols), '  ' + widths.map((w) => '─'.repeat(w)).join('  '), ...body.map(fmt)].join('\n');
}

function heading(write: Write, title: string) {
  write(`\n${title}\n${'═'.repeat(title.length)}\n`);
}

async function section(write: Write, title: string, fnName: string, run: (fn: NonNullable<ReturnType<typeof feature>>) => Promise<void>) {
  heading(write, title);
  const fn = feature(fnName);
  if (!fn) {
    write(`  not available yet (${fnName} is not in the package)\n`);
    return;
  }
  await run(fn);
}

function rowsOf(res: unknown): Row[] {
  if (Array.isArray(res)) return res as Row[];
  if (res && typeof res === 'object' && Array.isArray((res as { rows?: unknown }).rows)) return (res as { rows: Row[] }).rows;
  return res && typeof res === 'object' ? [res as Row] : [];
}

/** Prints the dashboard: top content by category, daily platform metrics, best hours, trending topics, conversion funnel. */
export async function printDashboard(db: Db, write: Write, options: { days?: number } = {}): Promise<void> {
  const days = options.days ?? 30;

  await section(write, `Top content by category (last ${days} days)`, 'getTopContentByCategory', async (fn) => {
    for (const category of CONTENT_CATEGORIES) {
      const rows = rowsOf(await fn(db, { category, days, limit: 3 }));
      if (rows.length === 0) continue;
      write(`\n  ${category}\n${table(rows)}\n`);
    }
  });

  await section(write, 'Daily platform metrics (last 7 days)', 'getDailyPlatformMetrics', async (fn) => {
    const from = new Date(Date.now() - 7 * 86_400_000);
    const rows = rowsOf(await fn(db, { from, to: new Date(), days: 7 }));
    write(`${table(rows)}\n`);
  });

  await section(write, 'Best posting hours (UTC)', 'getBestPostingHours', async (fn) => {
    const rows = rowsOf(await fn(db, { days, limit: 5 })).slice(0, 9);
    write(`${table(rows)}\n`);
  });

  await section(write, 'Trending topics', 'getTrendingTopics', async (fn) => {
    const rows = rowsOf(await fn(db, { limit: 10 })).slice(0, 10);
    write(`${table(rows)}\n`);
  });

  await section(write, 'Conversion funnel by platform', 'getConversionFunnel', async (fn) => {
    const rows = rowsOf(await fn(db, { by: 'platform' }));
    write(`${table(rows)}\n`);
  });
}
