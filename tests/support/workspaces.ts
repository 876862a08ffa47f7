import { sql, type SQL } from 'drizzle-orm';
import { queryRows, type Db } from '../../src/db.js';
import { createUser, workspaceOf } from './fixtures.js';

// Two workspaces with a row in every table of the package, and the principals that try to reach them:
// what tests/workspaces-rls.test.ts runs its matrix on. Written by the superuser.

export const ROLES = ['viewer', 'analyst', 'editor', 'admin', 'owner'] as const;
export type Role = (typeof ROLES)[number];
/** Each workspace role of W, the owner of another workspace X, a customer (no membership), anon. */
export const PRINCIPALS = [...ROLES, 'other', 'customer', 'anon'] as const;
export type Principal = (typeof PRINCIPALS)[number];

/** One workspace's rows that the others point at. */
export interface Ws {
  id: string;
  owner: string;
  /** A viewer who is nobody's principal: the row member-management attempts aim at. */
  target: string;
  account: string;
  /** A second account, with no publishing settings yet. */
  spare: string;
  template: string;
  /** Published, with events, analytics, conversions and mentions. */
  post: string;
  /** Published, with nothing derived from it yet (for tables keyed by post alone). */
  bare: string;
}

export interface Seed {
  W: Ws;
  X: Ws;
  users: Record<Exclude<Principal, 'anon'>, string> & { newcomer: string };
  instagram: number;
}

async function one<T>(db: Db, query: SQL): Promise<T> {
  const [row] = await queryRows<T & Record<string, unknown>>(db, query);
  if (!row) throw new Error('seed: no row returned');
  return row;
}

async function hasTable(db: Db, name: string): Promise<boolean> {
  return (await one<{ found: boolean }>(db, sql`SELECT to_regclass(${'public.' + name}) IS NOT NULL AS found`)).found;
}

