import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { close, createEmbeddedDb, queryRows, type Db, type PostgresDb } from '../src/db.js';
import { migrate } from '../src/migrate.js';
import {
  contentTemplates,
  engagementEvents,
  socialAccounts,
  socialConversions,
  socialPlatforms,
  socialPosts,
  trendingTopics,
} from '../src/schema/index.js';
import { asApi, authenticatorDb, type ApiWho } from './support/api.js';
import { useTestDb } from './support/db.js';
import { pgError } from './support/errors.js';

// Row-level security as the Supabase API roles meet it: each check is one Data API request, made as
// PostgREST makes it (logged in as `authenticator`, then SET LOCAL ROLE + request.jwt.claims in a
// transaction), and rolled back afterwards. Fixtures are written by the superuser (t.db).

const t = useTestDb();
let api: PostgresDb;
beforeAll(() => {
  api = authenticatorDb(t.url);
});
afterAll(async () => {
  if (api) await close(api);
});
const A = randomUUID();
const B = randomUUID();
type Who = ApiWho;
const asUser = (sub: string): Who => ({ role: 'authenticated', sub });
const anon: Who = { role: 'anon' };
const service: Who = { role: 'service_role' };

/** One API request as `who`, rolled back; through the authenticator, or on `db` (PGlite has no login roles). */
async function as<T>(who: Who, work: (tx: Db) => Promise<T>, db: Db = api): Promise<T> {
  return asApi(db, who, work, { rollback: true });
}

const count = async (db: Db, query: ReturnType<typeof sql>) =>
  Number((await queryRows<{ n: string | number }>(db, query))[0]!.n);

/** Refused by the privilege system or by a policy: both are SQLSTATE 42501. */
async function refused(promise: Promise<unknown>, why: RegExp) {
  const e = await pgError(promise);
  expect(e.code).toBe('42501');
  expect(e.message).toMatch(why);
}
const PERMISSION = /permission denied/;
const POLICY = /violates row-level security policy/;

interface Owned {
  account: string;
  template: string;
  post: string;
}
const owned: Record<string, Owned> = {};
let instagram = 0;

/** Relations of the package's public schema, from the catalog (so tables added later are included). */
async function relations(kinds: string[]): Promise<{ name: string; kind: string; partition: boolean }[]> {
  return queryRows(
    t.db,
    sql`select c.relname as name, c.relkind::text as kind, c.relispartition as partition
        from pg_class c
        where c.relnamespace = 'public'::regnamespace
          and c.relkind::text in (${sql.join(kinds.map((k) => sql`${k}`), sql`, `)})
          and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
        order by c.relname`,
  );
}

/**
 * The user a row belongs to, for every table whose rows belong to one: by `user_id`, or through the
 * post or account it names. Tables with none of these columns are shared or server-only.
 */
async function ownerLinkedTables(): Promise<{ name: string; owner: ReturnType<typeof sql> }[]> {
  const rows = await queryRows<{ name: string; cols: string[] }>(
    t.db,
    sql`select c.relname as name, array_agg(a.attname::text order by a.attname) as cols
        from pg_class c join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
        where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p') and not c.relispartition
          and a.attname in ('user_id', 'post_id', 'account_id')
        group by c.relname order by c.relname`,
  );
  return rows.map(({ name, cols }) => ({
    name,
    owner: cols.includes('user_id')
      ? sql`x.user_id`
      : cols.includes('post_id')
        ? sql`(select p.user_id from social_posts p where p.id = x.post_id)`
        : sql`(select a.user_id from social_accounts a where a.id = x.account_id)`,
  }));
}

