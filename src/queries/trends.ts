import { and, asc, desc, eq, getTableColumns, gte, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { queryRows, type Db } from '../db.js';
import {
  TOPIC_TYPES,
  TREND_STATUSES,
  topicMentionInputSchema,
  trendingTopics,
  trendStatusRank,
  type TopicMentionInput,
  type TopicType,
  type TrendingTopic,
  type TrendStatus,
} from '../schema/trends.js';
import { InvalidInputError, num, numOrNull, parseInput } from './_input.js';

/**
 * The lifecycle thresholds `detect_trending_topics` applies (migration trend_detection); kept here so
 * callers and tests can name them. Growth is percent against the previous window.
 */
export const TREND_THRESHOLDS = {
  /** Default `min_mentions`: fewer mentions in the window and a topic is not a trend. */
  minMentions: 20,
  /** Growth at or above this (with enough mentions) is `trending`: the topic at least doubled. */
  trendingGrowth: 100,
  /** Growth at or above this (with enough mentions) is `emerging`. */
  emergingGrowth: 25,
  /** Growth at or below this is `declining`. */
  decliningGrowth: -25,
  /** The largest growth numeric(12,2) holds; larger growth is stored as this. */
  maxGrowth: 9_999_999_999.99,
} as const;

/** Default detection window, in hours (the SQL function's `window` default). */
export const DEFAULT_TREND_WINDOW_HOURS = 24;

/**
 * An unknown workspace is an error naming workspaceId. Through row-level security a workspace the
 * caller is not a member of is unknown to them, said the same way (nothing about whether it exists).
 */
async function requireWorkspace(db: Db, fn: string, workspaceId: string): Promise<void> {
  const found = await queryRows(db, sql`SELECT 1 AS one FROM workspaces WHERE id = ${workspaceId}::uuid`);
  if (found.length === 0) {
    throw new InvalidInputError(fn, [{ field: 'workspaceId', reason: `no workspace ${workspaceId} (or not one the caller is a member of)` }]);
  }
}

// ---------------------------------------------------------------------------------------------------
// recordTopicMentions

export interface TopicMentionRejection {
  /** Position of the mention in the input array. */
  index: number;
  field: string;
  reason: string;
}

export interface RecordTopicMentionsResult {
  /** Mentions stored by this call. */
  inserted: number;
  /** Valid mentions already stored (a replay), or repeated within the batch. */
  duplicates: number;
  /** Refused mentions, each with the field at fault and why; the other mentions are stored regardless. */
  rejected: TopicMentionRejection[];
}

/** Mentions per INSERT statement: a few hundred kilobytes of JSON each. */
const MENTION_CHUNK = 5_000;

type ValidMention = z.output<typeof topicMentionInputSchema>;

export const recordTopicMentionsOptionsSchema = z.strictObject({
  /**
   * The workspace whose own feed this is (e.g. listening for the brand's name): its mentions are that
   * workspace's, read by its members alone and detected as its trends. Omitted: market data, shared
   * with the staff of every workspace.
   */
  workspaceId: z.uuid('must be a UUID (the workspace whose feed this is)').optional(),
});
export type RecordTopicMentionsOptions = z.input<typeof recordTopicMentionsOptionsSchema>;

/**
 * Stores topic mentions from external feeds (or backfills). Without `workspaceId` they are the
 * market's (workspace_id NULL), except a mention naming one of our posts, which is that post's
 * workspace's; with it, every mention is that workspace's, and a post of another workspace is refused.
 * Idempotent: a mention's key is the hash of its source, platform, `sourceRef` (prefixed with the
 * workspace when one is given and the mention names no post, so two workspaces and the market never
 * collide) and normalised topic, so sending a batch again inserts nothing. Every mention is validated
 * on its own; bad ones are returned in `rejected` with field and reason, unknown platforms and posts
 * included, and never stop the good ones. An unknown workspace throws an InvalidInputError naming
 * workspaceId.
 */
export async function recordTopicMentions(
  db: Db,
  mentions: readonly TopicMentionInput[],
  opts: RecordTopicMentionsOptions = {},
): Promise<RecordTopicMentionsResult> {
  if (!Array.isArray(mentions)) {
    throw new TypeError('recordTopicMentions: mentions must be an array');
  }
  const o = parseInput('recordTopicMentions', recordTopicMentionsOptionsSchema, opts);
  const scope = o.workspaceId ?? null;
  if (scope !== null) await requireWorkspace(db, 'recordTopicMentions', scope);
  const rejected: TopicMentionRejection[] = [];
  const valid: { index: number; m: ValidMention }[] = [];
  mentions.forEach((raw, index) => {
    const parsed = topicMentionInputSchema.safeParse(raw);
    if (parsed.success) {
      valid.push({ index, m: parsed.data });
      return;
    }
    for (const issue of parsed.error.issues) {
      rejected.push({
        index,
        field: issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : issue.path.map(String).join('.') || '(mention)',
        reason: issue.code === 'unrecognized_keys' ? 'unknown field' : issue.message,
      });
    }
  });

  let inserted = 0;
  let stored = 0;
  for (let start = 0; start < valid.length; start += MENTION_CHUNK) {
    const chunk = valid.slice(start, start + MENTION_CHUNK);
    const payload = JSON.stringify(
      chunk.map(({ index, m }) => ({
        i: index,
        topic: m.topic,
        topic_type: m.topicType,
        platform_id: m.platformId,
        mentioned_at: m.mentionedAt.toISOString(),
        source: m.source,
        source_ref: m.sourceRef,
        post_id: m.postId ?? null,
        engagement_weight: m.engagementWeight,
      })),
    );
    // One statement per chunk: rows the database would refuse (unknown platform or post, a post of
    // another workspace, a name the server normalises differently) are filtered out and reported, so
    // the statement itself cannot fail. The workspace is written here (the post's, or the caller's),
    // so the fill trigger never looks the post up again.
    const [row] = await queryRows<{ inserted: unknown; refused: unknown }>(
      db,
      sql`
        WITH input AS (
          SELECT r.i, normalize_topic_name(r.topic) AS name, r.topic_type, r.platform_id, r.mentioned_at, r.source,
                 r.source_ref, r.post_id, r.engagement_weight
          FROM jsonb_to_recordset(${payload}::jsonb) AS r(
            i int, topic text, topic_type text, platform_id int, mentioned_at timestamptz, source text,
            source_ref text, post_id uuid, engagement_weight int)
        ),
        checked AS (
          SELECT input.*, sp.id AS found_post, coalesce(sp.workspace_id, ${scope}::uuid) AS workspace_id,
                 CASE
                   WHEN NOT EXISTS (SELECT 1 FROM social_platforms p WHERE p.id = input.platform_id)
                     THEN json_build_object('i', input.i, 'field', 'platformId', 'reason', 'no platform with id ' || input.platform_id)
                   WHEN input.post_id IS NOT NULL AND sp.id IS NULL
                     THEN json_build_object('i', input.i, 'field', 'postId', 'reason', 'no post with id ' || input.post_id)
                   WHEN ${scope}::uuid IS NOT NULL AND sp.workspace_id <> ${scope}::uuid
                     THEN json_build_object('i', input.i, 'field', 'postId',
                                            'reason', 'post ' || input.post_id || ' is not in workspace ' || ${scope}::uuid)
                   WHEN input.name IS NULL OR char_length(input.name) > 100
                     THEN json_build_object('i', input.i, 'field', 'topic', 'reason', 'not a topic name once normalised by the database')
                 END AS refusal
          FROM input
          LEFT JOIN social_posts sp ON sp.id = input.post_id
        ),
        ins AS (
          INSERT INTO topic_mentions (mention_key, mentioned_at, platform_id, engagement_weight, post_id, topic_name, topic_type, source,
                                      workspace_id)
          SELECT topic_mention_key(c.source, c.platform_id,
                                   CASE WHEN ${scope}::uuid IS NULL OR c.post_id IS NOT NULL THEN c.source_ref
                                        ELSE ${scope}::text || ':' || c.source_ref END, c.name),
                 c.mentioned_at, c.platform_id, c.engagement_weight, c.post_id, c.name, c.topic_type, c.source, c.workspace_id
          FROM checked c
          WHERE c.refusal IS NULL
          ON CONFLICT (mention_key) DO NOTHING
          RETURNING 1
        )
        SELECT (SELECT count(*) FROM ins) AS inserted,
               coalesce((SELECT json_agg(c.refusal ORDER BY c.i) FROM checked c WHERE c.refusal IS NOT NULL), '[]'::json) AS refused`,
    );
    const refused = (typeof row!.refused === 'string' ? JSON.parse(row!.refused) : row!.refused) as {
      i: number;
      field: string;
      reason: string;
    }[];
    for (const r of refused) rejected.push({ index: r.i, field: r.field, reason: r.reason });
    inserted += num(row!.inserted);
    stored += chunk.length - refused.length;
  }
  rejected.sort((a, b) => a.index - b.index);
  return { inserted, duplicates: stored - inserted, rejected };
}

// ---------------------------------------------------------------------------------------------------
// detectTrendingTopics

export const detectTrendingTopicsOptionsSchema = z.strictObject({
  /** Length of each compared window, in whole hours (default 24; 1 .. 2160, i.e. 90 days). */
  windowHours: z
    .number()
    .int('must be a whole number of hours (detection works in whole UTC hours)')
    .min(1, 'must be at least 1')
    .max(90 * 24, 'must be at most 2160 (90 days)')
    .optional(),
  /** Mentions a topic needs in the current window to be emerging or trending (default 20). */
  minMentions: z.number().int('must be an integer').min(1, 'must be at least 1').max(1_000_000_000).optional(),
  /** The current window ends at the start of this time's UTC hour (default: the database's now()). */
  asOf: z.date({ error: 'must be a Date' }).refine((d) => !Number.isNaN(d.getTime()), 'must be a valid date').optional(),
});
export type DetectTrendingTopicsOptions = z.input<typeof detectTrendingTopicsOptionsSchema>;

/** One topic a detection run inserted or updated (the SQL function's rows). */
export interface DetectedTrend {
  topicId: string;
  /** The workspace whose posts and comments (and own feeds) it was detected in; null: the market's. */
  workspaceId: string | null;
  topicName: string;
  platformId: number;
  topicType: TopicType;
  trendStatus: TrendStatus;
  /** Status before this run; null for a topic seen for the first time. */
  previousStatus: TrendStatus | null;
  mentionCount: number;
  previousMentionCount: number;
  engagementScore: number;
  /** Percent; see TREND_THRESHOLDS and docs/trends.md for topics new in the window. */
  growthRate: number | null;
  engagementGrowthRate: number | null;
  fitnessRelevanceScore: number | null;
  contentOpportunities: string[];
  /** `inserted`: a new row; `revived`: that day's expired row came back; `updated`: the active row. */
  action: 'inserted' | 'revived' | 'updated';
}

/**
 * Runs `detect_trending_topics`: compares each topic's mentions in the last window with the window
 * before, and inserts or updates `trending_topics`, every scope apart (each workspace's own mentions,
 * and the market's). Windows are whole UTC hours ending at the start of `asOf`'s hour. Omitted options
 * take the SQL function's defaults. A job (service role): it writes every workspace's rows.
 */
export async function detectTrendingTopics(db: Db, opts: DetectTrendingTopicsOptions = {}): Promise<DetectedTrend[]> {
  const o = parseInput('detectTrendingTopics', detectTrendingTopicsOptionsSchema, opts);
  const args: SQL[] = [];
  if (o.windowHours !== undefined) args.push(sql`"window" => make_interval(hours => ${o.windowHours}::int)`);
  if (o.minMentions !== undefined) args.push(sql`min_mentions => ${o.minMentions}::int`);
  if (o.asOf !== undefined) args.push(sql`as_of => ${o.asOf.toISOString()}::timestamptz`);
  const rows = await queryRows<Record<string, unknown>>(
    db,
    sql`SELECT * FROM detect_trending_topics(${sql.join(args, sql`, `)})`,
  );
  return rows.map((r) => ({
    topicId: String(r.topic_id),
    workspaceId: r.workspace_id === null || r.workspace_id === undefined ? null : String(r.workspace_id),
    topicName: String(r.topic_name),
    platformId: num(r.platform_id),
    topicType: r.topic_type as TopicType,
    trendStatus: r.trend_status as TrendStatus,
    previousStatus: (r.previous_status ?? null) as TrendStatus | null,
    mentionCount: num(r.mention_count),
    previousMentionCount: num(r.previous_mention_count),
    engagementScore: num(r.engagement_score),
    growthRate: numOrNull(r.growth_rate),
    engagementGrowthRate: numOrNull(r.engagement_growth_rate),
    fitnessRelevanceScore: numOrNull(r.fitness_relevance_score),
    contentOpportunities: textArrayFromDriver(r.content_opportunities),
    action: r.action as DetectedTrend['action'],
  }));
}

/** postgres.js parses text[] into an array; a driver that does not gives the '{...}' literal. */
function textArrayFromDriver(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String);
  if (typeof v !== 'string' || v === '{}') return [];
  throw new TypeError('content_opportunities: expected an array');
}

