import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { close, queryRows } from '../src/db.js';
import { migrate } from '../src/migrate.js';
import { getBestPostingHours } from '../src/queries/dashboard.js';
import { runDoctor } from '../src/cli/doctor.js';
import { databaseAt as databaseAtMigration, journal } from './support/upgrade.js';

// Migrations must apply on a database that already holds data at an earlier point of the journal,
// not only on an empty one. The database is brought to an earlier migration, filled with data through
// the tables of that time, then migrated to the head; nothing may be lost and the later features must
// see the earlier data.

const databaseAt = (count: number, options: { released0000?: boolean } = {}) =>
  databaseAtMigration(`socialdb_test_upgrade_${process.pid}_${count}${options.released0000 ? '_released' : ''}`, count, options);

// The core schema (bootstrap, tables, rules, RLS, compact keys): what the first tables looked like.
const CORE = journal.entries.findIndex((e) => e.tag.endsWith('engagement_keys_compact')) + 1;

describe('migrating a database that holds data', () => {
  it(`from the core schema (${CORE} migrations) to the head (${journal.entries.length})`, async () => {
    expect(CORE).toBeGreaterThan(0);
    const db = await databaseAt(CORE);
    try {
      const user = '00000000-0000-0000-0000-00000000a001';
      await db.execute(sql`insert into auth.users (id) values (${user})`);
      await db.execute(sql`
        insert into social_accounts (id, user_id, platform_id, handle, platform_account_id, follower_count)
        values ('00000000-0000-0000-0000-00000000b001', ${user}, 1, 'jmefit', 'ig-1', 1000)`);
      await db.execute(sql`insert into account_follower_history values ('00000000-0000-0000-0000-00000000b001', '2026-11-01', 1000)`);
      await db.execute(sql`
        insert into social_posts (id, user_id, platform_id, account_id, media_type, status, published_at, caption, hashtags, content_category)
        values ('00000000-0000-0000-0000-00000000c001', ${user}, 1, '00000000-0000-0000-0000-00000000b001', 'image', 'published',
                '2026-11-02T08:00:00Z', 'Leg day', '{legday,glutes}', 'workout')`);
      await db.execute(sql`
        insert into engagement_events (post_id, event_timestamp, event_key, event_type, platform_user_id, event_metadata)
        select '00000000-0000-0000-0000-00000000c001', timestamptz '2026-11-02T09:00:00Z' + g * interval '1 minute', g,
               (array['like','comment','share','view'])[1 + g % 4], 'u' || (g % 7),
               case when g % 4 = 1 then '{"text":"love it #legday"}'::jsonb end
        from generate_series(1, 200) g`);
      await db.execute(sql`
        insert into social_conversions (post_id, platform_user_id, conversion_type, conversion_value, conversion_at)
        values ('00000000-0000-0000-0000-00000000c001', 'u3', 'subscription', 29.99, '2026-11-03T10:00:00Z')`);

      await migrate(db);

      const [counts] = await queryRows<{ posts: number; events: number; conversions: number; applied: number }>(
        db,
        sql`select (select count(*)::int from social_posts) posts, (select count(*)::int from engagement_events) events,
                   (select count(*)::int from social_conversions) conversions,
                   (select count(*)::int from drizzle.__drizzle_migrations) applied`,
      );
      expect(counts).toEqual({ posts: 1, events: 200, conversions: 1, applied: journal.entries.length });

      // Events stored before the rollup existed are folded in by a rebuild from their time.
      await db.execute(sql`select refresh_post_analytics(timestamptz '2026-11-01')`);
      const [a] = await queryRows<{ likes: number; comments: number; shares: number; views: number }>(
        db,
        sql`select likes_count likes, comments_count comments, shares_count shares, views_count::int views
            from post_analytics where post_id = '00000000-0000-0000-0000-00000000c001' order by analysis_date desc limit 1`,
      );
      const [raw] = await queryRows<{ likes: number; comments: number; shares: number; views: number }>(
        db,
        sql`select count(*) filter (where event_type = 'like')::int likes, count(*) filter (where event_type = 'comment')::int comments,
                   count(*) filter (where event_type = 'share')::int shares, count(*) filter (where event_type = 'view')::int views
            from engagement_events`,
      );
      expect(a).toEqual(raw);

      // The dashboard reads the earlier post and its conversion once.
      const top = await queryRows<{ post_id: string; conversion_count: number }>(
        db,
        sql`select post_id, conversion_count::int from get_top_content_by_category(NULL, 3650)`,
      );
      expect(top).toEqual([{ post_id: '00000000-0000-0000-0000-00000000c001', conversion_count: 1 }]);
    } finally {
      await close(db);
    }
  });

  // The release before posting_slot_stats: rated posts already in post_latest_analytics must be
  // counted by the migration's backfill, and best posting hours must see them.
  const PREVIOUS = journal.entries.findIndex((e) => e.tag.endsWith('_posting_slot_stats'));
  it(`from the release before posting_slot_stats (${PREVIOUS} migrations) to the head`, async () => {
    expect(PREVIOUS).toBeGreaterThan(CORE);
    const db = await databaseAt(PREVIOUS);
    try {
      const user = '00000000-0000-0000-0000-00000000a002';
      await db.execute(sql`insert into auth.users (id) values (${user})`);
      await db.execute(sql`
        insert into social_accounts (id, user_id, platform_id, handle, platform_account_id, follower_count)
        values ('00000000-0000-0000-0000-00000000b011', ${user}, 1, 'jmefit', 'ig-2', 1000),
               ('00000000-0000-0000-0000-00000000b012', ${user}, 2, 'jmefit', 'tt-2', 1000)`);
      // 60 published posts over the last 60 days, at varied hours, on two platforms, each with three
      // analytics days (the latest one counts).
      await db.execute(sql`
        insert into social_posts (id, user_id, platform_id, account_id, media_type, status, published_at, caption)
        select ('00000000-0000-0000-0000-' || lpad(g::text, 12, '0'))::uuid, ${user}, 1 + g % 2,
               case when g % 2 = 0 then '00000000-0000-0000-0000-00000000b011'::uuid else '00000000-0000-0000-0000-00000000b012'::uuid end,
               'video', 'published', now() - make_interval(days => g, hours => (g * 7) % 24, mins => (g * 13) % 60), 'post ' || g
        from generate_series(1, 60) g`);
      await db.execute(sql`
        insert into post_analytics (post_id, analysis_date, likes_count, comments_count, shares_count, saves_count, views_count, engagement_rate)
        select p.id, (p.published_at at time zone 'UTC')::date + d, 10 * d, d, 0, 0, 100 * d, round((0.01 + (g % 9) * 0.003 + d * 0.001)::numeric, 6)
        from generate_series(1, 60) g
        join social_posts p on p.id = ('00000000-0000-0000-0000-' || lpad(g::text, 12, '0'))::uuid
        cross join generate_series(0, 2) d`);

      await migrate(db);

      const [cells] = await queryRows<{ n: number; posts: number }>(
        db,
        sql`select count(*)::int n, coalesce(sum(posts_count), 0)::int posts from posting_slot_stats`,
      );
      expect(cells!.posts).toBe(60);
      // 0038 gave the user who owned the posts a workspace of their own.
      const [ws] = await queryRows<{ id: string }>(db, sql`select workspace_id::text id from workspace_members where user_id = ${user}`);
      const got = await getBestPostingHours(db, { days: 90, workspaceId: ws!.id });
      const want = await queryRows<{ platform_id: number; hour: number; posts_count: number; avg_engagement_rate: string }>(
        db,
        sql`select platform_id, extract(hour from published_at at time zone 'UTC')::int AS hour, count(*)::int posts_count,
                   round(avg(engagement_rate), 6)::text avg_engagement_rate
            from post_latest_analytics where published_at >= now() - interval '90 days'
            group by 1, 2 order by 1, round(avg(engagement_rate), 6) desc, 2`,
      );
      expect(got.map((r) => [r.platformId, r.hour, r.postsCount, r.avgEngagementRate])).toEqual(
        want.map((r) => [r.platform_id, r.hour, r.posts_count, Number(r.avg_engagement_rate)]),
      );
      expect(got.reduce((n, r) => n + r.postsCount, 0)).toBe(60);
    } finally {
      await close(db);
    }
  });

  // The previous release, migrated with 0000 as it was released (the text this round edited so that it
  // runs on Supabase): the database keeps working, nothing is lost, and doctor still knows every
  // migration it applied.
  const RELEASE = journal.entries.findIndex((e) => e.tag.endsWith('_supabase_hardening'));
  it(`from the previous release (${RELEASE} migrations, 0000 as released) to the head`, async () => {
    expect(RELEASE).toBeGreaterThan(PREVIOUS);
    const db = await databaseAt(RELEASE, { released0000: true });
    try {
      const [old] = await queryRows<{ hash: string }>(db, sql`select hash from drizzle.__drizzle_migrations order by created_at limit 1`);
      expect(old!.hash).toBe('666115ae8ebce0cab40cb6ee8efc998efcba1a7a99deb5fe59ab9234185a5e72');
      const user = '00000000-0000-0000-0000-00000000a003';
      const post = '00000000-0000-0000-0000-00000000c003';
      await db.execute(sql`insert into auth.users (id) values (${user})`);
      await db.execute(sql`
        insert into social_accounts (id, user_id, platform_id, handle, platform_account_id, follower_count)
        values ('00000000-0000-0000-0000-00000000b003', ${user}, 1, 'jmefit', 'ig-3', 1000)`);
      await db.execute(sql`
        insert into social_posts (id, user_id, platform_id, account_id, media_type, status, published_at, caption, hashtags)
        values (${post}, ${user}, 1, '00000000-0000-0000-0000-00000000b003', 'image', 'published', now() - interval '2 days', 'Leg day', '{legday}')`);
      await db.execute(sql`
        insert into engagement_events (post_id, event_timestamp, event_key, event_type, platform_user_id, event_metadata)
        select ${post}, now() - interval '1 day' + g * interval '1 second', g, (array['like','comment','view'])[1 + g % 3], 'u' || (g % 5),
               case when g % 3 = 1 then '{"text":"#legday forever"}'::jsonb end
        from generate_series(1, 300) g`);

      await migrate(db);

      const [counts] = await queryRows<{ posts: number; events: number; applied: number; unpolicied: number }>(
        db,
        sql`select (select count(*)::int from social_posts) posts, (select count(*)::int from engagement_events) events,
                   (select count(*)::int from drizzle.__drizzle_migrations) applied,
                   (select count(*)::int from pg_class c where c.relkind = 'r' and c.relrowsecurity
                      and c.relnamespace = 'public'::regnamespace
                      and not exists (select 1 from pg_policy p where p.polrelid = c.oid)) unpolicied`,
      );
      expect(counts).toEqual({ posts: 1, events: 300, applied: journal.entries.length, unpolicied: 0 });
      // The functions this round changed run on the upgraded data.
      await db.execute(sql`select refresh_post_analytics()`);
      const [a] = await queryRows<{ n: number }>(
        db,
        sql`select sum(likes_count + comments_count + views_count)::int n from post_analytics where post_id = ${post}`,
      );
      expect(a!.n).toBe(300);
      await db.execute(sql`select record_comment_hashtags()`);

      const report = await runDoctor(db);
      const migrations = report.checks.find((c) => c.name === 'migrations');
      expect(migrations).toMatchObject({ status: 'ok' });
      expect(migrations!.summary).toMatch(new RegExp(`^${journal.entries.length} applied`));
    } finally {
      await close(db);
    }
  });
});