beforeAll(async () => {
  const db = t.db;
  await db.execute(sql`insert into auth.users (id, email) values (${A}, 'a@jmefit.test'), (${B}, 'b@jmefit.test')`);
  instagram = (await db.select().from(socialPlatforms).where(eq(socialPlatforms.name, 'instagram')))[0]!.id;
  for (const [i, user] of [A, B].entries()) {
    const [account] = await db
      .insert(socialAccounts)
      .values({ userId: user, platformId: instagram, handle: `brand${i}`, platformAccountId: `ig-${i}` })
      .returning();
    const [template] = await db.insert(contentTemplates).values({ userId: user, name: `template ${i}` }).returning();
    const [post] = await db
      .insert(socialPosts)
      .values({
        userId: user,
        platformId: instagram,
        accountId: account!.id,
        templateId: template!.id,
        mediaType: 'image',
        caption: `post of user ${i}`,
        status: 'published',
        publishedAt: new Date('2026-11-20T12:00:00Z'),
      })
      .returning();
    owned[user] = { account: account!.id, template: template!.id, post: post!.id };
    await db.execute(sql`insert into account_follower_history (account_id, recorded_on, follower_count)
      values (${account!.id}, '2026-11-21', 1000)`);
    await db.execute(sql`insert into post_analytics (post_id, analysis_date, likes_count)
      values (${post!.id}, '2026-11-21', ${10 + i})`);
    // One event in a monthly partition, one in DEFAULT (a month with no partition), one archived.
    await db.execute(sql`insert into engagement_events (post_id, event_timestamp, event_key, event_type)
      values (${post!.id}, '2026-11-21T10:00:00Z', ${1000 + i}, 'like'),
             (${post!.id}, '1999-01-01T00:00:00Z', ${2000 + i}, 'view')`);
    await db.execute(sql`insert into engagement_events_archive (post_id, event_timestamp, event_key, event_type)
      values (${post!.id}, '2025-01-05T10:00:00Z', ${3000 + i}, 'like')`);
    await db.insert(socialConversions).values({ postId: post!.id, conversionType: 'purchase', conversionValue: 49.99 });
    // Maintained by triggers where those exist; inserted here only when they did not already do it.
    await db.execute(sql`insert into post_latest_analytics (post_id, analysis_date, likes_count, comments_count,
        shares_count, saves_count, views_count, profile_visits, website_clicks)
      values (${post!.id}, '2026-11-21', 10, 0, 0, 0, 0, 0, 0) on conflict (post_id) do nothing`);
    await db.execute(sql`insert into topic_mentions (mention_key, mentioned_at, platform_id, post_id, topic_name, source)
      values (${4000 + i}, '2026-11-21T10:00:00Z', ${instagram}, ${post!.id}, 'legday', 'own_post')`);
    await db.execute(sql`insert into post_conversion_totals (post_id, conversions, revenue)
      values (${post!.id}, 1, 49.99) on conflict (post_id) do nothing`);
  }
  // Shared and server-only rows.
  await db.insert(trendingTopics).values({ topicName: 'hyrox', platformId: instagram });
  await db.insert(socialConversions).values({ postId: null, conversionType: 'email_signup' });
  await db.execute(sql`insert into engagement_dead_letters (source, batch_index, field, reason, payload)
    values ('webhook:instagram', 0, 'event_type', 'unknown event type', '{}'::jsonb)`);
});

