import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../../src/db.js';

// Rows the tests make again and again: users, accounts, posts, events (written by the superuser).

/** The id of a platform (`instagram`, `tiktok`, `youtube`). */
export async function platformId(db: Db, name: string): Promise<number> {
  const [row] = await queryRows<{ id: number }>(db, sql`SELECT id FROM social_platforms WHERE name = ${name}`);
  if (!row) throw new Error(`no platform ${name}`);
  return Number(row.id);
}

/**
 * A user in auth.users (as the auth service makes one); `id` and `email` when given. Staff by default:
 * the user also gets a workspace of their own as its owner (`workspaceOf`), as the upgrade gives every
 * user who owned rows. `{ workspace: false }`: a customer of the fitness app, a member of nothing.
 */
export async function createUser(
  db: Db,
  options: { id?: string; email?: string; workspace?: boolean } = {},
): Promise<string> {
  const id = options.id ?? randomUUID();
  await db.execute(sql`INSERT INTO auth.users (id, email) VALUES (${id}::uuid, ${options.email ?? null})`);
  if (options.workspace !== false) {
    await db.execute(sql`
      WITH w AS (
        INSERT INTO workspaces (name, slug) VALUES (${'Workspace ' + id.slice(0, 8)}, ${'user-' + id.replace(/-/g, '')})
        RETURNING id)
      INSERT INTO workspace_members (workspace_id, user_id, role) SELECT w.id, ${id}::uuid, 'owner' FROM w`);
  }
  return id;
}

/** The first workspace `userId` owns (the one createUser made). */
export async function workspaceOf(db: Db, userId: string): Promise<string> {
  const [row] = await queryRows<{ id: string }>(
    db,
    sql`SELECT workspace_id::text AS id FROM workspace_members WHERE user_id = ${userId}::uuid AND role = 'owner'
        ORDER BY created_at, workspace_id LIMIT 1`,
  );
  if (!row) throw new Error(`user ${userId} owns no workspace`);
  return row.id;
}

/** SQL for the first workspace a user owns (fixtures insert with it). */
const ownedWorkspace = (userId: string) =>
  sql`(SELECT m.workspace_id FROM workspace_members m WHERE m.user_id = ${userId}::uuid AND m.role = 'owner'
       ORDER BY m.created_at, m.workspace_id LIMIT 1)`;

export async function createAccount(db: Db, userId: string, platform = 'instagram', workspaceId?: string): Promise<string> {
  const id = randomUUID();
  await db.execute(sql`
    INSERT INTO social_accounts (id, workspace_id, user_id, platform_id, handle, platform_account_id)
    SELECT ${id}::uuid, ${workspaceId ? sql`${workspaceId}::uuid` : ownedWorkspace(userId)}, ${userId}::uuid, p.id,
           ${'h' + id.slice(0, 8)}, ${id}
    FROM social_platforms p WHERE p.name = ${platform}`);
  return id;
}

export interface PostFixture {
  userId: string;
  /** Default: the account's workspace, else the first the user owns. */
  workspaceId?: string;
  accountId?: string | null;
  platform?: string;
  publishedAt?: string;
  category?: string | null;
  hashtags?: string[];
  mediaType?: string;
}

export async function createPost(db: Db, p: PostFixture): Promise<string> {
  const id = randomUUID();
  await db.execute(sql`
    INSERT INTO social_posts (id, workspace_id, user_id, platform_id, account_id, media_type, status, published_at, content_category, hashtags)
    SELECT ${id}::uuid,
           ${p.workspaceId ? sql`${p.workspaceId}::uuid` : p.accountId ? sql`(SELECT a.workspace_id FROM social_accounts a WHERE a.id = ${p.accountId}::uuid)` : ownedWorkspace(p.userId)},
           ${p.userId}::uuid, pl.id, ${p.accountId ?? null}::uuid, ${p.mediaType ?? 'video'}, 'published',
           ${p.publishedAt ?? '2026-11-01T08:00:00Z'}::timestamptz, ${p.category ?? null},
           ${`{${(p.hashtags ?? []).join(',')}}`}::text[]
    FROM social_platforms pl WHERE pl.name = ${p.platform ?? 'instagram'}`);
  return id;
}

/**
 * A published post with a platform id (`platform_post_id`), published now: what webhooks and
 * `recordEngagementEvents` find by (platform, platformPostId). Image on Instagram, video elsewhere.
 */
export async function createPublishedPost(db: Db, platform: string, platformPostId: string, userId: string): Promise<string> {
  const media = platform === 'instagram' ? 'image' : 'video';
  const [row] = await queryRows<{ id: string }>(
    db,
    sql`INSERT INTO social_posts (workspace_id, user_id, platform_id, media_type, platform_post_id, status, published_at)
        SELECT ${ownedWorkspace(userId)}, ${userId}, id, ${media}, ${platformPostId}, 'published', now()
        FROM social_platforms WHERE name = ${platform}
        RETURNING id::text`,
  );
  if (!row) throw new Error(`no platform ${platform}`);
  return row.id;
}

