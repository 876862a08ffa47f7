import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql, type SQL } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { close, createDb, queryRows, type PostgresDb } from '../src/db.js';
import { migrate, migrationsFolder } from '../src/migrate.js';
import { findUnqualifiedDml } from '../src/sql/safeupdate.js';
import { buildFixture, type Fixture } from './support/dashboard-fixture.js';
import { createUser } from './support/fixtures.js';
import { anonKey, asApi, authenticatorDb, serviceKey, signedIn, type ApiWho } from './support/api.js';
import { useTestDb } from './support/db.js';
import { pgError } from './support/errors.js';
import { withDatabase } from './support/server.js';
import { asRole, createSupabaseDatabase } from './support/supabase.js';

// On a Supabase-like database (tests/support/supabase.ts): migrated by the non-superuser migrator,
// exercised through the Data API's path (authenticator, SET LOCAL ROLE, request.jwt.claims), and read
// from the catalog the way Supabase's Security Advisor and pg-safeupdate would see it.

const t = useTestDb();
let api: PostgresDb;
let fx: Fixture;

beforeAll(async () => {
  api = authenticatorDb(t.url);
  fx = await buildFixture(t.db, { seed: 20261414, posts: 40 });
});
afterAll(async () => {
  if (api) await close(api);
});

function admin() {
  return postgres(inject('adminUrl'), { max: 1, onnotice: () => {} });
}

/** Start (UTC) of the month `offset` months from the current one, by the database's clock. */
const monthStart = (offset: number) =>
  sql`((date_trunc('month', now() AT TIME ZONE 'UTC') + make_interval(months => ${offset}::int)) AT TIME ZONE 'UTC')`;