describe('authenticated users', () => {
  it('see exactly their own rows in every table whose rows belong to a user', async () => {
    const tables = await ownerLinkedTables();
    // The core owner tables at least; tables added later are found by their columns.
    expect(tables.map((x) => x.name)).toEqual(
      expect.arrayContaining([
        'social_accounts', 'account_follower_history', 'content_templates', 'social_posts', 'post_analytics',
        'engagement_events', 'engagement_events_archive', 'social_conversions',
      ]),
    );
    for (const { name, owner } of tables) {
      const from = sql`${sql.identifier(name)} x`;
      const [{ readable }] = (await queryRows<{ readable: boolean }>(
        t.db,
        sql`select has_table_privilege('authenticated', ${name}::regclass, 'SELECT') as readable`,
      )) as [{ readable: boolean }];
      if (!readable) {
        // Server-only (e.g. a queue keyed by post): closed outright.
        await refused(as(asUser(A), (tx) => tx.execute(sql`select 1 from ${from}`)), PERMISSION);
        continue;
      }
      for (const [me, other] of [[A, B], [B, A]] as const) {
        const mine = await count(t.db, sql`select count(*) as n from ${from} where ${owner} = ${me}`);
        const theirs = await count(t.db, sql`select count(*) as n from ${from} where ${owner} = ${other}`);
        // Without rows of both users this table would prove nothing: seed it above.
        expect({ table: name, seeded: mine > 0 && theirs > 0 }).toEqual({ table: name, seeded: true });
        const seen = await as(asUser(me), async (tx) => ({
          visible: await count(tx, sql`select count(*) as n from ${from}`),
          notMine: await count(tx, sql`select count(*) as n from ${from} where ${owner} is distinct from ${me}`),
        }));
        expect({ table: name, ...seen }).toEqual({ table: name, visible: mine, notMine: 0 });
      }
    }
  });

  it('read every platform and trending topic, and cannot change them', async () => {
    await as(asUser(A), async (tx) => {
      expect(await tx.select().from(socialPlatforms)).toHaveLength(3);
      expect(await tx.select().from(trendingTopics)).toHaveLength(1);
    });
    await refused(as(asUser(A), (tx) => tx.update(socialPlatforms).set({ displayName: 'x' })), PERMISSION);
    await refused(
      as(asUser(A), (tx) => tx.insert(trendingTopics).values({ topicName: 'spam', platformId: instagram })),
      PERMISSION,
    );
  });

  it('update and delete their own posts, accounts and templates, and never another user’s', async () => {
    for (const [table, column, key] of [
      ['social_posts', 'caption', 'post'],
      ['social_accounts', 'display_name', 'account'],
      ['content_templates', 'caption_template', 'template'],
    ] as const) {
      const tbl = sql.identifier(table);
      const col = sql.identifier(column);
      const changed = await as(asUser(A), async (tx) => ({
        own: (await queryRows(tx, sql`update ${tbl} set ${col} = 'by A' where id = ${owned[A]![key]} returning id`)).length,
        othersUpdate: (await queryRows(tx, sql`update ${tbl} set ${col} = 'by A' where id = ${owned[B]![key]} returning id`))
          .length,
        othersDelete: (await queryRows(tx, sql`delete from ${tbl} where id = ${owned[B]![key]} returning id`)).length,
        ownDelete: (await queryRows(tx, sql`delete from ${tbl} where id = ${owned[A]![key]} returning id`)).length,
      }));
      expect({ table, ...changed }).toEqual({ table, own: 1, othersUpdate: 0, othersDelete: 0, ownDelete: 1 });
    }
    // Rolled back, and B's rows were never touched.
    const [bPost] = await t.db.select().from(socialPosts).where(eq(socialPosts.id, owned[B]!.post));
    expect(bPost!.caption).toBe('post of user 1');
  });

  it('create their own posts, accounts and templates', async () => {
    const made = await as(asUser(A), async (tx) => {
      const [account] = await tx
        .insert(socialAccounts)
        .values({ userId: A, platformId: instagram, handle: 'second', platformAccountId: 'ig-a2' })
        .returning();
      const [template] = await tx.insert(contentTemplates).values({ userId: A, name: 'mine' }).returning();
      const [post] = await tx
        .insert(socialPosts)
        .values({ userId: A, platformId: instagram, accountId: account!.id, templateId: template!.id, mediaType: 'reel' })
        .returning();
      return [account!.userId, template!.userId, post!.userId];
    });
    expect(made).toEqual([A, A, A]);
  });

  it('cannot insert rows carrying another user’s user_id', async () => {
    await refused(
      as(asUser(B), (tx) => tx.insert(socialPosts).values({ userId: A, platformId: instagram, mediaType: 'image' })),
      POLICY,
    );
    await refused(
      as(asUser(B), (tx) =>
        tx.insert(socialAccounts).values({ userId: A, platformId: instagram, handle: 'x', platformAccountId: 'ig-x' }),
      ),
      POLICY,
    );
    await refused(as(asUser(B), (tx) => tx.insert(contentTemplates).values({ userId: A, name: 'x' })), POLICY);
  });

  it('cannot hand their rows over to another user by changing user_id', async () => {
    await refused(as(asUser(B), (tx) => tx.update(socialPosts).set({ userId: A }).where(eq(socialPosts.id, owned[B]!.post))), POLICY);
    await refused(
      as(asUser(B), (tx) => tx.update(socialAccounts).set({ userId: A }).where(eq(socialAccounts.id, owned[B]!.account))),
      POLICY,
    );
    await refused(
      as(asUser(B), (tx) =>
        tx.update(contentTemplates).set({ userId: A }).where(eq(contentTemplates.id, owned[B]!.template)),
      ),
      POLICY,
    );
  });

  it('cannot hang their posts on another user’s account or template', async () => {
    const base = { userId: B, platformId: instagram, mediaType: 'image' };
    await refused(as(asUser(B), (tx) => tx.insert(socialPosts).values({ ...base, accountId: owned[A]!.account })), POLICY);
    await refused(as(asUser(B), (tx) => tx.insert(socialPosts).values({ ...base, templateId: owned[A]!.template })), POLICY);
    const byId = eq(socialPosts.id, owned[B]!.post);
    await refused(as(asUser(B), (tx) => tx.update(socialPosts).set({ accountId: owned[A]!.account }).where(byId)), POLICY);
    await refused(as(asUser(B), (tx) => tx.update(socialPosts).set({ templateId: owned[A]!.template }).where(byId)), POLICY);
    // Their own account and template, or none, are fine.
    const ok = await as(asUser(B), (tx) =>
      tx.insert(socialPosts).values({ ...base, accountId: owned[B]!.account, templateId: owned[B]!.template }).returning(),
    );
    expect(ok).toHaveLength(1);
  });

  it('only read analytics, engagement events, the archive and conversions of their posts', async () => {
    const post = owned[A]!.post;
    await refused(
      as(asUser(A), (tx) => tx.execute(sql`insert into post_analytics (post_id, analysis_date) values (${post}, '2026-11-22')`)),
      PERMISSION,
    );
    await refused(as(asUser(A), (tx) => tx.execute(sql`update post_analytics set likes_count = 1000000 where post_id = ${post}`)), PERMISSION);
    await refused(as(asUser(A), (tx) => tx.delete(engagementEvents).where(eq(engagementEvents.postId, post))), PERMISSION);
    await refused(as(asUser(A), (tx) => tx.execute(sql`delete from engagement_events_archive where post_id = ${post}`)), PERMISSION);
    await refused(
      as(asUser(A), (tx) => tx.insert(socialConversions).values({ postId: post, conversionType: 'purchase', conversionValue: 1e6 })),
      PERMISSION,
    );
  });

  it('cannot TRUNCATE, which row-level security would not stop', async () => {
    for (const table of ['social_posts', 'social_accounts', 'content_templates', 'social_platforms']) {
      await refused(as(asUser(A), (tx) => tx.execute(sql`truncate ${sql.identifier(table)} cascade`)), PERMISSION);
    }
  });

  it('cannot read a partition of engagement_events by its own name', async () => {
    const partitions = (await relations(['r', 'p'])).filter((r) => r.partition);
    expect(partitions.map((p) => p.name)).toContain('engagement_events_default');
    for (const { name } of partitions) {
      await refused(as(asUser(A), (tx) => tx.execute(sql`select * from ${sql.identifier(name)}`)), PERMISSION);
    }
  });

  it('see no one’s rows without a user id in the token', async () => {
    const visible = await as({ role: 'authenticated' }, async (tx) => ({
      posts: (await tx.select().from(socialPosts)).length,
      events: (await tx.select().from(engagementEvents)).length,
      platforms: (await tx.select().from(socialPlatforms)).length,
    }));
    expect(visible).toEqual({ posts: 0, events: 0, platforms: 3 });
  });
});