async function seedWorkspace(db: Db, owner: string, label: string, instagram: number, key: number): Promise<Ws> {
  const id = await workspaceOf(db, owner);
  const target = await createUser(db, { workspace: false });
  await db.execute(sql`INSERT INTO workspace_members (workspace_id, user_id, role) VALUES (${id}::uuid, ${target}::uuid, 'viewer')`);
  const { account } = await one<{ account: string }>(
    db,
    sql`INSERT INTO social_accounts (workspace_id, user_id, platform_id, handle, platform_account_id)
        VALUES (${id}::uuid, ${owner}::uuid, ${instagram}, ${'brand_' + label}, ${'ig-' + label + '-' + key}) RETURNING id::text AS account`,
  );
  const { spare } = await one<{ spare: string }>(
    db,
    sql`INSERT INTO social_accounts (workspace_id, user_id, platform_id, handle, platform_account_id)
        VALUES (${id}::uuid, ${owner}::uuid, ${instagram}, ${'spare_' + label}, ${'ig-spare-' + label + '-' + key}) RETURNING id::text AS spare`,
  );
  const { template } = await one<{ template: string }>(
    db,
    sql`INSERT INTO content_templates (workspace_id, user_id, name, category) VALUES (${id}::uuid, ${owner}::uuid, ${'template ' + label}, 'workout')
        RETURNING id::text AS template`,
  );
  // Followers before the rollup, so engagement rates (and the posting-slot stats built on them) exist.
  await db.execute(sql`UPDATE social_accounts SET follower_count = 1000 WHERE id = ${account}::uuid`);
  await db.execute(sql`
    INSERT INTO account_follower_history (account_id, recorded_on, follower_count) VALUES (${account}::uuid, current_date - 3, 1000)`);
  const post = async (caption: string) =>
    (
      await one<{ id: string }>(
        db,
        sql`INSERT INTO social_posts (workspace_id, user_id, platform_id, account_id, template_id, media_type, caption, hashtags,
                                      status, published_at, content_category)
            VALUES (${id}::uuid, ${owner}::uuid, ${instagram}, ${account}::uuid, ${template}::uuid, 'image', ${caption},
                    ${`{legday,${label}only}`}::text[], 'published', now() - interval '2 days', 'workout')
            RETURNING id::text`,
      )
    ).id;
  const p = await post(`post of ${label}`);
  const bare = await post(`bare post of ${label}`);
  await db.execute(sql`
    INSERT INTO engagement_events (post_id, event_timestamp, event_key, event_type, platform_user_id)
    VALUES (${p}::uuid, now() - interval '1 day', ${key + 1}, 'like', ${'fan-' + label}),
           (${p}::uuid, now() - interval '1 day', ${key + 2}, 'comment', ${'fan-' + label})`);
  await db.execute(sql`
    INSERT INTO engagement_events_archive (post_id, event_timestamp, event_key, event_type)
    VALUES (${p}::uuid, '2025-01-05T10:00:00Z', ${key + 3}, 'like')`);
  await db.execute(sql`
    INSERT INTO social_conversions (post_id, conversion_type, conversion_value) VALUES (${p}::uuid, 'purchase', 49.99)`);
  await db.execute(sql`
    INSERT INTO trending_topics (workspace_id, topic_name, platform_id) VALUES (${id}::uuid, ${label + 'trend'}, ${instagram})`);
  // Scheduled posts (2 in W, 1 in X), so per-workspace queue figures differ.
  for (let i = 0; i < (label === 'w' ? 2 : 1); i++) {
    await db.execute(sql`INSERT INTO social_posts (workspace_id, user_id, platform_id, account_id, media_type, caption, status, scheduled_at)
                         VALUES (${id}::uuid, ${owner}::uuid, ${instagram}, ${account}::uuid, 'image', 'scheduled', 'scheduled', now() + interval '1 day')`);
  }
  // Publishing (when its tables exist): the account's settings and one claim of the post.
  if (await hasTable(db, 'account_publishing_settings')) {
    await db.execute(sql`INSERT INTO account_publishing_settings (account_id, time_zone) VALUES (${account}::uuid, 'Europe/Berlin')`);
  }
  if (await hasTable(db, 'post_publish_attempts')) {
    await db.execute(sql`
      INSERT INTO post_publish_attempts (post_id, workspace_id, account_id, platform_id, attempt, worker, claim_token, started_at, due_at, lateness)
      VALUES (${p}::uuid, ${id}::uuid, ${account}::uuid, ${instagram}, 1, 'matrix', gen_random_uuid(), now(), now(), interval '0')`);
  }
  return { id, owner, target, account, spare, template, post: p, bare };
}

/**
 * W with one member of each role, X with its owner, a customer with no membership and a newcomer
 * (no membership; the user member-management attempts add). Every table gets rows of W and X (and
 * market rows where a table has them); the queues and shared tables get a marked row.
 */
