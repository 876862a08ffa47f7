import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { close, createEmbeddedDb, queryRows, type Db } from '../src/db.js';
import { migrate } from '../src/migrate.js';
import {
  archiveOldEngagementEvents,
  ensureEngagementPartitions,
  listEngagementPartitions,
  MAINTENANCE_STEPS,
  runMaintenance,
  scheduleMaintenance,
} from '../src/queries/maintenance.js';
import { createTestDatabase, dropTestDatabase, useTestDb, type TestDatabase } from './support/db.js';
import { pgError } from './support/errors.js';
import { createPost, createUser, workspaceOf } from './support/fixtures.js';

const t = useTestDb();
const extra: TestDatabase[] = [];
afterAll(async () => {
  for (const d of extra) await dropTestDatabase(d);
});

/** Start (UTC) of the month `offset` months from the current one, computed by the database's clock. */
const monthStart = (offset: number) =>
  sql`((date_trunc('month', now() AT TIME ZONE 'UTC') + make_interval(months => ${offset}::int)) AT TIME ZONE 'UTC')`;

async function monthName(db: Db, offset: number): Promise<string> {
  const [r] = await queryRows<{ name: string }>(
    db,
    sql`SELECT 'engagement_events_' || to_char(${monthStart(offset)} AT TIME ZONE 'UTC', '"y"YYYY"m"MM') AS name`,
  );
  return r!.name;
}

/** One workspace per database for events whose post the test does not care about. */
const spare = new WeakMap<Db, Promise<string>>();
function spareWorkspace(db: Db): Promise<string> {
  if (!spare.has(db)) spare.set(db, createUser(db).then((u) => workspaceOf(db, u)));
  return spare.get(db)!;
}

/**
 * `count` events spread over the month `offset` months from now; keys keyBase+1 .. keyBase+count.
 * With a real post its workspace is left to the fill trigger, as a plain insert does; without one the
 * events name a workspace (no post row: maintenance never looks at posts).
 */
async function insertEvents(db: Db, offset: number, count: number, keyBase: number, postId?: string) {
  const workspace = postId ? sql`NULL::uuid` : sql`${await spareWorkspace(db)}::uuid`;
  await db.execute(sql`
    INSERT INTO engagement_events (post_id, workspace_id, event_timestamp, event_key, event_type, event_value, platform_user_id)
    SELECT ${postId ?? randomUUID()}::uuid, ${workspace},
           ${monthStart(offset)} + (g % 27) * interval '1 day' + (g % 86000) * interval '1 second',
           ${keyBase}::bigint + g,
           (ARRAY['like', 'comment', 'share', 'save', 'view'])[1 + g % 5],
           g % 7,
           'user' || (g % 13)
    FROM generate_series(1, ${count}::int) g`);
}

/** Every event of a month, live or archived, as one fingerprint: equal fingerprints, equal rows. */
async function monthFingerprint(db: Db, offset: number) {
  const [r] = await queryRows<{ n: number; live: number; archived: number; digest: string | null }>(
    db,
    sql`SELECT count(*)::int AS n,
               count(*) FILTER (WHERE src = 'live')::int AS live,
               count(*) FILTER (WHERE src = 'archive')::int AS archived,
               md5(string_agg(row_text, ',' ORDER BY row_text)) AS digest
        FROM (
          SELECT 'live' AS src, (e.*)::text AS row_text, e.event_timestamp FROM engagement_events e
          UNION ALL
          SELECT 'archive', (a.*)::text, a.event_timestamp FROM engagement_events_archive a
        ) x
        WHERE x.event_timestamp >= ${monthStart(offset)} AND x.event_timestamp < ${monthStart(offset + 1)}`,
  );
  return r!;
}

async function partitionOf(db: Db, key: number): Promise<string[]> {
  const rows = await queryRows<{ part: string }>(
    db,
    sql`SELECT tableoid::regclass::text AS part FROM engagement_events WHERE event_key = ${key}::bigint`,
  );
  return rows.map((r) => r.part);
}

