import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { queryRows, type Db } from '../db.js';
import { PLATFORM_NAMES, type PlatformName } from '../schema/platforms.js';
import { InvalidInputError, num, numOrNull, parseInput } from './_input.js';
import { pgErrorOf } from '../pg-error.js';

// Daily per-post analytics: the SQL functions of migration `analytics_functions` do the work (so pg_cron
// and Supabase RPC run the same code); these are their typed wrappers. See docs/analytics.md.

// ---------------------------------------------------------------------------------------------
// refresh_post_analytics

export const refreshPostAnalyticsOptionsSchema = z
  .object({
    /** Recount every row from this time's UTC day on from the raw events. Omit for an incremental run. */
    since: z
      .date({ error: 'must be a Date' })
      .refine((d) => !Number.isNaN(d.getTime()), 'is an invalid Date')
      .refine((d) => d.getTime() <= Date.now(), 'is in the future')
      .optional(),
  })
  .strict();
export type RefreshPostAnalyticsOptions = z.input<typeof refreshPostAnalyticsOptionsSchema>;

export interface RefreshPostAnalyticsResult {
  mode: 'incremental' | 'rebuild';
  /** Start of the recount (UTC midnight of `since`'s day), null for an incremental run. */
  since: Date | null;
  /** Events folded in from the queue (net of deletes). */
  queuedEvents: number;
  /** Events recounted from engagement_events and its archive (rebuilds only). */
  recountedEvents: number;
  /** Events of posts that do not exist: reported, with no row to land in. */
  eventsWithoutPost: number;
  postsMissing: number;
  rowsInserted: number;
  rowsUpdated: number;
  /** Rows whose engagement rate, hours, conversions or scores changed. */
  rowsDerived: number;
  durationMs: number;
}

function parseRefreshResult(raw: unknown): RefreshPostAnalyticsResult {
  const r = (typeof raw === 'string' ? JSON.parse(raw) : raw) as Record<string, unknown>;
  return {
    mode: r.mode === 'rebuild' ? 'rebuild' : 'incremental',
    since: typeof r.since === 'string' ? new Date(r.since === '-infinity' ? -8.64e15 : r.since) : null,
    queuedEvents: num(r.queuedEvents),
    recountedEvents: num(r.recountedEvents),
    eventsWithoutPost: num(r.eventsWithoutPost),
    postsMissing: num(r.postsMissing),
    rowsInserted: num(r.rowsInserted),
    rowsUpdated: num(r.rowsUpdated),
    rowsDerived: num(r.rowsDerived),
    durationMs: num(r.durationMs),
  };
}

/**
 * Folds engagement events that arrived since the last run into `post_analytics` (cumulative per UTC
 * day), then recomputes engagement rate, hours since publication, conversions and scores of the rows
 * that changed. With `since`, recounts every row from that UTC day on from the raw events instead
 * (`new Date(0)` rebuilds everything). Safe to run concurrently with ingestion and with itself.
 */
export async function refreshPostAnalytics(db: Db, opts: RefreshPostAnalyticsOptions = {}): Promise<RefreshPostAnalyticsResult> {
  const { since } = parseInput('refreshPostAnalytics', refreshPostAnalyticsOptionsSchema, opts);
  const rows = await callSql(
    'refreshPostAnalytics',
    db,
    sql`SELECT refresh_post_analytics(${since ? since.toISOString() : null}::timestamptz) AS result`,
  );
  return parseRefreshResult(rows[0]?.result);
}

// ---------------------------------------------------------------------------------------------
// Platform insights

/** A metric value as the APIs send it: a number, or a numeric string (YouTube Data API). */
type RawValue = unknown;

export interface InsightsRejection {
  metric: string;
  reason: string;
}

export interface FlattenedInsights {
  /** Native metric name to value, ready for record_post_insights. */
  metrics: Record<string, number>;
  /** Metrics refused, with why (never silently dropped). */
  rejected: InsightsRejection[];
  /** Fields of the payload that are not metrics (ids, titles, dimensions), named so nothing vanishes unseen. */
  ignored: string[];
}

// Fields of the documented payloads that describe the post rather than measure it.
const NON_METRIC_FIELDS = new Set([
  'id',
  'item_id',
  'create_time',
  'cover_image_url',
  'thumbnail_url',
  'share_url',
  'embed_url',
  'embed_html',
  'embed_link',
  'video_description',
  'caption',
  'title',
  'height',
  'width',
  'impression_sources',
  'audience_countries',
  'audience_genders',
  'audience_types',
  'engagement_likes',
]);

const NUMERIC_STRING = /^\d+(\.\d+)?$/;