export async function seedTwoWorkspaces(db: Db): Promise<Seed> {
  const { instagram } = await one<{ instagram: number }>(db, sql`SELECT id AS instagram FROM social_platforms WHERE name = 'instagram'`);
  const owner = await createUser(db);
  const other = await createUser(db);
  const W = await seedWorkspace(db, owner, 'w', instagram, 7_100_000);
  const X = await seedWorkspace(db, other, 'x', instagram, 7_200_000);
  const users = { owner, other, customer: '', newcomer: '' } as Seed['users'];
  for (const role of ['viewer', 'analyst', 'editor', 'admin'] as const) {
    users[role] = await createUser(db, { workspace: false });
    await db.execute(sql`INSERT INTO workspace_members (workspace_id, user_id, role, invited_by)
                         VALUES (${W.id}::uuid, ${users[role]}::uuid, ${role}, ${owner}::uuid)`);
  }
  users.customer = await createUser(db, { workspace: false });
  users.newcomer = await createUser(db, { workspace: false });

  // Derived rows as production makes them: the rollup, then the read models.
  await db.execute(sql`SELECT refresh_post_analytics()`);
  await db.execute(sql`SELECT refresh_daily_platform_metrics(), refresh_engaged_users(), refresh_template_performance()`);
  // Market data from external feeds (no workspace).
  await db.execute(sql`
    INSERT INTO topic_mentions (mention_key, mentioned_at, platform_id, topic_name, source)
    VALUES (7300001, now() - interval '3 hours', ${instagram}, 'hyrox', 'external')`);
  await db.execute(sql`INSERT INTO trending_topics (topic_name, platform_id) VALUES ('hyrox', ${instagram})`);
  // Queues and server state, one marked row each (they are drained by maintenance, not kept).
  await db.execute(sql`
    INSERT INTO engagement_rollup_queue (post_id, day, likes, comments, shares, saves, views, profile_visits, website_clicks)
    VALUES (${W.post}::uuid, '2001-01-01', 1, 0, 0, 0, 0, 0, 0)`);
  await db.execute(sql`INSERT INTO post_analytics_stale (post_id, from_day) VALUES (${W.post}::uuid, '2001-01-01')`);
  await db.execute(sql`INSERT INTO topic_comment_queue (event_timestamp, event_key, post_id, comment_text)
                       VALUES (now(), 7300002, ${W.post}::uuid, 'matrix #legday')`);
  await db.execute(sql`INSERT INTO engagement_dead_letters (source, batch_index, field, reason, payload)
                       VALUES ('matrix', 0, 'event_type', 'unknown event type', '{}'::jsonb)`);
  await db.execute(sql`INSERT INTO social_platforms (name, display_name) VALUES ('matrixplat', 'Matrix')`);
  await db.execute(sql`INSERT INTO post_metric_catalog (platform, native_name, api, canonical_name, unit, description)
                       VALUES ('instagram', 'matrix_metric', 'graph', 'matrix_metric', 'count', 'seeded by the matrix test')`);
  await db.execute(sql`INSERT INTO fitness_lexicon (term, weight) VALUES ('matrixword', 5)`);
  await db.execute(sql`INSERT INTO post_analytics_refresh_state (id) VALUES (1) ON CONFLICT DO NOTHING`);
  return { W, X, users, instagram };
}

/** What an attempt writes: the principal's user id (authors are the signed-in user) and the workspace aimed at. */
export interface WriteCtx {
  ws: Ws;
  uid: string;
  seed: Seed;
}

/**
 * How each table is written to in the matrix. `insert`: a row that is valid for service_role, so an
 * API role that is refused is refused for access alone. `update`: what is set, and how the row shows
 * it afterwards. `target`: the rows of workspace `ws` that update and delete aim at (default: all of
 * them, by workspace_id); for tables without a workspace, the marked seed row.
 */
export interface TableSpec {
  insert?: (c: WriteCtx) => SQL;
  update?: { set: SQL; check: SQL };
  target?: (ws: Ws, seed: Seed) => SQL;
}

const u = (v: string) => sql`${v}::uuid`;
const zeros24 = sql`array_fill(0, ARRAY[24])`;