export interface EventFixture {
  postId: string;
  at: string;
  key: number | string;
  type: string;
}

/** Events as jsonb_to_recordset rows (post_id, at, key, type). */
export function eventsJson(events: EventFixture[]): string {
  return JSON.stringify(events.map((e) => ({ post_id: e.postId, at: e.at, key: String(e.key), type: e.type })));
}

/** Inserts events the way bulk ingestion does (one statement, duplicates ignored); returns how many were new. */
export async function insertEvents(db: Db, events: EventFixture[]): Promise<number> {
  if (events.length === 0) return 0;
  const rows = await queryRows<{ n: number }>(
    db,
    sql`WITH ins AS (
          INSERT INTO engagement_events (post_id, event_timestamp, event_key, event_type)
          SELECT x.post_id, x.at, x.key, x.type
          FROM jsonb_to_recordset(${eventsJson(events)}::jsonb)
            AS x(post_id uuid, at timestamptz, key bigint, type text)
          ON CONFLICT DO NOTHING
          RETURNING 1)
        SELECT count(*)::int AS n FROM ins`,
  );
  return rows[0]!.n;
}

export interface AnalyticsRow {
  post_id: string;
  day: string;
  likes: number;
  comments: number;
  shares: number;
  saves: number;
  views: number;
  profile_visits: number;
  website_clicks: number;
}

/** What post_analytics holds (event-owned columns), ordered. */
export async function analyticsRows(db: Db): Promise<AnalyticsRow[]> {
  return queryRows<AnalyticsRow & Record<string, unknown>>(
    db,
    sql.raw(`SELECT post_id::text, analysis_date::text AS day, likes_count::int AS likes, comments_count::int AS comments,
                    shares_count::int AS shares, saves_count::int AS saves, views_count::int AS views,
                    profile_visits::int AS profile_visits, website_clicks::int AS website_clicks
             FROM post_analytics ORDER BY post_id, analysis_date`),
  );
}

/**
 * The brute force: for every (post, UTC day) that has an event, every event of that post up to the end
 * of that day, counted straight from the raw table. What post_analytics must equal.
 */
export async function bruteForceRows(db: Db): Promise<AnalyticsRow[]> {
  return queryRows<AnalyticsRow & Record<string, unknown>>(
    db,
    sql.raw(`WITH ev AS (
               SELECT post_id, (event_timestamp AT TIME ZONE 'UTC')::date AS d, event_type FROM engagement_events
               UNION ALL
               SELECT post_id, (event_timestamp AT TIME ZONE 'UTC')::date, event_type FROM engagement_events_archive),
             days AS (SELECT DISTINCT post_id, d FROM ev WHERE post_id IN (SELECT id FROM social_posts))
             SELECT days.post_id::text, days.d::text AS day,
                    count(*) FILTER (WHERE ev.event_type = 'like')::int AS likes,
                    count(*) FILTER (WHERE ev.event_type = 'comment')::int AS comments,
                    count(*) FILTER (WHERE ev.event_type = 'share')::int AS shares,
                    count(*) FILTER (WHERE ev.event_type = 'save')::int AS saves,
                    count(*) FILTER (WHERE ev.event_type = 'view')::int AS views,
                    count(*) FILTER (WHERE ev.event_type = 'profile_visit')::int AS profile_visits,
                    count(*) FILTER (WHERE ev.event_type = 'website_click')::int AS website_clicks
             FROM days JOIN ev ON ev.post_id = days.post_id AND ev.d <= days.d
             GROUP BY days.post_id, days.d
             ORDER BY 1, 2`),
  );
}


/**
 * Rows by which posting_slot_stats differs from a brute-force aggregate of post_latest_analytics
 * (both directions); 0 when the triggers kept it exact.
 */
export async function postingSlotStatsDiff(db: Db): Promise<number> {
  const [row] = await queryRows<{ n: number }>(
    db,
    sql`WITH want AS (
          SELECT date_trunc('week', published_at, 'UTC') AS week_start, platform_id,
                 floor(extract(epoch FROM published_at) % 86400 / 900)::int AS slot,
                 count(*)::int AS posts_count, sum(engagement_rate) AS rate_sum
          FROM post_latest_analytics
          WHERE published_at IS NOT NULL AND platform_id IS NOT NULL AND engagement_rate IS NOT NULL
          GROUP BY 1, 2, 3
        ),
        have AS (SELECT week_start, platform_id, slot::int, posts_count, rate_sum FROM posting_slot_stats)
        SELECT (SELECT count(*) FROM (TABLE want EXCEPT TABLE have) a)::int
             + (SELECT count(*) FROM (TABLE have EXCEPT TABLE want) b)::int AS n`,
  );
  return Number(row!.n);
}