// ---------------------------------------------------------------------------------------------------
// getTrendingTopics

export const trendingTopicFiltersSchema = z.strictObject({
  /** The workspace whose trends are read (required: one brand's trends are never another's). */
  workspaceId: z.uuid('must be a UUID (the workspace whose trends are read)'),
  /** Also the market's trends (from external feeds, shared by every workspace); default true. */
  includeMarket: z.boolean({ error: 'must be true or false' }).optional(),
  platformId: z.number().int('must be an integer').positive('must be a platform id').optional(),
  /** Default: emerging and trending (the topics worth acting on). */
  statuses: z.array(z.enum(TREND_STATUSES)).min(1, 'name at least one status').optional(),
  topicType: z.enum(TOPIC_TYPES).optional(),
  /** Only topics at least this relevant to fitness (0-100). */
  minRelevance: z.number().int('must be an integer').min(0).max(100).optional(),
  /** Only topics a detection run touched at or after this time. */
  updatedSince: z.date({ error: 'must be a Date' }).optional(),
  /** At most this many rows (default 50, at most 500). */
  limit: z.number().int('must be an integer').min(1).max(500).optional(),
});
export type TrendingTopicFilters = z.input<typeof trendingTopicFiltersSchema>;

/** A trend row and whose it is: the workspace's own (`workspaceId` set) or the market's (null). */
export type TrendingTopicRow = TrendingTopic & { scope: 'workspace' | 'market' };