export const TABLE_SPECS: Record<string, TableSpec> = {
  workspaces: {
    insert: () => sql`INSERT INTO workspaces (name, slug) VALUES ('Matrix', 'matrix-new')`,
    update: { set: sql`name = 'matrix-edit'`, check: sql`name = 'matrix-edit'` },
    target: (ws) => sql`id = ${u(ws.id)}`,
  },
  workspace_members: {
    insert: ({ ws, seed }) => sql`INSERT INTO workspace_members (workspace_id, user_id, role) VALUES (${u(ws.id)}, ${u(seed.users.newcomer)}, 'viewer')`,
    update: { set: sql`role = 'analyst'`, check: sql`role = 'analyst'` },
    target: (ws) => sql`workspace_id = ${u(ws.id)} AND user_id = ${u(ws.target)}`,
  },
  social_accounts: {
    insert: ({ ws, uid, seed }) => sql`INSERT INTO social_accounts (workspace_id, user_id, platform_id, handle, platform_account_id)
      VALUES (${u(ws.id)}, ${u(uid)}, ${seed.instagram}, 'matrix', ${'matrix-' + ws.id})`,
    update: { set: sql`display_name = 'matrix-edit'`, check: sql`display_name = 'matrix-edit'` },
  },
  content_templates: {
    insert: ({ ws, uid }) => sql`INSERT INTO content_templates (workspace_id, user_id, name) VALUES (${u(ws.id)}, ${u(uid)}, 'matrix')`,
    update: { set: sql`caption_template = 'matrix-edit'`, check: sql`caption_template = 'matrix-edit'` },
  },
  social_posts: {
    // No account or template: a post pointing into another workspace is its own test.
    insert: ({ ws, uid, seed }) => sql`INSERT INTO social_posts (workspace_id, user_id, platform_id, media_type, caption)
      VALUES (${u(ws.id)}, ${u(uid)}, ${seed.instagram}, 'image', 'matrix')`,
    update: { set: sql`caption = 'matrix-edit'`, check: sql`caption = 'matrix-edit'` },
  },
  engagement_events: {
    insert: ({ ws }) => sql`INSERT INTO engagement_events (post_id, workspace_id, event_timestamp, event_key, event_type)
      VALUES (${u(ws.post)}, ${u(ws.id)}, now(), 7400001, 'share')`,
    update: { set: sql`platform_username = 'matrix-edit'`, check: sql`platform_username = 'matrix-edit'` },
  },
  engagement_events_archive: {
    insert: ({ ws }) => sql`INSERT INTO engagement_events_archive (post_id, workspace_id, event_timestamp, event_key, event_type)
      VALUES (${u(ws.post)}, ${u(ws.id)}, '2025-01-06T10:00:00Z', 7400002, 'share')`,
    update: { set: sql`platform_username = 'matrix-edit'`, check: sql`platform_username = 'matrix-edit'` },
  },
  post_analytics: {
    insert: ({ ws }) => sql`INSERT INTO post_analytics (post_id, workspace_id, analysis_date) VALUES (${u(ws.post)}, ${u(ws.id)}, '2030-01-01')`,
    update: { set: sql`reach = 4242`, check: sql`reach = 4242` },
  },
  post_latest_analytics: {
    insert: ({ ws }) => sql`INSERT INTO post_latest_analytics (post_id, workspace_id, analysis_date, likes_count, comments_count,
        shares_count, saves_count, views_count, profile_visits, website_clicks)
      VALUES (${u(ws.bare)}, ${u(ws.id)}, current_date, 1, 0, 0, 0, 0, 0, 0)`,
    update: { set: sql`website_clicks = 4242`, check: sql`website_clicks = 4242` },
  },
  post_conversion_totals: {
    insert: ({ ws }) => sql`INSERT INTO post_conversion_totals (post_id, workspace_id, conversions, revenue) VALUES (${u(ws.bare)}, ${u(ws.id)}, 1, 1)`,
    update: { set: sql`revenue = 4242`, check: sql`revenue = 4242` },
  },
  social_conversions: {
    insert: ({ ws }) => sql`INSERT INTO social_conversions (post_id, workspace_id, conversion_type, conversion_value)
      VALUES (${u(ws.post)}, ${u(ws.id)}, 'purchase', 10)`,
    update: { set: sql`touchpoints = 42`, check: sql`touchpoints = 42` },
  },
  account_follower_history: {
    insert: ({ ws }) => sql`INSERT INTO account_follower_history (account_id, workspace_id, recorded_on, follower_count)
      VALUES (${u(ws.account)}, ${u(ws.id)}, '2030-01-01', 1)`,
    update: { set: sql`follower_count = 4242`, check: sql`follower_count = 4242` },
  },
  posting_slot_stats: {
    insert: ({ ws, seed }) => sql`INSERT INTO posting_slot_stats (workspace_id, week_start, platform_id, slot, posts_count, rate_sum)
      VALUES (${u(ws.id)}, '2030-01-07T00:00:00Z', ${seed.instagram}, 3, 1, 0.1)`,
    update: { set: sql`posts_count = 4242`, check: sql`posts_count = 4242` },
  },
  topic_mentions: {
    insert: ({ ws, seed }) => sql`INSERT INTO topic_mentions (mention_key, workspace_id, mentioned_at, platform_id, post_id, topic_name, source)
      VALUES (7400003, ${u(ws.id)}, now(), ${seed.instagram}, ${u(ws.post)}, 'matrixtopic', 'own_post')`,
    update: { set: sql`engagement_weight = 42`, check: sql`engagement_weight = 42` },
  },
  topic_mention_daily: {
    insert: ({ ws, seed }) => sql`INSERT INTO topic_mention_daily (day, workspace_id, platform_id, topic_name, cum_mentions, cum_engagement)
      VALUES ('2030-01-01', ${u(ws.id)}, ${seed.instagram}, 'matrixtopic', ${zeros24}, ${zeros24}::bigint[])`,
    update: { set: sql`cum_engagement = array_fill(42::bigint, ARRAY[24])`, check: sql`cum_engagement[1] = 42` },
  },
  trending_topics: {
    insert: ({ ws, seed }) => sql`INSERT INTO trending_topics (workspace_id, topic_name, platform_id) VALUES (${u(ws.id)}, 'matrixtopic', ${seed.instagram})`,
    update: { set: sql`growth_rate = 42`, check: sql`growth_rate = 42` },
  },
  account_publishing_settings: {
    insert: ({ ws }) => sql`INSERT INTO account_publishing_settings (account_id, workspace_id, time_zone) VALUES (${u(ws.spare)}, ${u(ws.id)}, 'UTC')`,
    update: { set: sql`posting_slots = '{09:00}'`, check: sql`posting_slots = '{09:00}'` },
  },
  post_publish_attempts: {
    insert: ({ ws, seed }) => sql`INSERT INTO post_publish_attempts (post_id, workspace_id, account_id, platform_id, attempt, worker,
        claim_token, started_at, due_at, lateness)
      VALUES (${u(ws.post)}, ${u(ws.id)}, ${u(ws.account)}, ${seed.instagram}, 2, 'matrix', gen_random_uuid(), now(), now(), interval '0')`,
    update: { set: sql`worker = 'matrix-edit'`, check: sql`worker = 'matrix-edit'` },
  },
  // Shared and server-only tables: one marked row is the target.
  social_platforms: {
    insert: () => sql`INSERT INTO social_platforms (name, display_name) VALUES ('matrixnew', 'Matrix')`,
    update: { set: sql`display_name = 'matrix-edit'`, check: sql`display_name = 'matrix-edit'` },
    target: () => sql`name = 'matrixplat'`,
  },
  post_metric_catalog: {
    insert: () => sql`INSERT INTO post_metric_catalog (platform, native_name, api, canonical_name, unit, description)
      VALUES ('instagram', 'matrix_new', 'graph', 'matrix_new', 'count', 'matrix')`,
    update: { set: sql`description = 'matrix-edit'`, check: sql`description = 'matrix-edit'` },
    target: () => sql`native_name = 'matrix_metric'`,
  },
  fitness_lexicon: {
    insert: () => sql`INSERT INTO fitness_lexicon (term, weight) VALUES ('matrixnew', 5)`,
    update: { set: sql`weight = 42`, check: sql`weight = 42` },
    target: () => sql`term = 'matrixword'`,
  },
  engagement_dead_letters: {
    insert: () => sql`INSERT INTO engagement_dead_letters (source, batch_index, field, reason, payload) VALUES ('matrix-new', 0, 'x', 'y', '{}')`,
    update: { set: sql`reason = 'matrix-edit'`, check: sql`reason = 'matrix-edit'` },
    target: () => sql`source = 'matrix'`,
  },
  engagement_rollup_queue: {
    insert: ({ seed }) => sql`INSERT INTO engagement_rollup_queue (post_id, day, likes, comments, shares, saves, views, profile_visits, website_clicks)
      VALUES (${u(seed.W.bare)}, '2001-01-02', 1, 0, 0, 0, 0, 0, 0)`,
    update: { set: sql`likes = 42`, check: sql`likes = 42` },
    target: () => sql`day = '2001-01-01'`,
  },
  post_analytics_stale: {
    insert: ({ seed }) => sql`INSERT INTO post_analytics_stale (post_id, from_day) VALUES (${u(seed.W.bare)}, '2001-01-02')`,
    update: { set: sql`from_day = '2001-01-03'`, check: sql`from_day = '2001-01-03'` },
    target: () => sql`from_day = '2001-01-01'`,
  },
  post_analytics_refresh_state: {
    // A single row (id 1): nothing to insert, for anyone.
    update: { set: sql`last_result = '{"matrix": true}'`, check: sql`last_result = '{"matrix": true}'` },
    target: () => sql`id = 1`,
  },
  topic_comment_queue: {
    insert: ({ seed }) => sql`INSERT INTO topic_comment_queue (event_timestamp, event_key, post_id, comment_text)
      VALUES (now(), 7400004, ${u(seed.W.bare)}, 'new #legday')`,
    update: { set: sql`comment_text = 'matrix-edit'`, check: sql`comment_text = 'matrix-edit'` },
    target: () => sql`event_key = 7300002`,
  },
};

