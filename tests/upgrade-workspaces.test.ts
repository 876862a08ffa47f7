import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { close, queryRows, type Db } from '../src/db.js';
import { migrate } from '../src/migrate.js';
import { databaseAt, migrationsBefore } from './support/upgrade.js';

// The upgrade to workspaces (0038) on a database of the previous release that holds several users'
// data: every user who owned rows gets a workspace of their own as its owner, their rows move into it,
// rows derived from a post follow the post, nothing is lost or changed, and every user reads through
// row-level security exactly the rows they read before. The one intended difference: the mixed trend
// data (mention days, lexicon) that every signed-in user used to read is now the staff's, per workspace.

const BEFORE = migrationsBefore('_workspaces');

const ANA = '00000000-0000-0000-0000-0000000000a1';
const BEN = '00000000-0000-0000-0000-0000000000b1';
/** Owns only a template. */
const CAT = '00000000-0000-0000-0000-0000000000c1';
/** A customer of the fitness app: signed in, owns nothing. */
const DAN = '00000000-0000-0000-0000-0000000000d1';

/** What a user reads of each table through RLS, as PostgREST would run it: a stable key per row. */
const VISIBLE: Record<string, string> = {
  social_accounts: `id::text`,
  account_follower_history: `account_id || '/' || recorded_on`,
  content_templates: `id::text`,
  social_posts: `id::text`,
  engagement_events: `event_key::text`,
  post_analytics: `post_id || '/' || analysis_date`,
  post_latest_analytics: `post_id::text`,
  social_conversions: `id::text`,
  post_conversion_totals: `post_id::text`,
  // Market mentions (external feeds) are one key: the staff of every workspace read them now.
  topic_mentions: `CASE WHEN source = 'external' THEN 'market' ELSE mention_key::text END`,
  trending_topics: `id::text`,
  social_platforms: `id::text`,
  post_metric_catalog: `platform || '/' || native_name || '/' || api`,
};

async function visibleTo(db: Db, user: string): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  await db.transaction(async (tx) => {
    await tx.execute(sql`SELECT set_config('request.jwt.claims', ${JSON.stringify({ sub: user, role: 'authenticated' })}, true)`);
    await tx.execute(sql`SET LOCAL ROLE authenticated`);
    for (const [table, key] of Object.entries(VISIBLE)) {
      const rows = await queryRows<{ k: string }>(tx, sql.raw(`SELECT DISTINCT ${key} AS k FROM ${table} ORDER BY 1`));
      out[table] = rows.map((r) => r.k);
    }
    tx.rollback();
  }).catch((e: unknown) => {
    if (!(e instanceof Error && e.message === 'Rollback')) throw e;
  });
  return out;
}

const BRAND_TABLES = [
  'social_accounts', 'account_follower_history', 'content_templates', 'social_posts', 'engagement_events',
  'post_analytics', 'post_latest_analytics', 'social_conversions', 'post_conversion_totals', 'topic_mentions',
];

/** The columns each brand table has now (later migrations add more: only these are compared). */
async function columnsOf(db: Db): Promise<Record<string, string[]>> {
  const rows = await queryRows<{ t: string; cols: string[] }>(
    db,
    sql`SELECT table_name::text AS t, array_agg(column_name::text ORDER BY ordinal_position) AS cols
        FROM information_schema.columns WHERE table_schema = 'public' GROUP BY 1`,
  );
  return Object.fromEntries(rows.map((r) => [r.t, r.cols]));
}

/** Every row of the brand tables as JSON, over the given columns: what must survive unchanged. */
async function contents(db: Db, columns: Record<string, string[]>): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const table of BRAND_TABLES) {
    const cols = columns[table]!.map((c) => `"${c}"`).join(', ');
    const rows = await queryRows<{ j: string }>(db, sql.raw(`SELECT to_jsonb(x)::text AS j FROM (SELECT ${cols} FROM ${table}) x ORDER BY 1`));
    out[table] = rows.map((r) => r.j);
  }
  return out;
}