describe('ensure_engagement_partitions', () => {
  it('creates the current month and the next 3 when they are missing, closed to the API roles, and then creates nothing', async () => {
    const db = t.db;
    const names = await Promise.all([0, 1, 2, 3].map((o) => monthName(db, o)));
    // The template was migrated today, so these exist; remove the empty future ones to see them made.
    for (const n of names.slice(1)) await db.execute(sql.raw(`DROP TABLE "${n}"`));

    const report = await runMaintenance(db, { archive: false });
    const ensure = report.steps.find((s) => s.step === 'ensure_engagement_partitions')!;
    expect(ensure.ok).toBe(true);
    expect((ensure.result as { partition_name: string }[]).map((p) => p.partition_name)).toEqual(names.slice(1));

    const parts = await listEngagementPartitions(db);
    for (const n of names) expect(parts.map((p) => p.partition)).toContain(n);
    expect(parts.at(-1)).toMatchObject({ partition: 'engagement_events_default', isDefault: true });
    for (const p of parts.filter((x) => !x.isDefault)) {
      expect(p.rangeEnd!.getUTCDate()).toBe(1);
      expect(p.rangeStart!.getUTCHours()).toBe(0);
    }

    const closed = await queryRows<{ name: string; rls: boolean; month_check: boolean; anon: boolean; auth: boolean; service: boolean }>(
      db,
      sql`SELECT c.relname AS name, c.relrowsecurity AS rls,
                 EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.conname = c.relname || '_month') AS month_check,
                 has_table_privilege('anon', c.oid, 'SELECT') AS anon,
                 has_table_privilege('authenticated', c.oid, 'SELECT') AS auth,
                 has_table_privilege('service_role', c.oid, 'INSERT') AS service
          FROM pg_class c WHERE c.relname = ANY (string_to_array(${names.slice(1).join(',')}, ',')) AND c.relnamespace = 'public'::regnamespace`,
    );
    expect(closed).toHaveLength(3);
    for (const c of closed) expect(c).toMatchObject({ rls: true, month_check: true, anon: false, auth: false, service: true });

    expect(await ensureEngagementPartitions(db)).toEqual([]);
    expect(await ensureEngagementPartitions(db, { monthsAhead: 3 })).toEqual([]);
  });

  it('keeps an event dated beyond the partitions and moves it into its own month, with every field intact', async () => {
    const db = t.db;
    const farName = await monthName(db, 9);
    const owner = await createUser(db);
    const postId = await createPost(db, { userId: owner });
    const workspace = await workspaceOf(db, owner);
    await insertEvents(db, 9, 1, 9_000_000);
    // Its workspace filled from the post by the trigger, as any plain insert gets it.
    await db.execute(sql`
      INSERT INTO engagement_events (post_id, event_timestamp, event_key, event_type, country_code, event_metadata)
      VALUES (${postId}::uuid, '1999-03-15T12:00:00Z', 9100001, 'comment', 'DE', '{"text": "from 1999"}')`);
    expect(await partitionOf(db, 9_000_001)).toEqual(['engagement_events_default']);
    expect(await partitionOf(db, 9_100_001)).toEqual(['engagement_events_default']);
    const before = await queryRows<{ r: string }>(
      db,
      sql`SELECT (e.*)::text AS r FROM engagement_events e WHERE event_key IN (9000001, 9100001) ORDER BY event_key`,
    );

    const created = await ensureEngagementPartitions(db, { monthsAhead: 3 });
    expect(created.map((c) => [c.partitionName, c.rowsMoved])).toEqual([
      ['engagement_events_y1999m03', 1],
      [farName, 1],
    ]);
    expect(created[0]!.rangeStart.toISOString()).toBe('1999-03-01T00:00:00.000Z');
    expect(created[0]!.rangeEnd.toISOString()).toBe('1999-04-01T00:00:00.000Z');

    expect(await partitionOf(db, 9_000_001)).toEqual([farName]);
    expect(await partitionOf(db, 9_100_001)).toEqual(['engagement_events_y1999m03']);
    const after = await queryRows<{ r: string }>(
      db,
      sql`SELECT (e.*)::text AS r FROM engagement_events e WHERE event_key IN (9000001, 9100001) ORDER BY event_key`,
    );
    expect(after).toEqual(before);
    // workspace_id (the last column, added after these tables were made) moved with the rest.
    const workspaces = await queryRows<{ key: string; ws: string }>(
      db,
      sql`SELECT event_key::text AS key, workspace_id::text AS ws FROM engagement_events WHERE event_key IN (9000001, 9100001) ORDER BY event_key`,
    );
    expect(workspaces).toEqual([
      { key: '9000001', ws: await spareWorkspace(db) },
      { key: '9100001', ws: workspace },
    ]);
    const [waiting] = await queryRows<{ n: number }>(db, sql`SELECT count(*)::int AS n FROM engagement_events_default`);
    expect(waiting!.n).toBe(0);
    // Later events of that month go straight to its partition.
    await insertEvents(db, 9, 1, 9_200_000);
    expect(await partitionOf(db, 9_200_001)).toEqual([farName]);

    // A partition made here has the parent's fill trigger, like every partition: an event written
    // straight into it without a workspace gets its post's.
    const triggers = await queryRows<{ part: string; fill: boolean }>(
      db,
      sql`SELECT c.relname AS part,
                 EXISTS (SELECT 1 FROM pg_trigger g WHERE g.tgrelid = c.oid AND g.tgname = 'engagement_events_fill_workspace'
                         AND g.tgenabled <> 'D') AS fill
          FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
          WHERE i.inhparent = 'engagement_events'::regclass ORDER BY 1`,
    );
    expect(triggers.length).toBeGreaterThan(5);
    expect(triggers.filter((x) => !x.fill)).toEqual([]);
    await db.execute(sql`
      INSERT INTO engagement_events_y1999m03 (post_id, event_timestamp, event_key, event_type)
      VALUES (${postId}::uuid, '1999-03-16T12:00:00Z', 9100002, 'like')`);
    const [direct] = await queryRows<{ ws: string }>(db, sql`SELECT workspace_id::text AS ws FROM engagement_events WHERE event_key = 9100002`);
    expect(direct!.ws).toBe(workspace);
  });

  it('refuses bad input naming the field', async () => {
    await expect(ensureEngagementPartitions(t.db, { monthsAhead: -1 })).rejects.toThrow(/monthsAhead/);
    await expect(ensureEngagementPartitions(t.db, { monthsAhead: 2.5 })).rejects.toThrow(/monthsAhead/);
    expect((await pgError(queryRows(t.db, sql`SELECT * FROM ensure_engagement_partitions(500)`))).message).toMatch(
      /months_ahead: 500 is out of range/,
    );
  });
});