/**
 * Current trends of one workspace for its dashboard, with the market's unless `includeMarket` is
 * false: trending before emerging before declining before expired, then by growth, mentions and name,
 * the workspace's row before the market's on a tie (a stable order). Each scope is read off
 * `idx_trending_topics_dashboard_order` (workspace_id first) in that order and the two are merged, so
 * no sort of every topic. An unknown workspace (or, through RLS, one the caller is not a member of) is
 * an InvalidInputError naming workspaceId.
 */
export async function getTrendingTopics(db: Db, filters: TrendingTopicFilters): Promise<TrendingTopicRow[]> {
  const f = parseInput('getTrendingTopics', trendingTopicFiltersSchema, filters);
  const t = trendingTopics;
  const limit = f.limit ?? 50;
  const filter = and(
    inArray(t.trendStatus, f.statuses ?? ['trending', 'emerging']),
    f.platformId !== undefined ? eq(t.platformId, f.platformId) : undefined,
    f.topicType !== undefined ? eq(t.topicType, f.topicType) : undefined,
    f.minRelevance !== undefined ? gte(t.fitnessRelevanceScore, f.minRelevance) : undefined,
    f.updatedSince !== undefined ? gte(t.lastUpdatedAt, f.updatedSince) : undefined,
  );
  const order = [
    trendStatusRank(t.trendStatus),
    sql`${t.growthRate} DESC NULLS LAST`,
    desc(t.mentionCount),
    asc(t.topicName),
    asc(t.platformId),
  ];
  // The rank is selected so the merge can order by it: a UNION's ORDER BY takes output columns only.
  const columns = { ...getTableColumns(t), statusRank: sql<number>`${trendStatusRank(t.trendStatus)}`.as('status_rank') };
  // workspace_id leads each branch's order (one value there, so the order is the same): it is what lets
  // the market's branch (workspace_id IS NULL, which the planner does not treat as a constant as it
  // does `=`) read its first rows off the index instead of sorting every market topic.
  const scope = (workspace: SQL) =>
    db.select(columns).from(t).where(and(workspace, filter)).orderBy(asc(t.workspaceId), ...order).limit(limit);
  const own = scope(eq(t.workspaceId, f.workspaceId));
  const rows =
    f.includeMarket === false
      ? await own
      : await own
          .unionAll(scope(isNull(t.workspaceId)))
          .orderBy(
            sql`"status_rank"`,
            sql`"growth_rate" DESC NULLS LAST`,
            sql`"mention_count" DESC`,
            sql`"topic_name"`,
            sql`"platform_id"`,
            sql`"workspace_id" NULLS LAST`,
          )
          .limit(limit);
  if (!rows.some((r) => r.workspaceId !== null)) await requireWorkspace(db, 'getTrendingTopics', f.workspaceId);
  return rows.map(({ statusRank: _rank, ...r }) => ({ ...r, scope: r.workspaceId === null ? 'market' : 'workspace' }));
}