async function seed(db: Db) {
  await db.execute(sql`INSERT INTO auth.users (id) VALUES (${ANA}), (${BEN}), (${CAT}), (${DAN})`);
  await db.execute(sql`
    INSERT INTO social_accounts (id, user_id, platform_id, handle, platform_account_id, follower_count) VALUES
      ('00000000-0000-0000-0000-00000000aa01', ${ANA}, 1, 'ana', 'ig-ana', 1000),
      ('00000000-0000-0000-0000-00000000bb01', ${BEN}, 1, 'ben', 'ig-ben', 2000)`);
  await db.execute(sql`
    INSERT INTO account_follower_history (account_id, recorded_on, follower_count) VALUES
      ('00000000-0000-0000-0000-00000000aa01', '2026-11-01', 900), ('00000000-0000-0000-0000-00000000bb01', '2026-11-01', 1900)`);
  await db.execute(sql`
    INSERT INTO content_templates (id, user_id, name, category, hashtag_sets) VALUES
      ('00000000-0000-0000-0000-00000000aa02', ${ANA}, 'Leg day', 'workout', '{legday}'),
      ('00000000-0000-0000-0000-00000000cc02', ${CAT}, 'Meal prep', 'nutrition', '{mealprep}')`);
  // Both publish #legday (their mentions must not mix afterwards); one post of each is later deleted,
  // leaving its events and its conversion without a post.
  await db.execute(sql`
    INSERT INTO social_posts (id, user_id, platform_id, account_id, template_id, media_type, status, published_at, caption, hashtags, content_category)
    SELECT ('00000000-0000-0000-0000-0000000a' || lpad(g::text, 4, '0'))::uuid, ${ANA}::uuid, 1, '00000000-0000-0000-0000-00000000aa01'::uuid,
           CASE WHEN g % 2 = 0 THEN '00000000-0000-0000-0000-00000000aa02'::uuid END, 'image', 'published',
           now() - make_interval(hours => 30 + g), 'ana ' || g, '{legday,glutes}'::text[], 'workout'
    FROM generate_series(1, 6) g
    UNION ALL
    SELECT ('00000000-0000-0000-0000-0000000b' || lpad(g::text, 4, '0'))::uuid, ${BEN}::uuid, 1, '00000000-0000-0000-0000-00000000bb01'::uuid,
           NULL, 'image', 'published', now() - make_interval(hours => 30 + g), 'ben ' || g, '{legday}'::text[], 'workout'
    FROM generate_series(1, 4) g`);
  await db.execute(sql`
    INSERT INTO engagement_events (post_id, event_timestamp, event_key, event_type, platform_user_id, event_metadata)
    SELECT p.id, p.published_at + g * interval '1 minute', (row_number() OVER ())::bigint,
           (ARRAY['like', 'comment', 'share', 'view'])[1 + g % 4], 'u' || (g % 9),
           CASE WHEN g % 4 = 1 THEN '{"text":"yes #legday"}'::jsonb END
    FROM social_posts p CROSS JOIN generate_series(1, 40) g`);
  await db.execute(sql`
    INSERT INTO social_conversions (post_id, platform_user_id, conversion_type, conversion_value, conversion_at)
    SELECT p.id, 'u1', 'subscription', 19.99, p.published_at + interval '2 hours' FROM social_posts p`);
  // Market data from an external feed.
  await db.execute(sql`
    INSERT INTO topic_mentions (mention_key, mentioned_at, platform_id, topic_name, topic_type, source)
    SELECT 900000 + g, now() - make_interval(hours => 3 + g % 20), 1, 'hyrox', 'hashtag', 'external' FROM generate_series(1, 30) g`);
  await db.execute(sql`SELECT refresh_post_analytics()`);
  await db.execute(sql`SELECT count(*) FROM detect_trending_topics(min_mentions => 2)`);
  await db.execute(sql`DELETE FROM social_posts WHERE id IN ('00000000-0000-0000-0000-0000000a0006', '00000000-0000-0000-0000-0000000b0004')`);
}