describe('archive_old_engagement_events', () => {
  // Its own database: only the months made here are old enough to archive.
  const a = {} as TestDatabase;
  beforeAll(async () => {
    Object.assign(a, await createTestDatabase());
    extra.push(a);
  });

  it('moves every row of each month older than the retention, copies nothing, and keeps every analytics row', async () => {
    const db = a.db;
    const userId = await createUser(db, { email: 'archive@example.test' });
    const stranger = await createUser(db);
    const [post] = await queryRows<{ id: string }>(
      db,
      sql`INSERT INTO social_posts (workspace_id, user_id, platform_id, caption, media_type, status, published_at)
          VALUES (${await workspaceOf(db, userId)}::uuid, ${userId}::uuid, (SELECT id FROM social_platforms WHERE name = 'instagram'),
                  'old post', 'image', 'published', ${monthStart(-30)})
          RETURNING id::text AS id`,
    );
    await insertEvents(db, -30, 3000, 1_000_000, post!.id);
    await insertEvents(db, -27, 2000, 2_000_000, post!.id);
    await insertEvents(db, -23, 500, 3_000_000, post!.id); // inside the retention: stays
    await insertEvents(db, 0, 500, 4_000_000, post!.id);
    await ensureEngagementPartitions(db);
    // Rollups of the old months, made before archiving (by the real rollup when it is installed).
    await runMaintenance(db, { archive: false });
    await db.execute(sql`
      INSERT INTO post_analytics (post_id, analysis_date, likes_count)
      VALUES (${post!.id}::uuid, (${monthStart(-30)} AT TIME ZONE 'UTC')::date + 28, 1)
      ON CONFLICT DO NOTHING`);
    const analytics = sql`SELECT (a.*)::text AS r FROM post_analytics a ORDER BY post_id, analysis_date`;
    const analyticsBefore = await queryRows<{ r: string }>(db, analytics);
    expect(analyticsBefore.length).toBeGreaterThan(0);

    const old = [await monthName(db, -30), await monthName(db, -27)];
    const fpBefore = [await monthFingerprint(db, -30), await monthFingerprint(db, -27), await monthFingerprint(db, -23)];
    expect(fpBefore.map((f) => [f.n, f.live])).toEqual([[3000, 3000], [2000, 2000], [500, 500]]);
    const storage = sql`SELECT c.relname AS name, c.oid::int AS oid, pg_relation_filenode(c.oid)::text AS filenode
                        FROM pg_class c WHERE c.relname = ANY (string_to_array(${old.join(',')}, ',')) AND c.relkind = 'r' ORDER BY c.relname`;
    const storageBefore = await queryRows<{ name: string; oid: number; filenode: string }>(db, storage);

    const archived = await archiveOldEngagementEvents(db);
    expect(archived.map((a) => [a.partitionName, a.archivedAs])).toEqual(old.map((n) => [n, `archive.${n}`]));
    expect(archived[0]!.rangeStart.getTime()).toBeLessThan(archived[1]!.rangeStart.getTime());

    const fpAfter = [await monthFingerprint(db, -30), await monthFingerprint(db, -27), await monthFingerprint(db, -23)];
    expect(fpAfter[0]).toEqual({ ...fpBefore[0], live: 0, archived: 3000 });
    expect(fpAfter[1]).toEqual({ ...fpBefore[1], live: 0, archived: 2000 });
    expect(fpAfter[2]).toEqual(fpBefore[2]);
    // The same tables, the same files: the months were moved, not copied.
    expect(await queryRows(db, storage)).toEqual(storageBefore);
    const parts = await listEngagementPartitions(db);
    for (const n of old) expect(parts.map((p) => p.partition)).not.toContain(n);

    // Archived months stay closed to the API roles by name, with row-level security on.
    const closed = await queryRows<{ rls: boolean; anon: boolean; auth: boolean; parent: string }>(
      db,
      sql`SELECT c.relrowsecurity AS rls, has_table_privilege('anon', c.oid, 'SELECT') AS anon,
                 has_table_privilege('authenticated', c.oid, 'SELECT') AS auth,
                 (SELECT i.inhparent::regclass::text FROM pg_inherits i WHERE i.inhrelid = c.oid) AS parent
          FROM pg_class c WHERE c.relnamespace = 'archive'::regnamespace AND c.relkind = 'r'`,
    );
    expect(closed).toHaveLength(2);
    for (const c of closed) expect(c).toEqual({ rls: true, anon: false, auth: false, parent: 'engagement_events_archive' });
    // Archived rows keep their workspace; its members still read them, through engagement_events_archive
    // and its policy, and a member of another workspace reads none.
    const [kept] = await queryRows<{ n: number; ws: string[] }>(
      db,
      sql`SELECT count(*)::int AS n, array_agg(DISTINCT workspace_id::text) AS ws FROM engagement_events_archive`,
    );
    expect(kept).toEqual({ n: 5000, ws: [await workspaceOf(db, userId)] });
    const as = (sub: string) => async (query: ReturnType<typeof sql>) =>
      db.transaction(async (tx) => {
        await tx.execute(sql`SET LOCAL ROLE authenticated`);
        await tx.execute(sql`SELECT set_config('request.jwt.claims', ${JSON.stringify({ sub, role: 'authenticated' })}, true)`);
        return queryRows<{ n: number }>(tx, query);
      });
    const asOwner = as(userId);
    const [own] = await asOwner(sql`SELECT count(*)::int AS n FROM engagement_events_archive`);
    expect(own!.n).toBe(5000);
    const [other] = await as(stranger)(sql`SELECT count(*)::int AS n FROM engagement_events_archive`);
    expect(other!.n).toBe(0);
    expect((await pgError(asOwner(sql.raw(`SELECT count(*)::int AS n FROM archive."${old[0]}"`)))).message).toMatch(/permission denied/);

    // The rollups run again over live + archive and change nothing.
    const again = await runMaintenance(db, { archive: true });
    expect(again.steps.find((s) => s.step === 'archive_old_engagement_events')).toMatchObject({ ok: true, result: [] });
    expect(await queryRows(db, analytics)).toEqual(analyticsBefore);
    expect(await archiveOldEngagementEvents(db)).toEqual([]);
  });

  it('archives late events of a month archived before beside it, losing none', async () => {
    const db = a.db;
    const name = await monthName(db, -30);
    const before = await monthFingerprint(db, -30);
    await insertEvents(db, -30, 40, 5_000_000);
    const archived = await archiveOldEngagementEvents(db, { retention: { years: 2 } });
    expect(archived.map((a) => a.archivedAs)).toEqual([`archive.${name}_1`]);
    const after = await monthFingerprint(db, -30);
    expect([after.n, after.live, after.archived]).toEqual([before.n + 40, 0, before.n + 40]);
    // The late events kept their own workspace beside the month archived before.
    const [late] = await queryRows<{ ws: string[] }>(
      db,
      sql.raw(`SELECT array_agg(DISTINCT workspace_id::text) AS ws FROM archive."${name}_1"`),
    );
    expect(late!.ws).toEqual([await spareWorkspace(db)]);
  });

  it('archives nothing inside the retention, and refuses a retention that is not positive', async () => {
    await insertEvents(a.db, -60, 5, 6_000_000);
    await ensureEngagementPartitions(a.db);
    expect(await archiveOldEngagementEvents(a.db, { retention: { years: 10 } })).toEqual([]);
    expect((await monthFingerprint(a.db, -60)).live).toBe(5);
    await expect(archiveOldEngagementEvents(a.db, { retention: {} })).rejects.toThrow(/retention: must be longer than zero/);
    await expect(archiveOldEngagementEvents(a.db, { retention: { months: -1 } })).rejects.toThrow(/retention\.months/);
    expect((await pgError(queryRows(a.db, sql`SELECT * FROM archive_old_engagement_events(interval '-1 day')`))).message).toMatch(
      /retention: .* is not a positive interval/,
    );
  });
});