function toMetricValue(value: RawValue): number | string {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return `${value} is not a finite number`;
    if (value < 0) return `${value} is negative`;
    return value;
  }
  if (typeof value === 'string' && NUMERIC_STRING.test(value.trim())) return Number(value.trim());
  if (value === null || value === undefined) return 'has no value';
  if (typeof value === 'object') return 'is an object (a breakdown); send one number per metric';
  return `${JSON.stringify(value)} is not a number`;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Turns an insights payload, in the shape the platform's API documents, into native metric name →
 * number. Accepted shapes:
 * - Instagram Graph API `GET /{media-id}/insights`: `{ data: [{ name, period, values: [{ value }] | total_value: { value } }] }`
 * - TikTok Display API `/v2/video/query/` or Business API video list: `{ data: { videos: [{ view_count, ... }] } }`, or one video object
 * - YouTube Analytics API report: `{ columnHeaders: [{ name, columnType }], rows: [[...]] }` (one row: one video)
 * - YouTube Data API `videos.list`: `{ items: [{ statistics: { viewCount: "12", ... } }] }` or `{ statistics }`
 * - a flat `{ metricName: number }` map.
 */
export function flattenInsightsPayload(platform: PlatformName, payload: unknown): FlattenedInsights {
  const out: FlattenedInsights = { metrics: {}, rejected: [], ignored: [] };
  const take = (name: string, value: RawValue) => {
    const v = toMetricValue(value);
    if (typeof v === 'number') out.metrics[name] = v;
    else out.rejected.push({ metric: name, reason: v });
  };
  const takeObject = (o: Record<string, unknown>, prefix = '') => {
    for (const [k, v] of Object.entries(o)) {
      if (NON_METRIC_FIELDS.has(k)) out.ignored.push(prefix + k);
      else take(k, v);
    }
  };
  if (!isObject(payload)) throw new InvalidInputError('recordPostInsights', [{ field: 'metrics', reason: 'must be an object' }]);

  if (platform === 'instagram' && Array.isArray(payload.data)) {
    payload.data.forEach((entry, i) => {
      if (!isObject(entry) || typeof entry.name !== 'string') {
        out.rejected.push({ metric: `data.${i}`, reason: 'has no metric name' });
        return;
      }
      const values = Array.isArray(entry.values) ? entry.values : [];
      const last = values[values.length - 1];
      const value = isObject(entry.total_value) ? entry.total_value.value : isObject(last) ? last.value : undefined;
      take(entry.name, value);
    });
    if (payload.paging !== undefined) out.ignored.push('paging');
    return out;
  }
  if (platform === 'tiktok' && isObject(payload.data) && Array.isArray(payload.data.videos)) {
    const videos = payload.data.videos;
    if (videos.length !== 1 || !isObject(videos[0])) {
      throw new InvalidInputError('recordPostInsights', [
        { field: 'metrics.data.videos', reason: `holds ${videos.length} videos; pass the one video of this post` },
      ]);
    }
    takeObject(videos[0], '');
    if (payload.error !== undefined) out.ignored.push('error');
    return out;
  }
  if (platform === 'youtube' && Array.isArray(payload.columnHeaders)) {
    const rows = Array.isArray(payload.rows) ? payload.rows : [];
    if (rows.length !== 1 || !Array.isArray(rows[0])) {
      throw new InvalidInputError('recordPostInsights', [
        { field: 'metrics.rows', reason: `holds ${rows.length} rows; filter the report to this video (one row)` },
      ]);
    }
    const row = rows[0] as unknown[];
    payload.columnHeaders.forEach((h, i) => {
      if (!isObject(h) || typeof h.name !== 'string') {
        out.rejected.push({ metric: `columnHeaders.${i}`, reason: 'has no name' });
      } else if (h.columnType === 'DIMENSION') {
        out.ignored.push(h.name);
      } else {
        take(h.name, row[i]);
      }
    });
    return out;
  }
  if (platform === 'youtube' && (Array.isArray(payload.items) || isObject(payload.statistics))) {
    const item = Array.isArray(payload.items) ? payload.items : [payload];
    if (item.length !== 1 || !isObject(item[0]) || !isObject(item[0].statistics)) {
      throw new InvalidInputError('recordPostInsights', [
        { field: 'metrics.items', reason: `holds ${item.length} videos with statistics; pass the one video of this post` },
      ]);
    }
    takeObject(item[0].statistics);
    return out;
  }
  takeObject(payload);
  return out;
}

export const recordPostInsightsInputSchema = z
  .object({
    postId: z.uuid(),
    platform: z.enum(PLATFORM_NAMES),
    /** The platform's payload (see flattenInsightsPayload) or a flat `{ metricName: number }` map. */
    metrics: z.record(z.string(), z.unknown(), { error: 'must be an object (a platform payload or a metric-name-to-number map)' }),
    /** When the API answered: the values are lifetime totals as of then, stored in that UTC day's row. */
    capturedAt: z
      .union([z.date(), z.iso.datetime({ offset: true })], { error: 'must be a Date or an ISO 8601 time with offset' })
      .transform((v) => (v instanceof Date ? v : new Date(v)))
      .refine((d) => !Number.isNaN(d.getTime()), 'is an invalid Date')
      .refine((d) => d.getTime() <= Date.now() + 5 * 60_000, 'is in the future'),
  })
  .strict();
export type RecordPostInsightsInput = z.input<typeof recordPostInsightsInputSchema>;