describe('upgrading to workspaces (0038) with several users\' data', () => {
  it('gives each owner a workspace, moves their rows, loses nothing, and every user reads what they read before', async () => {
    expect(BEFORE).toBeGreaterThan(0);
    const db = await databaseAt(`socialdb_test_upgrade_ws_${process.pid}`, BEFORE);
    try {
      await seed(db);
      const before = Object.fromEntries(await Promise.all([ANA, BEN, CAT, DAN].map(async (u) => [u, await visibleTo(db, u)] as const)));
      const columnsBefore = await columnsOf(db);
      const rowsBefore = await contents(db, columnsBefore);
      const [daily] = await queryRows<{ n: number }>(db, sql`SELECT sum(cum_mentions[24])::int AS n FROM topic_mention_daily`);
      // The scenario is not empty: every kind of row exists, and each user saw their own.
      for (const table of Object.keys(rowsBefore)) expect(rowsBefore[table]!.length, table).toBeGreaterThan(0);
      expect(before[ANA]!.trending_topics!.length).toBeGreaterThan(0);

      await migrate(db);

      // Owners: exactly the three users who owned rows, each alone in a workspace of their own.
      const owners = await queryRows<{ user_id: string; role: string; members: number }>(
        db,
        sql`SELECT m.user_id::text, m.role, (SELECT count(*) FROM workspace_members o WHERE o.workspace_id = m.workspace_id)::int AS members
            FROM workspace_members m ORDER BY 1`,
      );
      expect(owners).toEqual([ANA, BEN, CAT].map((u) => ({ user_id: u, role: 'owner', members: 1 })));

      // Nothing lost, nothing changed (updated_at included).
      expect(await contents(db, columnsBefore)).toEqual(rowsBefore);

      // Every brand row is in its owner's workspace; derived rows in their post's.
      const [mismatch] = await queryRows<{ n: number }>(
        db,
        sql`SELECT ((SELECT count(*) FROM social_posts p JOIN workspace_members m ON m.workspace_id = p.workspace_id
                    WHERE m.user_id <> p.user_id)
                 + (SELECT count(*) FROM engagement_events e JOIN social_posts p ON p.id = e.post_id WHERE e.workspace_id <> p.workspace_id)
                 + (SELECT count(*) FROM post_analytics a JOIN social_posts p ON p.id = a.post_id WHERE a.workspace_id <> p.workspace_id)
                 + (SELECT count(*) FROM topic_mentions t JOIN social_posts p ON p.id = t.post_id WHERE t.workspace_id <> p.workspace_id)
                 + (SELECT count(*) FROM social_conversions c JOIN social_posts p ON p.id = c.post_id WHERE c.workspace_id <> p.workspace_id)
                 + (SELECT count(*) FROM account_follower_history h JOIN social_accounts a ON a.id = h.account_id
                    WHERE h.workspace_id <> a.workspace_id))::int AS n`,
      );
      expect(mismatch!.n).toBe(0);
      // The rows of the two deleted posts (events, conversions, mentions) are kept, in 'unattributed'.
      const [orphans] = await queryRows<{ events: number; conversions: number; members: number }>(
        db,
        sql`SELECT (SELECT count(*) FROM engagement_events e JOIN workspaces w ON w.id = e.workspace_id WHERE w.slug = 'unattributed')::int AS events,
                   (SELECT count(*) FROM social_conversions c JOIN workspaces w ON w.id = c.workspace_id WHERE w.slug = 'unattributed')::int AS conversions,
                   (SELECT count(*) FROM workspace_members m JOIN workspaces w ON w.id = m.workspace_id WHERE w.slug = 'unattributed')::int AS members`,
      );
      expect(orphans).toEqual({ events: 80, conversions: 2, members: 0 });

      // Each user reads exactly what they read before, table by table.
      // Market mentions are the one addition: staff read them, as the issue allows.
      for (const u of [ANA, BEN, CAT]) {
        const now = await visibleTo(db, u);
        expect(before[u]!.topic_mentions, u).not.toContain('market');
        expect(now.topic_mentions, u).toContain('market');
        now.topic_mentions = now.topic_mentions!.filter((k) => k !== 'market');
        expect(now, u).toEqual(before[u]);
      }
      // The customer read the mixed trends before; now only the reference tables.
      const dan = await visibleTo(db, DAN);
      expect(before[DAN]!.trending_topics!.length).toBeGreaterThan(0);
      for (const [table, keys] of Object.entries(dan)) {
        if (table === 'social_platforms' || table === 'post_metric_catalog') expect(keys, table).toEqual(before[DAN]![table]);
        else expect(keys, table).toEqual([]);
      }

      // Mention days were moved, not recounted: the same total, split by scope, each scope equal to its mentions.
      const [after] = await queryRows<{ n: number; off: number; scopes: number }>(
        db,
        sql`WITH want AS (
              SELECT workspace_id, (mentioned_at AT TIME ZONE 'UTC')::date AS day, platform_id, topic_name, count(*)::int AS n
              FROM topic_mentions GROUP BY 1, 2, 3, 4),
            have AS (SELECT workspace_id, day, platform_id, topic_name, cum_mentions[24] AS n FROM topic_mention_daily)
            SELECT (SELECT sum(n)::int FROM have) AS n,
                   (SELECT count(*)::int FROM ((TABLE want EXCEPT TABLE have) UNION ALL (TABLE have EXCEPT TABLE want)) d) AS off,
                   (SELECT count(DISTINCT workspace_id)::int FROM topic_mention_daily) AS scopes`,
      );
      expect(after).toEqual({ n: daily!.n, off: 0, scopes: 3 });

      // Detection goes on per scope: ANA's, BEN's (and the deleted posts') #legday are separate trends.
      const detected = await queryRows<{ workspace_id: string | null; topic_name: string }>(
        db,
        sql`SELECT workspace_id::text, topic_name FROM detect_trending_topics("window" => interval '48 hours', min_mentions => 2)
            WHERE topic_name = 'legday' ORDER BY 1`,
      );
      const scopes = await queryRows<{ id: string }>(
        db,
        sql`SELECT workspace_id::text AS id FROM workspace_members WHERE user_id IN (${ANA}::uuid, ${BEN}::uuid)
            UNION ALL SELECT id::text FROM workspaces WHERE slug = 'unattributed'`,
      );
      expect(detected.map((d) => d.workspace_id).sort()).toEqual(scopes.map((w) => w.id).sort());
    } finally {
      await close(db);
    }
  });
});