/** A relation of the package's public schema, as the matrix test sees it. */
export interface Relation {
  name: string;
  /** MATRIX key: the relation, or `<parent>_*` for a partition (reachable by its own name). */
  key: string;
  kind: string;
  /** The column that says whose a row is: workspace_id (id for workspaces), or null. */
  scope: string | null;
  nullableScope: boolean;
  /** Its first column (what a write to a table without a spec sets to itself). */
  first: string;
}

/** Every table, partition, view and materialized view of public (extension members aside), from the catalog. */
export function packageRelations(db: Db): Promise<Relation[]> {
  return queryRows<Relation & Record<string, unknown>>(
    db,
    sql`SELECT c.relname AS name, c.relkind::text AS kind,
               CASE WHEN c.relispartition THEN (SELECT p.relname FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent
                                                 WHERE i.inhrelid = c.oid) || '_*' ELSE c.relname END AS key,
               CASE WHEN c.relname = 'workspaces' THEN 'id' ELSE a.attname END AS scope,
               -- A materialized view's columns are never NOT NULL: its workspace_id is a workspace's, and
               -- market rows are the trend tables' alone.
               coalesce(NOT a.attnotnull AND c.relkind <> 'm', false) AS "nullableScope",
               (SELECT f.attname FROM pg_attribute f WHERE f.attrelid = c.oid AND f.attnum = 1) AS first
        FROM pg_class c
        LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'workspace_id' AND NOT a.attisdropped
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
        ORDER BY c.relname`,
  );
}