describe('auth.uid()', () => {
  it('reads the user id from request.jwt.claims, or the older request.jwt.claim.sub, like Supabase', async () => {
    const uid = () => queryRows<{ uid: string | null }>(t.db, sql`select auth.uid() as uid`);
    expect(await as(asUser(A), async (tx) => (await queryRows<{ uid: string }>(tx, sql`select auth.uid() as uid`))[0]!.uid)).toBe(A);
    const legacy = await as({ role: 'authenticated' }, async (tx) => {
      await tx.execute(sql`select set_config('request.jwt.claim.sub', ${B}, true)`);
      return (await queryRows<{ uid: string }>(tx, sql`select auth.uid() as uid`))[0]!.uid;
    });
    expect(legacy).toBe(B);
    expect((await uid())[0]!.uid).toBeNull();
  });
});

describe('anon', () => {
  it('reads social_platforms and nothing else', async () => {
    expect(await as(anon, (tx) => tx.select().from(socialPlatforms))).toHaveLength(3);
    const others = (await relations(['r', 'p', 'v', 'm'])).filter((r) => r.name !== 'social_platforms');
    expect(others.length).toBeGreaterThan(10);
    for (const { name } of others) {
      await refused(as(anon, (tx) => tx.execute(sql`select 1 from ${sql.identifier(name)} limit 1`)), PERMISSION);
    }
  });

  it('cannot change platforms', async () => {
    await refused(as(anon, (tx) => tx.update(socialPlatforms).set({ maxHashtags: 0 })), PERMISSION);
    await refused(as(anon, (tx) => tx.delete(socialPlatforms)), PERMISSION);
  });
});