// ---------------------------------------------------------------------------------------------------
// pruneTopicMentions

export const pruneTopicMentionsOptionsSchema = z.strictObject({
  /** Keep this many days of raw mentions (default 14, at least 2: detection reads two windows). */
  keepDays: z.number().min(2, 'must be at least 2 (detection reads two windows)').max(3660).optional(),
  asOf: z.date({ error: 'must be a Date' }).optional(),
});
export type PruneTopicMentionsOptions = z.input<typeof pruneTopicMentionsOptionsSchema>;

/** Deletes raw mentions older than `keepDays` (the rollup follows); returns how many. */
export async function pruneTopicMentions(db: Db, opts: PruneTopicMentionsOptions = {}): Promise<number> {
  const o = parseInput('pruneTopicMentions', pruneTopicMentionsOptionsSchema, opts);
  const args: SQL[] = [];
  if (o.keepDays !== undefined) args.push(sql`keep => make_interval(secs => ${o.keepDays * 86400}::float8)`);
  if (o.asOf !== undefined) args.push(sql`as_of => ${o.asOf.toISOString()}::timestamptz`);
  const [row] = await queryRows<{ removed: unknown }>(
    db,
    sql`SELECT prune_topic_mentions(${sql.join(args, sql`, `)}) AS removed`,
  );
  return num(row!.removed);
}