describe('migrating a fresh Supabase-like database as its non-superuser owner', () => {
  it('applies every migration with no error, no WARNING and no NOTICE, and leaves auth as the platform made it', async () => {
    const adminUrl = inject('adminUrl');
    const migrator = inject('migratorRole');
    const name = `socialdb_test_${process.pid}_sb_${randomBytes(3).toString('hex')}`;
    await createSupabaseDatabase(adminUrl, name, migrator);
    const superDb = postgres(withDatabase(adminUrl, name), { max: 1, onnotice: () => {} });
    try {
      const authState = () => superDb<{ schema_owner: string; schema_acl: string; users_owner: string; users_acl: string; uid_owner: string }[]>`
        SELECT n.nspowner::regrole::text AS schema_owner, n.nspacl::text AS schema_acl,
               c.relowner::regrole::text AS users_owner, c.relacl::text AS users_acl,
               (SELECT p.proowner::regrole::text FROM pg_proc p WHERE p.oid = 'auth.uid()'::regprocedure) AS uid_owner
        FROM pg_namespace n JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = 'users'
        WHERE n.nspname = 'auth'`;
      const before = await authState();

      const notices: { severity?: string; message?: string }[] = [];
      const db = createDb(asRole(adminUrl, migrator, name), {
        max: 1,
        postgres: { onnotice: (n) => notices.push({ severity: n.severity, message: n.message }) },
      });
      try {
        await migrate(db);
      } finally {
        await close(db);
      }
      expect(notices).toEqual([]);

      const journal = JSON.parse(readFileSync(join(migrationsFolder, 'meta/_journal.json'), 'utf8')) as { entries: unknown[] };
      const [state] = await superDb<{ applied: number; superuser: boolean; create_on_auth: boolean }[]>`
        SELECT (SELECT count(*) FROM drizzle.__drizzle_migrations)::int AS applied,
               (SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = ${migrator}) AS superuser,
               has_schema_privilege(${migrator}, 'auth', 'CREATE') AS create_on_auth`;
      expect(state).toEqual({ applied: journal.entries.length, superuser: false, create_on_auth: false });

      const after = await authState();
      expect(after).toEqual(before);
      expect(after[0]).toMatchObject({ schema_owner: 'supabase_admin', users_owner: 'supabase_auth_admin', uid_owner: 'supabase_auth_admin' });
    } finally {
      await superDb.end({ timeout: 5 });
      const a = admin();
      try {
        await a.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await a.end({ timeout: 5 });
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------------
// Every function service_role may execute, called the way supabase-js calls it with the service key.

interface Ctx {
  fx: Fixture;
  /** A published post of the first user, and its platform's name. */
  post: { id: string; platform: string; platformId: number };
}
interface Call {
  /** The request's SQL (a SELECT, as PostgREST runs an RPC). */
  sql: (c: Ctx) => SQL;
  /** What the answer must show besides "no error". */
  check?: (rows: Record<string, unknown>[], c: Ctx) => void;
  /** For a function whose job is to refuse: the error the request must get instead of rows. */
  refuses?: { code: string; message: RegExp };
  /** The direct call, when `sql` reaches the function some other way (used for the anon/authenticated check). */
  direct?: (c: Ctx) => SQL;
}

const scalar = (rows: Record<string, unknown>[]) => rows[0]!.r;

/**
 * One entry per function signature (as `regprocedure::text` prints it) that service_role may EXECUTE,
 * trigger functions aside. A function missing here fails the test below: add its call when you add it.
 * Listed in the order they are called; the calls are committed, so later ones see earlier ones' work.
 */
const CALLS: Record<string, Call> = {
  'record_engagement_events(json,text)': {
    sql: (c) => sql`SELECT record_engagement_events(${JSON.stringify([
      {
        postId: c.post.id,
        eventType: 'comment',
        eventTimestamp: new Date(Date.now() - 3_600_000).toISOString(),
        platformUserId: 'sb-user-1',
        eventMetadata: { text: 'leg day done #LegDay #hyrox' },
      },
      { postId: c.post.id, eventType: 'like', eventTimestamp: new Date(Date.now() - 7_200_000).toISOString(), platformUserId: 'sb-user-2' },
      { platform: c.post.platform, platformPostId: 'no-such-post', eventType: 'view', eventTimestamp: new Date().toISOString() },
    ])}::json, 'supabase-test') AS r`,
    check: (rows) => {
      const r = scalar(rows) as { inserted: number; duplicates: number; rejected: { index: number; field: string }[] };
      expect(r).toMatchObject({ inserted: 2, duplicates: 0 });
      expect(r.rejected.map((x) => [x.index, x.field])).toEqual([[2, 'platformPostId']]);
    },
  },
  'engagement_events_from_json(json,integer[])': {
    sql: (c) => sql`SELECT count(*) FILTER (WHERE ok)::int AS ok, count(*)::int AS n
      FROM engagement_events_from_json(${JSON.stringify([
        { postId: c.post.id, eventType: 'share', eventTimestamp: new Date().toISOString() },
        { postId: 'nope', eventType: 'share', eventTimestamp: new Date().toISOString() },
      ])}::json)`,
    check: (rows) => expect(rows[0]).toEqual({ ok: 1, n: 2 }),
  },
  'record_comment_hashtags()': {
    sql: () => sql`SELECT record_comment_hashtags() AS r`,
    // The comment recorded above carries two hashtags.
    check: (rows) => expect(Number(scalar(rows))).toBe(2),
  },
  'record_post_insights(uuid,text,jsonb,timestamp with time zone)': {
    sql: (c) => sql`SELECT record_post_insights(${c.post.id}::uuid, ${c.post.platform}, '{"likes": 7, "reach": 120}'::jsonb, now() - interval '1 minute') AS r`,
    check: (rows) => expect(scalar(rows)).toBeTypeOf('object'),
  },
  'refresh_post_analytics(timestamp with time zone)': {
    sql: () => sql`SELECT refresh_post_analytics() AS r`,
    check: (rows) => expect(scalar(rows)).toMatchObject({ mode: 'incremental' }),
  },
  'post_analytics_derive(uuid[],date[])': {
    sql: (c) => sql`SELECT post_analytics_derive(ARRAY[${c.post.id}]::uuid[], ARRAY[current_date - 30]::date[]) AS r`,
  },
  'post_latest_analytics_recompute(uuid[])': {
    sql: (c) => sql`SELECT post_latest_analytics_recompute(ARRAY[${c.post.id}]::uuid[]) AS r`,
  },
  'post_conversion_totals_recompute(uuid[])': {
    sql: (c) => sql`SELECT post_conversion_totals_recompute(ARRAY[${c.post.id}]::uuid[]) AS r`,
  },
  'detect_trending_topics_in_mentions(interval,integer,timestamp with time zone)': {
    sql: () => sql`SELECT count(*)::int AS n FROM detect_trending_topics_in_mentions(interval '24 hours', 1, now())`,
  },
  'detect_trending_topics(interval,integer,timestamp with time zone)': {
    sql: () => sql`SELECT count(*)::int AS n FROM detect_trending_topics(interval '24 hours', 1)`,
  },
  'prune_topic_mentions(interval,timestamp with time zone)': {
    sql: () => sql`SELECT prune_topic_mentions() AS r`,
  },
  'refresh_template_performance()': { sql: () => sql`SELECT refresh_template_performance() AS r` },
  'refresh_daily_platform_metrics()': { sql: () => sql`SELECT refresh_daily_platform_metrics() AS r` },
  'refresh_engaged_users()': { sql: () => sql`SELECT refresh_engaged_users() AS r` },
  'engagement_partition_ranges(regclass)': {
    sql: () => sql`SELECT count(*)::int AS n FROM engagement_partition_ranges('engagement_events'::regclass)`,
    check: (rows) => expect(rows[0]!.n).toBeGreaterThan(1),
  },
  'ensure_engagement_partitions(integer)': {
    // The template has this month and the next 3: six ahead makes it create months (and move the old
    // event waiting in DEFAULT into its own month).
    sql: () => sql`SELECT partition_name, rows_moved::int AS rows_moved FROM ensure_engagement_partitions(6)`,
    check: (rows) => {
      expect(rows.length).toBeGreaterThanOrEqual(4);
      expect(rows.some((r) => r.rows_moved === 1)).toBe(true);
    },
  },
  'archive_old_engagement_events(interval)': {
    sql: () => sql`SELECT partition_name, archived_as FROM archive_old_engagement_events(interval '2 years')`,
    check: (rows) => expect(rows).toHaveLength(1),
  },
  'social_maintenance_step(text,text)': {
    sql: () => sql`SELECT social_maintenance_step('refresh_template_performance', 'refresh_template_performance()') AS r`,
    check: (rows) => expect(scalar(rows)).toMatchObject({ ok: true }),
  },
  'run_social_maintenance(boolean,interval)': {
    sql: () => sql`SELECT run_social_maintenance(true) AS r`,
    check: (rows) => {
      const r = scalar(rows) as { ok: boolean; steps: { step: string; ok: boolean; error?: string }[] };
      expect(r.steps.filter((s) => !s.ok)).toEqual([]);
      expect(r.ok).toBe(true);
      expect(r.steps.map((s) => s.step)).toContain('archive_old_engagement_events');
    },
  },
  'schedule_social_maintenance(interval)': {
    // This database is not the one pg_cron serves (if the server has pg_cron at all): not scheduled, no error.
    sql: () => sql`SELECT schedule_social_maintenance() AS r`,
    check: (rows) => {
      const r = scalar(rows) as { scheduled: boolean; reason: string };
      expect(r.scheduled).toBe(false);
      expect(r.reason).toMatch(/pg_cron/);
    },
  },
  'unschedule_social_maintenance()': {
    sql: () => sql`SELECT unschedule_social_maintenance() AS r`,
    check: (rows) => expect(scalar(rows)).toEqual({ unscheduled: [] }),
  },
  // Publishing. Claims and outcomes are exercised in tests/publishing-*.test.ts; here each is shown to
  // run through the Data API: as of 2000 nothing is due, and an outcome for a claim nobody holds is
  // refused by name.
  'claim_due_posts(text,integer,interval,timestamp with time zone)': {
    sql: () => sql`SELECT count(*)::int AS n FROM claim_due_posts('supabase-test', as_of => '2000-01-01T00:00:00Z')`,
    check: (rows) => expect(rows[0]!.n).toBe(0),
  },
  'extend_post_lease(uuid,uuid,interval)': {
    sql: (c) => sql`SELECT extend_post_lease(${c.post.id}::uuid, gen_random_uuid()) AS r`,
    refuses: { code: '55000', message: /claim_token: extend_post_lease refused/ },
  },
  'complete_post_publish(uuid,uuid,text,text,timestamp with time zone,jsonb)': {
    sql: (c) => sql`SELECT complete_post_publish(${c.post.id}::uuid, gen_random_uuid(), 'sb-1') AS r`,
    refuses: { code: '55000', message: /claim_token: complete_post_publish refused/ },
  },
  'fail_post_publish(uuid,uuid,text,boolean,interval,jsonb,integer,interval,interval)': {
    sql: (c) => sql`SELECT * FROM fail_post_publish(${c.post.id}::uuid, gen_random_uuid(), 'timeout')`,
    refuses: { code: '55000', message: /claim_token: fail_post_publish refused/ },
  },
  'mark_post_publish_unknown(uuid,uuid,text,jsonb)': {
    sql: (c) => sql`SELECT mark_post_publish_unknown(${c.post.id}::uuid, gen_random_uuid(), 'connection reset') AS r`,
    refuses: { code: '55000', message: /claim_token: mark_post_publish_unknown refused/ },
  },
  'post_publish_claim_refused(uuid,uuid,text)': {
    sql: (c) => sql`SELECT post_publish_claim_refused(${c.post.id}::uuid, gen_random_uuid(), 'test') AS r`,
    refuses: { code: '55000', message: /claim_token: test refused/ },
  },
  'reconcile_post_publish(uuid,boolean,text,text,timestamp with time zone,timestamp with time zone)': {
    sql: () => sql`SELECT reconcile_post_publish(gen_random_uuid(), false) AS r`,
    refuses: { code: 'P0002', message: /post_id: no post/ },
  },
  'expire_post_publish_leases(timestamp with time zone,integer)': {
    sql: () => sql`SELECT expire_post_publish_leases('2000-01-01T00:00:00Z') AS r`,
    check: (rows) => expect(scalar(rows)).toBe(0),
  },
  'mark_missed_posts(timestamp with time zone)': {
    sql: () => sql`SELECT mark_missed_posts('2000-01-01T00:00:00Z') AS r`,
    check: (rows) => expect(scalar(rows)).toBe(0),
  },
  'publish_retry_delay(integer,interval,interval,double precision)': {
    sql: () => sql`SELECT extract(epoch FROM publish_retry_delay(1, interval '30 seconds', interval '1 hour', 0.5))::float8 AS r`,
    check: (rows) => expect(Number(scalar(rows))).toBeGreaterThan(0),
  },
  'platform_publish_limits(jsonb)': {
    sql: () => sql`SELECT posts_per_window AS r FROM platform_publish_limits('{"posts_per_24h": 25}'::jsonb)`,
    check: (rows) => expect(Number(scalar(rows))).toBe(25),
  },
  'get_publishing_queue(uuid,timestamp with time zone)': {
    sql: () => sql`SELECT platform FROM get_publishing_queue() ORDER BY platform`,
    check: (rows) => expect(rows.map((r) => r.platform)).toEqual(['instagram', 'tiktok', 'youtube']),
  },
  'get_top_content(character varying,integer,integer,uuid)': {
    sql: () => sql`SELECT post_id FROM get_top_content(NULL, 120, 50)`,
    check: (rows) => expect(rows.length).toBeGreaterThan(0),
  },
  'get_top_content_by_category(character varying,integer,uuid)': {
    sql: () => sql`SELECT post_id FROM get_top_content_by_category(NULL, 120)`,
    check: (rows) => expect(rows.length).toBeGreaterThan(0),
  },
  'engagement_events_event_key_required()': {
    // engagement_events.event_key's DEFAULT: a plain supabase-js insert without the key is refused with
    // an error that names the RPC.
    sql: (c) => sql`INSERT INTO engagement_events (post_id, event_type, event_timestamp) VALUES (${c.post.id}::uuid, 'like', now())`,
    refuses: { code: '23502', message: /record_engagement_events/ },
    direct: () => sql`SELECT engagement_events_event_key_required() AS r`,
  },
  'engagement_event_key(text)': {
    sql: () => sql`SELECT engagement_event_key('instagram:x:like::2026-01-01T00:00:00.000Z')::text AS r`,
    check: (rows) => expect(scalar(rows)).toMatch(/^-?\d+$/),
  },
  'topic_mention_key(text,integer,text,text)': {
    sql: (c) => sql`SELECT topic_mention_key('comment', ${c.post.platformId}::int, 'ref', 'legday')::text AS r`,
  },
  'normalize_topic_name(text)': {
    sql: () => sql`SELECT normalize_topic_name('LegDay') AS r`,
    check: (rows) => expect(scalar(rows)).toBe('legday'),
  },
  'int_array_add(integer[],integer[])': {
    sql: () => sql`SELECT int_array_add('{1,2}'::int[], '{3,4}'::int[]) AS r`,
    check: (rows) => expect(scalar(rows)).toEqual([4, 6]),
  },
  'bigint_array_add(bigint[],bigint[])': {
    sql: () => sql`SELECT bigint_array_add('{1,2}'::bigint[], '{3,4}'::bigint[])::int[] AS r`,
    check: (rows) => expect(scalar(rows)).toEqual([4, 6]),
  },
};

interface CatalogFunction {
  sig: string;
  anon: boolean;
  authenticated: boolean;
}

/** Non-trigger functions of public that service_role may execute (extension members aside). */
async function serviceRoleFunctions(): Promise<CatalogFunction[]> {
  return queryRows<CatalogFunction & Record<string, unknown>>(
    t.db,
    sql`SELECT p.oid::regprocedure::text AS sig,
               has_function_privilege('anon', p.oid, 'EXECUTE') AS anon,
               has_function_privilege('authenticated', p.oid, 'EXECUTE') AS authenticated
        FROM pg_proc p
        WHERE p.pronamespace = 'public'::regnamespace AND p.prokind IN ('f', 'p')
          AND p.prorettype <> 'trigger'::regtype
          AND has_function_privilege('service_role', p.oid, 'EXECUTE')
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
        ORDER BY 1`,
  );
}

function ctx(): Ctx {
  const post = fx.posts.find((p) => p.userId === fx.users[0] && p.status === 'published')!;
  return { fx, post: { id: post.id, platform: post.platform, platformId: post.platformId } };
}

const run = (who: ApiWho, call: Call, options: { rollback?: boolean } = {}) =>
  asApi(api, who, (tx) => queryRows<Record<string, unknown>>(tx, call.sql(ctx())), options);

describe('every function service_role may execute, called through the Data API with the service key', () => {
  it('lists every such function of the catalog (a new one cannot go untested)', async () => {
    const sigs = (await serviceRoleFunctions()).map((f) => f.sig);
    expect({ notInCALLS: sigs.filter((s) => !(s in CALLS)) }).toEqual({ notInCALLS: [] });
    expect({ notInCatalog: Object.keys(CALLS).filter((s) => !sigs.includes(s)) }).toEqual({ notInCatalog: [] });
  });

  it('runs each one for service_role, maintenance included', async () => {
    // Something for the archive: an event 30 months old, waiting in DEFAULT (its month has no partition).
    await t.db.execute(sql`
      INSERT INTO engagement_events (post_id, event_timestamp, event_key, event_type)
      VALUES (${ctx().post.id}::uuid, ${monthStart(-30)} + interval '3 days', 99000001, 'like')`);
    const failures: { fn: string; code?: string; error: string }[] = [];
    for (const [sig, call] of Object.entries(CALLS)) {
      try {
        if (call.refuses) {
          const e = await pgError(run(serviceKey, call));
          expect({ fn: sig, code: e.code, refused: call.refuses.message.test(e.message) ? 'as meant' : e.message }).toEqual({
            fn: sig,
            code: call.refuses.code,
            refused: 'as meant',
          });
          continue;
        }
        const rows = await run(serviceKey, call);
        call.check?.(rows, ctx());
      } catch (err) {
        const e = (err as { cause?: { code?: string; message?: string } }).cause ?? (err as { code?: string; message?: string });
        failures.push({ fn: sig, code: e.code, error: String(e.message ?? err) });
      }
    }
    expect(failures).toEqual([]);
  });
});

// Every cell of who-sees-what through these RPCs, for each role and another workspace's member, is in
// tests/workspaces-rls.test.ts; here: the fixture's two brands, each read by its owner.
describe('the read RPCs, as a signed-in user through the Data API', () => {
  for (const [fn, query] of [
    ['get_top_content_by_category', sql`SELECT post_id FROM get_top_content_by_category(NULL, 120)`],
    ['get_top_content', sql`SELECT post_id FROM get_top_content(NULL, 120, 1000)`],
  ] as const) {
    it(`${fn} returns the posts of the user's workspaces and only those`, async () => {
      for (const user of fx.users) {
        const ids = await asApi(api, signedIn(user), (tx) => queryRows<{ post_id: string }>(tx, query), { rollback: true });
        const theirs = sql`(SELECT m.workspace_id FROM workspace_members m WHERE m.user_id = ${user}::uuid)`;
        const own = new Set(
          (await queryRows<{ id: string }>(t.db, sql`SELECT id::text FROM social_posts WHERE workspace_id IN ${theirs}`)).map((r) => r.id),
        );
        expect(ids.length).toBeGreaterThan(0);
        expect(ids.filter((r) => !own.has(r.post_id))).toEqual([]);
        // All of them: every published post of the window with analytics, as the superuser counts them.
        const [all] = await queryRows<{ n: number }>(
          t.db,
          sql`SELECT count(*)::int AS n FROM post_latest_analytics l JOIN social_posts p ON p.id = l.post_id
              WHERE p.workspace_id IN ${theirs} AND p.status = 'published' AND p.published_at >= now() - interval '120 days'`,
        );
        expect(ids.length).toBe(fn === 'get_top_content_by_category' ? Math.min(50, all!.n) : all!.n);
      }
      // A signed-in customer of the app, a member of nothing, gets nothing.
      const customer = await createUser(t.db, { workspace: false });
      expect(await asApi(api, signedIn(customer), (tx) => queryRows(tx, query), { rollback: true })).toEqual([]);
    });
  }

  it('anon and authenticated may execute none of the service_role functions (42501)', async () => {
    const fns = (await serviceRoleFunctions()).filter((f) => f.sig in CALLS);
    const readRpcs = fns.filter((f) => f.authenticated).map((f) => f.sig);
    expect(readRpcs).toEqual([
      'get_publishing_queue(uuid,timestamp with time zone)',
      'get_top_content(character varying,integer,integer,uuid)',
      'get_top_content_by_category(character varying,integer,uuid)',
    ]);
    expect(fns.filter((f) => f.anon).map((f) => f.sig)).toEqual([]);
    const answers: { fn: string; who: string; code?: string; message: string }[] = [];
    for (const f of fns.filter((x) => !x.authenticated)) {
      for (const who of [anonKey, signedIn(fx.users[0]!)]) {
        const call = CALLS[f.sig]!;
        const e = await pgError(run(who, call.direct ? { sql: call.direct } : call, { rollback: true })).catch((err: Error) => ({
          code: 'none',
          message: err.message,
        }));
        if (e.code !== '42501' || !/permission denied for function/.test(e.message)) {
          answers.push({ fn: f.sig, who: who.role, code: e.code, message: e.message });
        }
      }
    }
    expect(answers).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------
// What Supabase's Data API (pg-safeupdate) and Security Advisor see in the catalog.

describe('function bodies in the catalog', () => {
  async function definitions(): Promise<{ sig: string; def: string; config: string[] | null }[]> {
    return queryRows(
      t.db,
      sql`SELECT p.oid::regprocedure::text AS sig, pg_get_functiondef(p.oid) AS def, p.proconfig AS config
          FROM pg_proc p
          WHERE p.pronamespace IN ('public'::regnamespace, coalesce(to_regnamespace('archive'), 'public'::regnamespace))
            AND p.prokind IN ('f', 'p')
            AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
          ORDER BY 1`,
    );
  }

  it('contain no DELETE or UPDATE without WHERE (pg-safeupdate refuses them on the Data API)', async () => {
    const defs = await definitions();
    expect(defs.length).toBeGreaterThan(30);
    const hits = defs.flatMap((d) => findUnqualifiedDml(d.def).map((h) => ({ fn: d.sig, ...h })));
    expect(hits).toEqual([]);
  });

  it('all pin search_path (the Advisor lint function_search_path_mutable is empty)', async () => {
    const mutable = (await definitions()).filter((d) => !(d.config ?? []).some((c) => c.startsWith('search_path='))).map((d) => d.sig);
    expect(mutable).toEqual([]);
  });
});

describe('findUnqualifiedDml', () => {
  it.each([
    ['DELETE FROM t RETURNING *', 'DELETE'],
    ['WITH x AS (DELETE FROM q RETURNING *) INSERT INTO r SELECT * FROM x WHERE x.id > 0', 'DELETE'],
    ['UPDATE t SET a = 1;', 'UPDATE'],
    ['UPDATE ONLY public.t AS x SET a = 1 RETURNING x.a', 'UPDATE'],
    ['BEGIN\n  DELETE FROM t;\n  UPDATE u SET a = 2 WHERE a = 1;\nEND', 'DELETE'],
    ["PERFORM 1;\nDELETE FROM t USING (SELECT id FROM s WHERE s.ok) x RETURNING 'where'", 'DELETE'],
    ["DELETE FROM t RETURNING *; SELECT 1 FROM u WHERE true", 'DELETE'],
    // An escape string's \' does not end it, so what follows is still read as SQL.
    ["SELECT E'it\\'s'; DELETE FROM t", 'DELETE'],
    ['UPDATE "My Table" SET "where" = 1', 'UPDATE'],
  ] as const)('flags %j', (text, command) => {
    expect(findUnqualifiedDml(text).map((h) => h.command)).toEqual([command]);
  });

  it.each([
    'DELETE FROM t WHERE true',
    'WITH x AS (DELETE FROM q WHERE true RETURNING *) INSERT INTO r SELECT * FROM x',
    'UPDATE t SET a = (SELECT max(b) FROM u) WHERE id = 1',
    'CREATE TABLE t (id uuid REFERENCES p (id) ON DELETE CASCADE ON UPDATE NO ACTION)',
    'SELECT * FROM t FOR UPDATE SKIP LOCKED',
    'SELECT * FROM t FOR NO KEY UPDATE',
    'INSERT INTO t (k, x) VALUES (1, 2) ON CONFLICT (k) DO UPDATE SET x = 1',
    'CREATE TRIGGER g BEFORE INSERT OR UPDATE OR DELETE ON t FOR EACH ROW EXECUTE FUNCTION f()',
    'CREATE TRIGGER g AFTER UPDATE OF a, b ON t FOR EACH ROW EXECUTE FUNCTION f()',
    'GRANT SELECT, INSERT, UPDATE, DELETE ON t TO service_role',
    "SELECT 'DELETE FROM t' AS a, 'UPDATE t SET a = 1' AS b",
    "SELECT 'it''s DELETE FROM t'",
    "SELECT E'it\\'s DELETE FROM t; UPDATE t SET a = 1'",
    'SELECT "delete" FROM t',
    '-- DELETE FROM t\nSELECT 1',
    '/* UPDATE t SET a = 1; */ SELECT 1',
    'SELECT updated_at, deleted FROM t',
    "RAISE NOTICE 'rows to update: %', n",
  ])('does not flag %j', (text) => {
    expect(findUnqualifiedDml(text)).toEqual([]);
  });
});