export const count = async (db: Db, query: SQL) => Number((await queryRows<{ n: number }>(db, query))[0]!.n);
/** Rows a write changed (postgres.js reports it as `count`). */
export const rowsOf = (r: unknown) => (r as { count: number }).count;
export const sorted = (o: Record<string, number> | string) => (typeof o === 'string' ? o : Object.fromEntries(Object.entries(o).sort()));

/** Runs jobs 8 at a time (the matrix's pool size). */
export async function inBatches<T>(jobs: (() => Promise<T>)[]): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < jobs.length; i += 8) out.push(...(await Promise.all(jobs.slice(i, i + 8).map((j) => j()))));
  return out;
}

/** `| table | rows | viewer | ... |` rows of the markdown table under `heading` in `markdown`, cells trimmed, backticks dropped. */
export function markdownTable(markdown: string, heading: string): string[][] {
  const start = markdown.indexOf(heading);
  if (start < 0) throw new Error(`no "${heading}" in the document`);
  const lines = markdown.slice(start).split('\n').slice(1);
  const first = lines.findIndex((l) => l.startsWith('|'));
  const rows: string[][] = [];
  for (const line of lines.slice(first)) {
    if (!line.startsWith('|')) break;
    const cells = line.slice(1, line.endsWith('|') ? -1 : undefined).split('|').map((c) => c.trim().replace(/`/g, ''));
    if (cells.every((c) => /^:?-+:?$/.test(c))) continue;
    rows.push(cells);
  }
  return rows;
}
