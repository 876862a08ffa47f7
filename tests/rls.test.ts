import { sql, type SQL } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { close, createEmbeddedDb, queryRows, type Db, type PostgresDb } from '../src/db.js';
import { migrate } from '../src/migrate.js';
import { asApi, authenticatorDb, type ApiWho } from './support/api.js';
import { useTestDb } from './support/db.js';
import { pgError } from './support/errors.js';
import { createAccount, createPost, createUser, insertEvents, workspaceOf } from './support/fixtures.js';

// Row-level security as the Supabase API roles meet it, beyond the cell-by-cell matrix of
// tests/workspaces-rls.test.ts: writes by a workspace's owner and what they cascade into, rows that may
// not change workspace or author, TRUNCATE, a token without a user, how the membership check is
// planned, anon, service_role, and the same policies on PGlite. Each check is one Data API request
// (authenticator, SET LOCAL ROLE, request.jwt.claims), rolled back. Fixtures are written by the superuser.

const t = useTestDb();
let api: PostgresDb;
afterAll(async () => {
  if (api) await close(api);
});
type Who = ApiWho;
const asUser = (sub: string): Who => ({ role: 'authenticated', sub });
const anon: Who = { role: 'anon' };
const service: Who = { role: 'service_role' };

/** One API request as `who`, rolled back; through the authenticator, or on `db` (PGlite has no login roles). */
async function as<T>(who: Who, work: (tx: Db) => Promise<T>, db: Db = api): Promise<T> {
  return asApi(db, who, work, { rollback: true });
}
const count = async (db: Db, query: SQL) => Number((await queryRows<{ n: string | number }>(db, query))[0]!.n);
const rowsOf = (r: unknown) => (r as { count: number }).count;

/** Refused by the privilege system or by a policy: both are SQLSTATE 42501. */
async function refused(promise: Promise<unknown>, why: RegExp) {
  const e = await pgError(promise);
  expect(e.code).toBe('42501');
  expect(e.message).toMatch(why);
}
const PERMISSION = /permission denied/;
const POLICY = /violates row-level security policy/;

interface Owned {
  workspace: string;
  account: string;
  template: string;
  post: string;
}
const owned: Record<string, Owned> = {};
let A = '';
let B = '';
let instagram = 0;

/** Relations of the package's public schema, from the catalog (so tables added later are included). */
async function relations(kinds: string[]): Promise<{ name: string; partition: boolean }[]> {
  return queryRows(
    t.db,
    sql`select c.relname as name, c.relispartition as partition from pg_class c
        where c.relnamespace = 'public'::regnamespace and c.relkind::text in (${sql.join(kinds.map((k) => sql`${k}`), sql`, `)})
          and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
        order by c.relname`,
  );
}

beforeAll(async () => {
  api = authenticatorDb(t.url);
  const db = t.db;
  instagram = Number((await queryRows<{ id: number }>(db, sql`select id from social_platforms where name = 'instagram'`))[0]!.id);
  A = await createUser(db, { email: 'a@jmefit.test' });
  B = await createUser(db, { email: 'b@jmefit.test' });
  for (const [i, user] of [A, B].entries()) {
    const workspace = await workspaceOf(db, user);
    const account = await createAccount(db, user, 'instagram', workspace);
    const [{ id: template }] = (await queryRows<{ id: string }>(
      db,
      sql`insert into content_templates (workspace_id, user_id, name) values (${workspace}::uuid, ${user}::uuid, ${'template ' + i}) returning id::text`,
    )) as [{ id: string }];
    const post = await createPost(db, { userId: user, accountId: account, publishedAt: '2026-11-20T12:00:00Z' });
    await db.execute(sql`update social_posts set template_id = ${template}::uuid, caption = ${'post of user ' + i} where id = ${post}::uuid`);
    owned[user] = { workspace, account, template, post };
    // Rows derived from the post, which deleting it must cascade into as its owner.
    await insertEvents(db, [{ postId: post, at: '2026-11-21T10:00:00Z', key: 1000 + i, type: 'comment' }]);
    await db.execute(sql`insert into post_analytics (post_id, analysis_date, likes_count) values (${post}::uuid, '2026-11-21', 10)`);
    await db.execute(sql`insert into social_conversions (post_id, conversion_type, conversion_value) values (${post}::uuid, 'purchase', 49.99)`);
    await db.execute(sql`insert into account_follower_history (account_id, recorded_on, follower_count) values (${account}::uuid, '2026-11-21', 1000)`);
  }
});