describe('run_social_maintenance', () => {
  it('runs every step in order and reports each one, all succeeding', async () => {
    const started = performance.now();
    const report = await runMaintenance(t.db, { archive: true });
    const wall = performance.now() - started;
    expect(report.steps.map((s) => s.step)).toEqual([...MAINTENANCE_STEPS]);
    for (const s of report.steps) expect(s, `${s.step}: ${s.error ?? ''}`).toMatchObject({ ok: true });
    // Timings are milliseconds of the server's clock (clock_timestamp, not the transaction's frozen
    // now(), which would make every one 0): the run took time, its steps' sum fits in the run (each
    // rounded to 0.1 ms), and the run fits in the call as the client timed it.
    const stepsMs = report.steps.reduce((sum, s) => sum + s.ms, 0);
    expect(report.ms).toBeGreaterThan(0);
    expect(stepsMs).toBeGreaterThan(0);
    expect(stepsMs).toBeLessThanOrEqual(report.ms + 0.05 * report.steps.length);
    expect(report.ms).toBeLessThanOrEqual(wall + 1);
    expect(report.ok).toBe(true);
    expect(report.startedAt.getTime()).toBeGreaterThan(Date.now() - 60_000);
  });

  it('runs the archive only when a month is due, unless asked', async () => {
    const d = await createTestDatabase();
    extra.push(d);
    const skipped = await runMaintenance(d.db);
    expect(skipped.steps.at(-1)).toMatchObject({ step: 'archive_old_engagement_events', ok: true, skipped: true });
    expect(skipped.steps.at(-1)!.reason).toMatch(/no month ends before/);
    expect((await runMaintenance(d.db, { archive: false })).steps.at(-1)).toMatchObject({ skipped: true, reason: 'not requested' });

    await insertEvents(d.db, -26, 10, 1);
    await ensureEngagementPartitions(d.db);
    const due = await runMaintenance(d.db);
    const step = due.steps.at(-1)!;
    expect(step).toMatchObject({ step: 'archive_old_engagement_events', ok: true });
    expect(step.skipped).toBeUndefined();
    expect((step.result as { archived_as: string }[]).map((r) => r.archived_as)).toEqual([`archive.${await monthName(d.db, -26)}`]);
  });

  it('reports a failing step and a missing step with their errors, and still runs the others', async () => {
    const d = await createTestDatabase();
    extra.push(d);
    const squatted = await monthName(d.db, 3);
    await d.db.execute(sql.raw(`DROP TABLE "${squatted}"`));
    await d.db.execute(sql.raw(`CREATE TABLE "${squatted}" (note text)`));
    await d.db.execute(sql`DO $$
      DECLARE f regprocedure;
      BEGIN
        FOR f IN SELECT oid::regprocedure FROM pg_proc WHERE proname = 'detect_trending_topics' LOOP
          EXECUTE 'DROP FUNCTION ' || f;
        END LOOP;
      END $$`);
    await insertEvents(d.db, -28, 5, 1);

    const report = await runMaintenance(d.db, { archive: true });
    expect(report.ok).toBe(false);
    expect(report.steps.map((s) => s.step)).toEqual([...MAINTENANCE_STEPS]);
    const by = Object.fromEntries(report.steps.map((s) => [s.step, s]));
    expect(by.ensure_engagement_partitions).toMatchObject({ ok: false, sqlstate: '42P07' });
    expect(by.ensure_engagement_partitions!.error).toContain(`table ${squatted} exists but is not the partition`);
    expect(by.detect_trending_topics).toMatchObject({ ok: false, sqlstate: '42883' });
    expect(by.detect_trending_topics!.error).toMatch(/function detect_trending_topics\(\) does not exist/);
    // The failed ensure step was rolled back alone; the archive step still ran, and made its own month
    // for the old rows waiting in DEFAULT (it stops before the squatted month, which is not old).
    expect(by.archive_old_engagement_events).toMatchObject({ ok: true });
    expect((by.archive_old_engagement_events!.result as unknown[]).length).toBe(1);
    for (const s of [
      'refresh_post_analytics',
      'prune_topic_mentions',
      'refresh_template_performance',
      'refresh_daily_platform_metrics',
      'refresh_engaged_users',
    ]) {
      expect(by[s], `${s}: ${by[s]?.error ?? ''}`).toMatchObject({ ok: true });
    }
  });

  it('refuses bad options naming the field', async () => {
    await expect(runMaintenance(t.db, { archive: 'yes' as unknown as boolean })).rejects.toThrow(/runMaintenance: archive/);
    await expect(runMaintenance(t.db, { retention: { weeks: 2 } as never })).rejects.toThrow(/runMaintenance: weeks: unknown field/);
  });
});

