import { sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { queryRows, type Db } from '../db.js';
import {
  platformNameSchema,
  recordConversionInputSchema,
  type ConversionType,
  type EventType,
  type RecordConversionInput,
} from '../schema/index.js';
import { InvalidInputError, num, numOrNull, parseInput, requirePlatform, toDate, toDateOrNull } from './_input.js';
import { pgErrorOf } from '../pg-error.js';

// Social-to-business funnel and conversion recording (docs/dashboard.md). The funnel is one
// workspace's (`workspaceId`, required): an agency's brands are never summed together.

// ---------------------------------------------------------------------------------------------
// Funnel


const workspaceId = z.uuid('must be a UUID (the workspace whose funnel is read)');

export const conversionFunnelParamsSchema = z.discriminatedUnion('by', [
  z.object({ by: z.literal('platform'), workspaceId, platform: platformNameSchema.optional() }).strict(),
  z
    .object({
      by: z.literal('post'),
      workspaceId,
      platform: platformNameSchema.optional(),
      /** These posts (any status; those of other workspaces are left out), else published posts newest first. */
      postIds: z.array(z.uuid('must be a UUID')).min(1, 'must not be empty').max(1000, 'at most 1000 posts').optional(),
      limit: z.number().int('must be a whole number').min(1, 'must be at least 1').max(1000, 'must be at most 1000').default(50),
    })
    .strict(),
]);
export type ConversionFunnelParams = z.input<typeof conversionFunnelParamsSchema>;

export interface FunnelStages {
  /** Distinct platform users with an engagement event (as of the last refresh_engaged_users()). */
  engagedUsers: number;
  /** From the latest post_analytics rows (platform insights). */
  profileVisits: number;
  websiteClicks: number;
  conversions: number;
  revenue: number;
  /** conversions / engagedUsers; NULL when nobody engaged. */
  conversionRate: number | null;
}

export interface PlatformFunnelRow extends FunnelStages {
  platformId: number;
  platform: string;
}

export interface PostFunnelRow extends FunnelStages {
  postId: string;
  platformId: number;
  platform: string;
  publishedAt: Date | null;
}

function stages(r: Record<string, unknown>): FunnelStages {
  const engagedUsers = num(r.engaged_users);
  const conversions = num(r.conversions);
  return {
    engagedUsers,
    profileVisits: num(r.profile_visits),
    websiteClicks: num(r.website_clicks),
    conversions,
    revenue: num(r.revenue),
    conversionRate: engagedUsers > 0 ? conversions / engagedUsers : null,
  };
}

/**
 * Engaged users -> profile visits -> website clicks -> conversions -> revenue, lifetime, of workspace
 * `workspaceId`, per platform (every platform, or one) or per post (`postIds`, else the `limit` newest
 * published posts). Engaged users come from materialized views refreshed by `refreshEngagedUsers`; the
 * other stages are live. Reads as the server (service role): the views are closed to API clients.
 * An unknown workspace is an InvalidInputError naming workspaceId.
 */
export async function getConversionFunnel(
  db: Db,
  params: { by: 'platform'; workspaceId: string; platform?: string },
): Promise<PlatformFunnelRow[]>;
export async function getConversionFunnel(
  db: Db,
  params: { by: 'post'; workspaceId: string; platform?: string; postIds?: string[]; limit?: number },
): Promise<PostFunnelRow[]>;
export async function getConversionFunnel(
  db: Db,
  params: ConversionFunnelParams,
): Promise<PlatformFunnelRow[] | PostFunnelRow[]> {
  const fn = 'getConversionFunnel';
  const p = parseInput(fn, conversionFunnelParamsSchema, params);
  if (p.platform) await requirePlatform(db, fn, p.platform);
  const ws = sql`${p.workspaceId}::uuid`;
  if (p.by === 'platform') {
    const rows = await queryRows(
      db,
      sql`SELECT pl.id AS platform_id, pl.name AS platform,
                 coalesce(eu.engaged_users, 0) AS engaged_users,
                 coalesce(a.profile_visits, 0) AS profile_visits, coalesce(a.website_clicks, 0) AS website_clicks,
                 coalesce(c.conversions, 0) AS conversions, coalesce(c.revenue, 0) AS revenue
          FROM social_platforms pl
          LEFT JOIN platform_engaged_users eu ON eu.workspace_id = ${ws} AND eu.platform_id = pl.id
          LEFT JOIN (
            SELECT l.platform_id, sum(l.profile_visits)::bigint AS profile_visits, sum(l.website_clicks)::bigint AS website_clicks
            FROM post_latest_analytics l WHERE l.workspace_id = ${ws} GROUP BY l.platform_id
          ) a ON a.platform_id = pl.id
          LEFT JOIN (
            SELECT t.platform_id, sum(t.conversions)::bigint AS conversions, sum(t.revenue) AS revenue
            FROM post_conversion_totals t WHERE t.workspace_id = ${ws} GROUP BY t.platform_id
          ) c ON c.platform_id = pl.id
          -- Every platform has a row, zeros included: an unknown workspace must give none.
          WHERE EXISTS (SELECT 1 FROM workspaces w WHERE w.id = ${ws})
          ${p.platform ? sql`AND pl.name = ${p.platform}` : sql``}
          ORDER BY pl.id`,
    );
    if (rows.length === 0) await requireWorkspace(db, fn, p.workspaceId);
    return rows.map((r) => ({ platformId: num(r.platform_id), platform: String(r.platform), ...stages(r) }));
  }

  const where: SQL[] = [sql`p.workspace_id = ${ws}`];
  // Validated UUIDs, passed as one array literal so the statement has one parameter whatever the count.
  if (p.postIds) where.push(sql`p.id = ANY (${`{${p.postIds.join(',')}}`}::uuid[])`);
  else where.push(sql`p.status = 'published'`);
  if (p.platform) where.push(sql`pl.name = ${p.platform}`);
  const rows = await queryRows(
    db,
    sql`SELECT p.id AS post_id, p.platform_id, pl.name AS platform, p.published_at,
               coalesce(eu.engaged_users, 0) AS engaged_users,
               coalesce(l.profile_visits, 0) AS profile_visits, coalesce(l.website_clicks, 0) AS website_clicks,
               coalesce(c.conversions, 0) AS conversions, coalesce(c.revenue, 0) AS revenue
        FROM social_posts p
        JOIN social_platforms pl ON pl.id = p.platform_id
        LEFT JOIN post_engaged_users eu ON eu.post_id = p.id
        LEFT JOIN post_latest_analytics l ON l.post_id = p.id
        LEFT JOIN post_conversion_totals c ON c.post_id = p.id
        WHERE ${sql.join(where, sql` AND `)}
        ORDER BY p.published_at DESC NULLS LAST, p.id
        LIMIT ${p.limit}::int`,
  );
  if (rows.length === 0) await requireWorkspace(db, fn, p.workspaceId);
  return rows.map((r) => ({
    postId: String(r.post_id),
    platformId: num(r.platform_id),
    platform: String(r.platform),
    publishedAt: toDateOrNull(r.published_at),
    ...stages(r),
  }));
}

/** An unknown workspace (or, through RLS, one the caller is not a member of) is an error naming workspaceId. */
async function requireWorkspace(db: Db, fn: string, id: string): Promise<void> {
  const found = await queryRows(db, sql`SELECT 1 AS one FROM workspaces WHERE id = ${id}::uuid`);
  if (found.length === 0) throw new InvalidInputError(fn, [{ field: 'workspaceId', reason: `no workspace ${id} (or not one the caller is a member of)` }]);
}

/**
 * Recounts distinct engaged users per post and per platform, per workspace (SQL `refresh_engaged_users()`:
 * REFRESH MATERIALIZED VIEW CONCURRENTLY of post_engaged_users and platform_engaged_users).
 */
export async function refreshEngagedUsers(db: Db): Promise<void> {
  await db.execute(sql`SELECT refresh_engaged_users()`);
}

// ---------------------------------------------------------------------------------------------
// Recording a conversion

export interface RecordedConversion {
  id: string;
  postId: string;
  platformUserId: string | null;
  conversionType: ConversionType;
  conversionValue: number;
  conversionAt: Date;
  firstInteractionType: EventType | null;
  firstInteractionAt: Date | null;
  /** conversion_at - first_interaction_at, in seconds; NULL without a first interaction. */
  timeToConversionSeconds: number | null;
  touchpoints: number | null;
  /** Which of touchpoints / first interaction were derived from the events (not given by the caller). */
  filledFromEvents: { touchpoints: boolean; firstInteraction: boolean };
}

/**
 * Validates and stores one conversion. When `touchpoints` or the first interaction are not given
 * (undefined or null) and `platformUserId` is, they come from that user's events on the post
 * (live and archived) at or before `conversionAt`: touchpoints = how many, first interaction = the
 * earliest. Without a platformUserId they stay NULL (unknown), never 0.
 * Throws InvalidInputError naming the field for bad input or an unknown post.
 */
export async function recordConversion(db: Db, input: RecordConversionInput): Promise<RecordedConversion> {
  const fn = 'recordConversion';
  const c = parseInput(fn, recordConversionInputSchema, input);
  // Dates go as ISO text: Drizzle's postgres.js driver passes parameters through unserialized.
  const user = c.platformUserId ?? null;
  const fillTouchpoints = c.touchpoints == null && user !== null;
  const fillFirst = c.firstInteractionType == null && user !== null;
  try {
    const [row] = await queryRows(
      db,
      sql`WITH params AS (SELECT coalesce(${c.conversionAt?.toISOString() ?? null}::timestamptz, now()) AS at),
          ev AS (
            SELECT e.event_timestamp, e.event_key, e.event_type FROM engagement_events e, params
            WHERE ${fillTouchpoints || fillFirst} AND e.post_id = ${c.postId}::uuid
              AND e.platform_user_id = ${user}::varchar AND e.event_timestamp <= params.at
            UNION ALL
            SELECT e.event_timestamp, e.event_key, e.event_type FROM engagement_events_archive e, params
            WHERE ${fillTouchpoints || fillFirst} AND e.post_id = ${c.postId}::uuid
              AND e.platform_user_id = ${user}::varchar AND e.event_timestamp <= params.at
          ),
          first_ev AS (SELECT event_type, event_timestamp FROM ev ORDER BY event_timestamp, event_key LIMIT 1)
          INSERT INTO social_conversions (post_id, platform_user_id, first_interaction_type, first_interaction_at,
                                          conversion_type, conversion_value, conversion_at, touchpoints)
          SELECT ${c.postId}::uuid, ${user}::varchar,
                 CASE WHEN ${fillFirst} THEN (SELECT event_type FROM first_ev) ELSE ${c.firstInteractionType ?? null}::varchar END,
                 CASE WHEN ${fillFirst} THEN (SELECT event_timestamp FROM first_ev) ELSE ${c.firstInteractionAt?.toISOString() ?? null}::timestamptz END,
                 ${c.conversionType}::varchar, ${c.conversionValue}::numeric, params.at,
                 CASE WHEN ${fillTouchpoints} THEN (SELECT count(*)::int FROM ev) ELSE ${c.touchpoints ?? null}::int END
          FROM params
          RETURNING id, post_id, platform_user_id, conversion_type, conversion_value, conversion_at,
                    first_interaction_type, first_interaction_at,
                    extract(epoch FROM time_to_conversion)::float8 AS time_to_conversion_seconds, touchpoints`,
    );
    return {
      id: String(row!.id),
      postId: String(row!.post_id),
      platformUserId: (row!.platform_user_id as string | null) ?? null,
      conversionType: row!.conversion_type as ConversionType,
      conversionValue: num(row!.conversion_value),
      conversionAt: toDate(row!.conversion_at),
      firstInteractionType: (row!.first_interaction_type as EventType | null) ?? null,
      firstInteractionAt: toDateOrNull(row!.first_interaction_at),
      timeToConversionSeconds: numOrNull(row!.time_to_conversion_seconds),
      touchpoints: numOrNull(row!.touchpoints),
      filledFromEvents: { touchpoints: fillTouchpoints, firstInteraction: fillFirst },
    };
  } catch (err) {
    const pg = pgErrorOf(err);
    // Without a post there is no workspace to copy onto the row (NOT NULL refuses it before the foreign key).
    if ((pg.code === '23503' && /post/.test(pg.constraint_name ?? pg.message ?? '')) || (pg.code === '23502' && pg.column_name === 'workspace_id')) {
      throw new InvalidInputError(fn, [{ field: 'postId', reason: `no post ${c.postId}` }]);
    }
    if (pg.code === '23514' && pg.constraint_name === 'social_conversions_interaction_before_conversion') {
      throw new InvalidInputError(fn, [{ field: 'firstInteractionAt', reason: 'first interaction is after the conversion' }]);
    }
    throw err;
  }
}