describe('a workspace’s owner, through the Data API', () => {
  it('updates and deletes the workspace’s posts, accounts and templates (with what they cascade into), and never another workspace’s', async () => {
    for (const [table, column, key] of [
      ['social_posts', 'caption', 'post'],
      ['social_accounts', 'display_name', 'account'],
      ['content_templates', 'caption_template', 'template'],
    ] as const) {
      const tbl = sql.identifier(table);
      const col = sql.identifier(column);
      const changed = await as(asUser(A), async (tx) => ({
        own: rowsOf(await tx.execute(sql`update ${tbl} set ${col} = 'by A' where id = ${owned[A]![key]}::uuid`)),
        othersUpdate: rowsOf(await tx.execute(sql`update ${tbl} set ${col} = 'by A' where id = ${owned[B]![key]}::uuid`)),
        othersDelete: rowsOf(await tx.execute(sql`delete from ${tbl} where id = ${owned[B]![key]}::uuid`)),
        ownDelete: rowsOf(await tx.execute(sql`delete from ${tbl} where id = ${owned[A]![key]}::uuid`)),
      }));
      expect({ table, ...changed }).toEqual({ table, own: 1, othersUpdate: 0, othersDelete: 0, ownDelete: 1 });
    }
    const [bPost] = await queryRows<{ caption: string }>(t.db, sql`select caption from social_posts where id = ${owned[B]!.post}::uuid`);
    expect(bPost!.caption).toBe('post of user 1');
  });

  it('creates posts, accounts and templates in the workspace, authored by themselves only', async () => {
    const ws = owned[A]!.workspace;
    const made = await as(asUser(A), async (tx) => {
      await tx.execute(sql`insert into social_accounts (workspace_id, user_id, platform_id, handle, platform_account_id)
                           values (${ws}::uuid, ${A}::uuid, ${instagram}, 'second', 'ig-a2')`);
      await tx.execute(sql`insert into content_templates (workspace_id, user_id, name) values (${ws}::uuid, ${A}::uuid, 'mine')`);
      // The workspace is taken from the account when the post leaves it out.
      await tx.execute(sql`insert into social_posts (user_id, platform_id, account_id, media_type) values (${A}::uuid, ${instagram}, ${owned[A]!.account}::uuid, 'reel')`);
      return count(tx, sql`select count(*) as n from social_posts where workspace_id = ${ws}::uuid and media_type = 'reel'`);
    });
    expect(made).toBe(1);
    for (const statement of [
      sql`insert into social_posts (workspace_id, user_id, platform_id, media_type) values (${ws}::uuid, ${B}::uuid, ${instagram}, 'image')`,
      sql`insert into content_templates (workspace_id, user_id, name) values (${ws}::uuid, ${B}::uuid, 'not mine')`,
      sql`insert into social_accounts (workspace_id, user_id, platform_id, handle, platform_account_id) values (${ws}::uuid, ${B}::uuid, ${instagram}, 'x', 'ig-x')`,
    ]) {
      await refused(as(asUser(A), (tx) => tx.execute(statement)), POLICY);
    }
  });

  it('cannot move a row into another workspace, even one they own', async () => {
    const other = owned[B]!.workspace;
    for (const [table, key] of [['social_posts', 'post'], ['social_accounts', 'account'], ['content_templates', 'template']] as const) {
      for (const who of [asUser(A), service]) {
        const e = await pgError(as(who, (tx) => tx.execute(sql`update ${sql.identifier(table)} set workspace_id = ${other}::uuid where id = ${owned[A]![key]}::uuid`)));
        expect({ table, who: who.role, code: e.code, message: e.message }).toEqual({
          table, who: who.role, code: who === service ? '23514' : expect.stringMatching(/^(23514|42501)$/), message: expect.stringMatching(/workspace/),
        });
      }
    }
  });

  it('cannot TRUNCATE any table or partition, which row-level security would not stop', async () => {
    const tables = await relations(['r', 'p']);
    expect(tables.length).toBeGreaterThan(20);
    const truncated: string[] = [];
    for (const { name } of tables) {
      const e = await pgError(as(asUser(A), (tx) => tx.execute(sql`truncate ${sql.identifier(name)} cascade`))).catch(() => ({ code: 'none', message: 'truncated' }));
      if (e.code !== '42501') truncated.push(`${name}: ${e.message}`);
    }
    expect(truncated).toEqual([]);
  });
});