describe('maintenance under load', () => {
  it('runs while 4 writers insert: no error, no lost or duplicated event, none left in DEFAULT', async () => {
    const d = await createTestDatabase({ max: 8 });
    extra.push(d);
    const db = d.db;
    // Months each batch writes to: this month, next month, beyond the partitions (DEFAULT until
    // maintenance makes it), and one past the retention (made, then archived, again and again).
    const offsets = [0, 1, 7, -30];
    const perBatch = 40;
    let writing = true;
    const writerErrors: unknown[] = [];
    const written = new Map<number, number>(); // offset -> events
    const reports: Awaited<ReturnType<typeof runMaintenance>>[] = [];

    // Each writer writes at least 30 batches, and goes on until maintenance has run 3 times meanwhile.
    const writer = async (w: number) => {
      for (let b = 0; b < 30 || (reports.length < 3 && b < 2000); b++) {
        const offset = offsets[b % offsets.length]!;
        try {
          await insertEvents(db, offset, perBatch, w * 10_000_000 + b * 1_000);
          written.set(offset, (written.get(offset) ?? 0) + perBatch);
        } catch (err) {
          writerErrors.push(err);
        }
      }
    };
    const maintainer = async () => {
      while (writing) {
        reports.push(await runMaintenance(db, { archive: true }));
        await ensureEngagementPartitions(db);
      }
    };

    const m = maintainer();
    await Promise.all([1, 2, 3, 4].map((w) => writer(w)));
    writing = false;
    await m;
    const during = reports.length;
    const madeWhileWriting = (await listEngagementPartitions(db)).map((p) => p.partition);
    reports.push(await runMaintenance(db, { archive: true }));

    expect(writerErrors).toEqual([]);
    for (const r of reports) {
      for (const s of r.steps.filter((x) => x.step === 'ensure_engagement_partitions' || x.step === 'archive_old_engagement_events')) {
        expect(s, `${s.step}: ${s.error ?? ''}`).toMatchObject({ ok: true });
      }
    }
    // Maintenance really worked while the writers wrote: old months archived, the far month made.
    const archivedWhileWriting = reports
      .slice(0, during)
      .filter((r) => ((r.steps.at(-1)?.result as unknown[] | undefined) ?? []).length > 0).length;
    expect(archivedWhileWriting).toBeGreaterThan(0);
    expect(madeWhileWriting).toContain(await monthName(db, 7));

    const [counts] = await queryRows<{ live: number; archived: number; distinct_keys: number; in_default: number; archived_tables: number }>(
      db,
      sql`SELECT (SELECT count(*) FROM engagement_events)::int AS live,
                 (SELECT count(*) FROM engagement_events_archive)::int AS archived,
                 (SELECT count(DISTINCT event_key) FROM (SELECT event_key FROM engagement_events UNION ALL
                                                         SELECT event_key FROM engagement_events_archive) k)::int AS distinct_keys,
                 (SELECT count(*) FROM engagement_events_default)::int AS in_default,
                 (SELECT count(*) FROM pg_class WHERE relnamespace = 'archive'::regnamespace AND relkind = 'r')::int AS archived_tables`,
    );
    const total = [...written.values()].reduce((x, y) => x + y, 0);
    expect(counts!.live + counts!.archived).toBe(total);
    expect(counts!.distinct_keys).toBe(total);
    expect(counts!.in_default).toBe(0);
    expect(counts!.archived).toBe(written.get(-30));
    expect(counts!.archived_tables).toBeGreaterThanOrEqual(archivedWhileWriting);
    // Every live event sits in the partition of its own month.
    const [misplaced] = await queryRows<{ n: number }>(
      db,
      sql`SELECT count(*)::int AS n FROM engagement_events e
          WHERE e.tableoid::regclass::text <> 'engagement_events_' || to_char(e.event_timestamp AT TIME ZONE 'UTC', '"y"YYYY"m"MM')`,
    );
    expect(misplaced!.n).toBe(0);
  });
});