describe('service_role', () => {
  it('sees every row of every table', async () => {
    const tables = (await relations(['r', 'p'])).filter((r) => !r.partition);
    for (const { name } of tables) {
      const total = await count(t.db, sql`select count(*) as n from ${sql.identifier(name)}`);
      const seen = await as(service, (tx) => count(tx, sql`select count(*) as n from ${sql.identifier(name)}`));
      expect({ table: name, seen }).toEqual({ table: name, seen: total });
    }
    // The orphaned conversion and the dead letter: rows no user owns.
    expect(await as(service, (tx) => tx.select().from(socialConversions))).toHaveLength(3);
  });

  it('writes everywhere, identity columns included', async () => {
    const done = await as(service, async (tx) => {
      await tx.execute(sql`insert into post_analytics (post_id, analysis_date, likes_count) values (${owned[A]!.post}, '2026-11-23', 12)`);
      await tx.update(socialPosts).set({ caption: 'edited by the server' }).where(eq(socialPosts.id, owned[B]!.post));
      await tx.execute(sql`insert into engagement_dead_letters (source, batch_index, field, reason, payload)
        values ('test', 1, 'post_id', 'unknown post', '{}'::jsonb)`);
      const [p] = await tx
        .insert(socialPlatforms)
        .values({ name: 'threads', displayName: 'Threads' })
        .returning();
      return p!.id > 0;
    });
    expect(done).toBe(true);
  });
});

describe('embedded PGlite', () => {
  it('applies the same policies and grants', async () => {
    const db = await createEmbeddedDb();
    try {
      await migrate(db);
      await db.execute(sql`insert into auth.users (id) values (${A}), (${B})`);
      const [ig] = await db.select().from(socialPlatforms).where(eq(socialPlatforms.name, 'instagram'));
      await db.insert(socialPosts).values([
        { userId: A, platformId: ig!.id, mediaType: 'image', caption: 'a' },
        { userId: B, platformId: ig!.id, mediaType: 'image', caption: 'b' },
      ]);
      const seen = await as(asUser(A), async (tx) => (await tx.select().from(socialPosts)).map((p) => p.caption), db);
      expect(seen).toEqual(['a']);
      await refused(
        as(asUser(B), (tx) => tx.insert(socialPosts).values({ userId: A, platformId: ig!.id, mediaType: 'image' }), db),
        POLICY,
      );
      await refused(as(anon, (tx) => tx.select().from(socialPosts), db), PERMISSION);
    } finally {
      await close(db);
    }
  });
});