export interface RecordPostInsightsResult {
  postId: string;
  /** The UTC day of `capturedAt`: the row the values landed in. */
  analysisDate: string;
  /** post_analytics columns written (reach, impressions, watch_time_seconds, avg_watch_time_seconds). */
  columns: string[];
  /** platform_metrics keys written: canonical names, and '<platform>:<name>' for unknown metrics. */
  platformMetrics: string[];
  /** Native names the catalog does not know: kept under '<platform>:<name>', reported here. */
  unknown: string[];
  /** Native names the platform has retired (kept and mapped all the same). */
  deprecated: string[];
  rejected: InsightsRejection[];
  ignored: string[];
  /** Rows changed: that day's and later days' that had inherited an older capture. */
  rowsUpdated: number;
}

/**
 * Stores what a platform's insights API returned for a post into that day's `post_analytics` row,
 * mapping native metric names through `post_metric_catalog`. Invalid metrics are rejected one by one
 * (reported in `rejected`); the valid ones are still stored.
 */
export async function recordPostInsights(db: Db, input: RecordPostInsightsInput): Promise<RecordPostInsightsResult> {
  const { postId, platform, metrics, capturedAt } = parseInput('recordPostInsights', recordPostInsightsInputSchema, input);
  const flat = flattenInsightsPayload(platform, metrics);
  if (Object.keys(flat.metrics).length === 0) {
    throw new InvalidInputError(
      'recordPostInsights',
      flat.rejected.length > 0
        ? flat.rejected.map((r) => ({ field: `metrics.${r.metric}`, reason: r.reason }))
        : [{ field: 'metrics', reason: 'holds no metric' }],
    );
  }
  const rows = await callSql(
    'recordPostInsights',
    db,
    sql`SELECT record_post_insights(${postId}::uuid, ${platform}, ${JSON.stringify(flat.metrics)}::jsonb,
      ${capturedAt.toISOString()}::timestamptz) AS result`,
  );
  const raw = rows[0]?.result;
  const r = (typeof raw === 'string' ? JSON.parse(raw) : raw) as Record<string, unknown>;
  return {
    postId: String(r.postId),
    analysisDate: String(r.analysisDate),
    columns: r.columns as string[],
    platformMetrics: r.platformMetrics as string[],
    unknown: r.unknown as string[],
    deprecated: r.deprecated as string[],
    rejected: flat.rejected,
    ignored: flat.ignored,
    rowsUpdated: num(r.rowsUpdated),
  };
}

// ---------------------------------------------------------------------------------------------
// Metric catalog

export const metricCatalogFiltersSchema = z
  .object({
    platform: z.enum(PLATFORM_NAMES).optional(),
    includeDeprecated: z.boolean().optional(),
  })
  .strict();

export interface MetricCatalogEntry {
  platform: PlatformName;
  nativeName: string;
  api: string;
  canonicalName: string;
  targetColumn: string | null;
  unit: string;
  toCanonicalFactor: number;
  description: string;
  deprecatedAt: string | null;
  replacedBy: string | null;
}

/** The per-post metrics each platform's insights APIs return, and where each one lands. */
export async function listMetricCatalog(
  db: Db,
  filters: z.input<typeof metricCatalogFiltersSchema> = {},
): Promise<MetricCatalogEntry[]> {
  const f = parseInput('listMetricCatalog', metricCatalogFiltersSchema, filters);
  const rows = await queryRows<Record<string, unknown>>(
    db,
    sql`SELECT platform, native_name, api, canonical_name, target_column, unit, to_canonical_factor, description,
               deprecated_at::text AS deprecated_at, replaced_by
        FROM post_metric_catalog
        WHERE (${f.platform ?? null}::text IS NULL OR platform = ${f.platform ?? null})
          AND (${f.includeDeprecated ?? true} OR deprecated_at IS NULL)
        ORDER BY platform, native_name`,
  );
  return rows.map((r) => ({
    platform: r.platform as PlatformName,
    nativeName: String(r.native_name),
    api: String(r.api),
    canonicalName: String(r.canonical_name),
    targetColumn: (r.target_column as string | null) ?? null,
    unit: String(r.unit),
    toCanonicalFactor: numOrNull(r.to_canonical_factor) ?? 1,
    description: String(r.description),
    deprecatedAt: (r.deprecated_at as string | null) ?? null,
    replacedBy: (r.replaced_by as string | null) ?? null,
  }));
}

// ---------------------------------------------------------------------------------------------

/** Runs one of the SQL functions; its errors (which name the field, e.g. "platform: ...") come out unwrapped. */
async function callSql(fn: string, db: Db, query: ReturnType<typeof sql>): Promise<Record<string, unknown>[]> {
  try {
    return await queryRows<Record<string, unknown>>(db, query);
  } catch (err) {
    const pg = pgErrorOf(err);
    if (pg.code === '22023' || pg.code === '23503') {
      const message = pg.message ?? String(err);
      const colon = message.indexOf(':');
      throw new InvalidInputError(fn, [
        colon > 0 ? { field: message.slice(0, colon), reason: message.slice(colon + 1).trim() } : { field: '(input)', reason: message },
      ]);
    }
    throw err;
  }
}