describe('membership checks', () => {
  it('are computed once per statement: member_workspaces is an InitPlan in every plan, never a per-row filter or SubPlan', async () => {
    const tables = await queryRows<{ name: string }>(
      t.db,
      sql`select distinct c.relname as name from pg_policy p join pg_class c on c.oid = p.polrelid
          where 'authenticated'::regrole = any (p.polroles) and p.polcmd in ('r', '*')
            and pg_get_expr(p.polqual, p.polrelid) like '%member_workspaces(%' order by 1`,
    );
    expect(tables.map((x) => x.name)).toEqual(expect.arrayContaining(['engagement_events', 'post_analytics', 'social_posts', 'trending_topics']));
    const perRow: string[] = [];
    for (const { name } of tables) {
      const plan = await as(asUser(A), async (tx) =>
        (await queryRows<{ 'QUERY PLAN': string }>(tx, sql`explain select * from ${sql.identifier(name)}`)).map((r) => r['QUERY PLAN']).join('\n'),
      );
      if (!plan.includes('InitPlan') || plan.includes('SubPlan') || /(Filter|Cond):.*member_workspaces/.test(plan)) perRow.push(`${name}:\n${plan}`);
    }
    expect(perRow).toEqual([]);
  });

  it('are an index condition on every table with an index that leads with workspace_id', async () => {
    const indexed = await queryRows<{ name: string }>(
      t.db,
      sql`select distinct c.relname as name from pg_index i join pg_class c on c.oid = i.indrelid
          join pg_attribute a on a.attrelid = c.oid and a.attnum = i.indkey[0] and a.attname = 'workspace_id'
          where c.relnamespace = 'public'::regnamespace and not c.relispartition and has_table_privilege('authenticated', c.oid, 'SELECT')
          order by 1`,
    );
    expect(indexed.map((x) => x.name)).toEqual(expect.arrayContaining(['social_posts', 'post_latest_analytics']));
    const filtered: string[] = [];
    for (const { name } of indexed) {
      const plan = await as(asUser(A), async (tx) => {
        await tx.execute(sql`set local enable_seqscan = off`);
        return (await queryRows<{ 'QUERY PLAN': string }>(tx, sql`explain select * from ${sql.identifier(name)}`)).map((r) => r['QUERY PLAN']).join('\n');
      });
      if (!/Index Cond: \(.*workspace_id = ANY/.test(plan)) filtered.push(`${name}:\n${plan}`);
    }
    expect(filtered).toEqual([]);
  });
});

describe('a token without a user id', () => {
  it('reads nothing but the reference tables', async () => {
    const readable = (await relations(['r', 'p'])).filter((r) => !r.partition);
    const seen: Record<string, number> = {};
    for (const { name } of readable) {
      const [{ ok }] = (await queryRows<{ ok: boolean }>(t.db, sql`select has_table_privilege('authenticated', ${name}::regclass, 'SELECT') as ok`)) as [{ ok: boolean }];
      if (!ok) continue;
      const n = await as({ role: 'authenticated' }, (tx) => count(tx, sql`select count(*) as n from ${sql.identifier(name)}`));
      if (n > 0) seen[name] = n;
    }
    expect(Object.keys(seen)).toEqual(['post_metric_catalog', 'social_platforms']);
  });
});

describe('auth.uid()', () => {
  it('reads the user id from request.jwt.claims, or the older request.jwt.claim.sub, like Supabase', async () => {
    const uid = (db: Db) => queryRows<{ uid: string | null }>(db, sql`select auth.uid() as uid`);
    expect(await as(asUser(A), async (tx) => (await uid(tx))[0]!.uid)).toBe(A);
    const legacy = await as({ role: 'authenticated' }, async (tx) => {
      await tx.execute(sql`select set_config('request.jwt.claim.sub', ${B}, true)`);
      return (await uid(tx))[0]!.uid;
    });
    expect(legacy).toBe(B);
    expect((await uid(t.db))[0]!.uid).toBeNull();
  });
});

describe('anon', () => {
  it('reads social_platforms and nothing else, and changes nothing', async () => {
    expect(await as(anon, (tx) => count(tx, sql`select count(*) as n from social_platforms`))).toBe(3);
    const others = (await relations(['r', 'p', 'v', 'm'])).filter((r) => r.name !== 'social_platforms');
    expect(others.length).toBeGreaterThan(10);
    const open: string[] = [];
    for (const { name } of others) {
      const e = await pgError(as(anon, (tx) => tx.execute(sql`select 1 from ${sql.identifier(name)} limit 1`))).catch(() => ({ code: 'none', message: 'read' }));
      if (e.code !== '42501' || !PERMISSION.test(e.message)) open.push(`${name}: ${e.message}`);
    }
    expect(open).toEqual([]);
    await refused(as(anon, (tx) => tx.execute(sql`update social_platforms set max_hashtags = 0 where true`)), PERMISSION);
    await refused(as(anon, (tx) => tx.execute(sql`delete from social_platforms where true`)), PERMISSION);
  });
});

describe('service_role', () => {
  it('sees every row of every table, and writes everywhere', async () => {
    for (const { name } of (await relations(['r', 'p'])).filter((r) => !r.partition)) {
      const total = await count(t.db, sql`select count(*) as n from ${sql.identifier(name)}`);
      const seen = await as(service, (tx) => count(tx, sql`select count(*) as n from ${sql.identifier(name)}`));
      expect({ table: name, seen }).toEqual({ table: name, seen: total });
    }
    const done = await as(service, async (tx) => {
      await tx.execute(sql`insert into post_analytics (post_id, analysis_date, likes_count) values (${owned[A]!.post}::uuid, '2026-11-23', 12)`);
      await tx.execute(sql`update social_posts set caption = 'edited by the server' where id = ${owned[B]!.post}::uuid`);
      await tx.execute(sql`insert into workspaces (name, slug) values ('By the server', 'by-the-server')`);
      return count(tx, sql`select count(*) as n from social_platforms where name = 'instagram'`);
    });
    expect(done).toBe(1);
  });
});

describe('embedded PGlite', () => {
  it('applies the same policies and grants', async () => {
    const db = await createEmbeddedDb();
    try {
      await migrate(db);
      const a = await createUser(db);
      const b = await createUser(db);
      const customer = await createUser(db, { workspace: false });
      await createPost(db, { userId: a });
      await createPost(db, { userId: b });
      const seen = await as(asUser(a), (tx) => queryRows<{ ws: string }>(tx, sql`select workspace_id::text as ws from social_posts`), db);
      expect(seen.map((r) => r.ws)).toEqual([await workspaceOf(db, a)]);
      expect(await as(asUser(customer), (tx) => count(tx, sql`select count(*) as n from social_posts`), db)).toBe(0);
      const aWorkspace = await workspaceOf(db, a);
      await refused(
        as(asUser(b), (tx) => tx.execute(sql`insert into social_posts (workspace_id, user_id, platform_id, media_type)
                                              select ${aWorkspace}::uuid, ${b}::uuid, id, 'image' from social_platforms where name = 'instagram'`), db),
        POLICY,
      );
      await refused(as(anon, (tx) => tx.execute(sql`select 1 from social_posts`), db), PERMISSION);
    } finally {
      await close(db);
    }
  });
});