describe('on embedded PGlite', () => {
  it('makes partitions, archives, runs maintenance and reports that pg_cron is absent', async () => {
    const db = await createEmbeddedDb();
    try {
      await migrate(db);
      await insertEvents(db, 8, 3, 1);
      await insertEvents(db, -29, 3, 100);
      const created = await ensureEngagementPartitions(db);
      expect(created.map((c) => c.rowsMoved)).toEqual([3, 3]);
      const archived = await archiveOldEngagementEvents(db);
      expect(archived.map((a) => a.archivedAs)).toEqual([`archive.${await monthName(db, -29)}`]);
      const [n] = await queryRows<{ live: number; archived: number }>(
        db,
        sql`SELECT (SELECT count(*) FROM engagement_events)::int AS live, (SELECT count(*) FROM engagement_events_archive)::int AS archived`,
      );
      expect(n).toEqual({ live: 3, archived: 3 });
      const report = await runMaintenance(db, { archive: true });
      expect(report.steps.map((s) => s.step)).toEqual([...MAINTENANCE_STEPS]);
      expect(report.steps.find((s) => s.step === 'ensure_engagement_partitions')).toMatchObject({ ok: true });
      const schedule = await scheduleMaintenance(db);
      expect(schedule).toEqual({ scheduled: false, reason: 'pg_cron is not installed on this server', jobs: [] });
    } finally {
      await close(db);
    }
  });
});
