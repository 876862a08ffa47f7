import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows, type Db, type PostgresDb } from '../src/db.js';
import { InvalidInputError } from '../src/queries/_input.js';
import {
  approvePost,
  claimDuePosts,
  nextPostingSlot,
  PublishStateError,
  schedulePost,
  setAccountPublishingSettings,
} from '../src/queries/publishing/index.js';
import { asApi, authenticatorDb, close, serviceKey, signedIn } from './support/api.js';
import { useTestDb } from './support/db.js';
import { pgError } from './support/errors.js';
import { createAccount, createUser, workspaceOf } from './support/fixtures.js';
import { postRow } from './support/publishing.js';

// Scheduling in local time (DST both ways in Europe/Berlin, +05:45 in Asia/Kathmandu, fixed clock),
// the state machine and approvals as the Data API's roles meet them, and posting slots.

const t = useTestDb();
let api: PostgresDb;
let owner: string;
let workspace: string;
let account: string;
const ASOF = new Date('2026-01-15T12:00:00Z');

beforeAll(async () => {
  api = authenticatorDb(t.url);
  owner = await createUser(t.db);
  workspace = await workspaceOf(t.db, owner);
  account = await createAccount(t.db, owner, 'instagram');
});
afterAll(async () => {
  if (api) await close(api);
});

async function draft(db: Db = t.db, accountId = account): Promise<string> {
  const [row] = await queryRows<{ id: string }>(
    db,
    sql`INSERT INTO social_posts (workspace_id, user_id, platform_id, account_id, media_type, caption)
        SELECT a.workspace_id, a.user_id, a.platform_id, a.id, 'image', 'a draft' FROM social_accounts a WHERE a.id = ${accountId}::uuid
        RETURNING id::text`,
  );
  return row!.id;
}

describe('schedulePost', () => {
  it('stores the instant of a local time in its zone, across both DST changes and at +05:45', async () => {
    const cases: [string, string, string, 'earlier' | 'later' | undefined][] = [
      ['2026-12-01T07:00', 'Europe/Berlin', '2026-12-01T06:00:00.000Z', undefined],
      ['2026-03-29T01:30', 'Europe/Berlin', '2026-03-29T00:30:00.000Z', undefined],
      ['2026-03-29T03:30', 'Europe/Berlin', '2026-03-29T01:30:00.000Z', undefined],
      ['2026-10-25T02:30', 'Europe/Berlin', '2026-10-25T00:30:00.000Z', undefined],
      ['2026-10-25T02:30', 'Europe/Berlin', '2026-10-25T01:30:00.000Z', 'later'],
      ['2026-12-01T07:00', 'Asia/Kathmandu', '2026-12-01T01:15:00.000Z', undefined],
    ];
    for (const [at, timeZone, instant, fold] of cases) {
      const id = await draft();
      const r = await schedulePost(t.db, id, { at, timeZone, fold, asOf: ASOF });
      expect([at, timeZone, r.scheduledAt.toISOString()]).toEqual([at, timeZone, instant]);
      expect(r).toMatchObject({ status: 'scheduled', timeZone, local: `${at}:00` });
      const row = await postRow(t.db, id);
      expect(row).toMatchObject({ status: 'scheduled', scheduled_time_zone: timeZone });
      // The database agrees on the wall clock, and the claim queue has it at that instant.
      const [local] = await queryRows<{ local: string }>(
        t.db,
        sql`SELECT to_char(scheduled_at AT TIME ZONE ${timeZone}, 'YYYY-MM-DD"T"HH24:MI') AS local FROM social_posts WHERE id = ${id}::uuid`,
      );
      expect(local!.local).toBe(at);
      expect(row.next_attempt_at.toISOString()).toBe(instant);
    }
  });

  it('refuses a local time that does not exist, one in the past, and bad input, naming the field', async () => {
    const id = await draft();
    const refusal = async (p: Promise<unknown>) => {
      try {
        await p;
      } catch (e) {
        expect(e).toBeInstanceOf(InvalidInputError);
        return (e as Error).message;
      }
      throw new Error('expected a refusal');
    };
    expect(await refusal(schedulePost(t.db, id, { at: '2026-03-29T02:30', timeZone: 'Europe/Berlin', asOf: ASOF }))).toMatch(
      /^schedulePost: at: 2026-03-29T02:30 does not exist in Europe\/Berlin: the clocks skip it \(UTC offset \+01:00 to \+02:00\)/,
    );
    expect(await refusal(schedulePost(t.db, id, { at: '2026-01-15T12:59', timeZone: 'Asia/Kathmandu', asOf: ASOF }))).toMatch(
      /^schedulePost: at: 2026-01-15T07:14:00.000Z is in the past \(now 2026-01-15T12:00:00.000Z\)/,
    );
    expect(await refusal(schedulePost(t.db, id, { at: '2026-12-01T07:00', asOf: ASOF }))).toMatch(/timeZone: is required with a local time/);
    expect(await refusal(schedulePost(t.db, id, { at: '2026-12-01T07:00', timeZone: 'Berlin', asOf: ASOF }))).toMatch(/timeZone: is not an IANA time zone/);
    expect(await refusal(schedulePost(t.db, '5f0c3c38-4a4a-4d2e-8a1c-6a6f1a0b9c11', { at: new Date('2027-01-01T00:00:00Z') }))).toMatch(
      /postId: no post 5f0c3c38/,
    );
    expect((await postRow(t.db, id)).status).toBe('draft');
  });

  it('rescheduling moves the claim time with it', async () => {
    const id = await draft();
    await schedulePost(t.db, id, { at: '2026-12-01T07:00', timeZone: 'Europe/Berlin', asOf: ASOF });
    await schedulePost(t.db, id, { at: '2026-12-02T08:15', timeZone: 'Europe/Berlin', asOf: ASOF, maxLatenessMs: 600_000 });
    const row = await postRow(t.db, id);
    expect(row.next_attempt_at.toISOString()).toBe('2026-12-02T07:15:00.000Z');
    const [l] = await queryRows<{ m: string }>(t.db, sql`SELECT max_lateness::text AS m FROM social_posts WHERE id = ${id}::uuid`);
    expect(l!.m).toBe('00:10:00');
  });
});

describe('the state machine', () => {
  it('refuses moves outside the graph, whoever makes them', async () => {
    const id = await draft();
    const refusal = await pgError(t.db.execute(sql`UPDATE social_posts SET status = 'publishing' WHERE id = ${id}::uuid`));
    expect(refusal).toMatchObject({ code: '23514', constraint_name: 'social_posts_status_transition' });
    expect(refusal.message).toMatch(/^status: draft -> publishing is not a move of the publishing state machine \(from draft: pending_approval, scheduled, published\)/);
    const inserted = await pgError(
      t.db.execute(sql`INSERT INTO social_posts (workspace_id, user_id, platform_id, account_id, media_type, status, claim_token, lease_expires_at)
                       SELECT a.workspace_id, a.user_id, a.platform_id, a.id, 'image', 'unknown', gen_random_uuid(), now() FROM social_accounts a WHERE a.id = ${account}::uuid`),
    );
    expect(inserted.message).toMatch(/^status: a post is not created as unknown \(only claim_due_posts makes a post publishing\)/);
    // Into and out of publishing only through the publishing functions, even for the owner: a post is
    // not taken from under its worker.
    const queued = await draft();
    await schedulePost(t.db, queued, { at: new Date(Date.now() + 60_000) });
    const direct = await pgError(
      t.db.execute(sql`UPDATE social_posts SET status = 'publishing', claim_token = gen_random_uuid(), claimed_by = 'me', lease_expires_at = now()
                       WHERE id = ${queued}::uuid`),
    );
    expect(direct).toMatchObject({ code: '23514', constraint_name: 'social_posts_status_transition' });
    expect(direct.message).toMatch(/^status: scheduled -> publishing is made by the publishing functions only/);
    const [claimed] = (await claimDuePosts(t.db, { worker: 'w', maxPosts: 1000, asOf: new Date(Date.now() + 120_000) })).filter((c) => c.postId === queued);
    expect(claimed).toBeDefined();
    expect((await pgError(t.db.execute(sql`UPDATE social_posts SET status = 'scheduled' WHERE id = ${queued}::uuid`))).message).toMatch(
      /^status: publishing -> scheduled is made by the publishing functions only/,
    );
    await expect(schedulePost(t.db, queued, { at: new Date(Date.now() + 3_600_000) })).rejects.toThrow(PublishStateError);
    expect((await postRow(t.db, queued)).status).toBe('publishing');

    await t.db.execute(sql`UPDATE social_posts SET status = 'published', published_at = now() WHERE id = ${id}::uuid`);
    expect((await pgError(t.db.execute(sql`UPDATE social_posts SET status = 'scheduled', scheduled_at = now() WHERE id = ${id}::uuid`))).message).toMatch(
      /published -> scheduled is not a move .*\(a published post stays as it is\)/,
    );
    // The owner may repair a row outside the graph, saying so.
    await t.db.transaction(async (tx) => {
      await tx.execute(sql`SET LOCAL social.publish_state_override = 'on'`);
      await tx.execute(sql`UPDATE social_posts SET status = 'failed' WHERE id = ${id}::uuid`);
    });
    expect((await postRow(t.db, id)).status).toBe('failed');
    await expect(approvePost(t.db, id)).rejects.toThrow(/approvePost: postId: post .* is failed, not pending_approval/);
  });

  it('lets editors schedule, and only admins where the workspace requires approval', async () => {
    const editor = await createUser(t.db, { workspace: false });
    const admin = await createUser(t.db, { workspace: false });
    const viewer = await createUser(t.db, { workspace: false });
    await t.db.execute(sql`INSERT INTO workspace_members (workspace_id, user_id, role)
                           VALUES (${workspace}::uuid, ${editor}::uuid, 'editor'), (${workspace}::uuid, ${admin}::uuid, 'admin'),
                                  (${workspace}::uuid, ${viewer}::uuid, 'viewer')`);
    const at = new Date(Date.now() + 86_400_000);
    const a = await draft();
    const scheduled = await asApi(api, signedIn(editor), (tx) => schedulePost(tx, a, { at, timeZone: 'Europe/Berlin' }));
    expect(scheduled.status).toBe('scheduled');
    // A viewer cannot see the post to change it.
    await expect(asApi(api, signedIn(viewer), (tx) => schedulePost(tx, a, { at }))).rejects.toThrow(/postId: no post/);
    // Nor may an editor touch the claim columns or claim.
    const e = await pgError(asApi(api, signedIn(editor), (tx) => tx.execute(sql`UPDATE social_posts SET claim_token = gen_random_uuid() WHERE id = ${a}::uuid`)));
    expect(e).toMatchObject({ code: '42501', message: expect.stringMatching(/written by the publishing functions only/) });
    expect((await pgError(asApi(api, signedIn(editor), (tx) => claimDuePosts(tx, { worker: 'me' })))).message).toMatch(/permission denied for function claim_due_posts/);

    await t.db.execute(sql`UPDATE workspaces SET publish_requires_approval = true WHERE id = ${workspace}::uuid`);
    const b = await draft();
    const needsApproval = asApi(api, signedIn(editor), (tx) => schedulePost(tx, b, { at }));
    await expect(needsApproval).rejects.toThrow(PublishStateError);
    await expect(asApi(api, signedIn(editor), (tx) => schedulePost(tx, b, { at }))).rejects.toThrow(/scheduled by an admin; submit it for approval/);
    const submitted = await asApi(api, signedIn(editor), (tx) => schedulePost(tx, b, { at, timeZone: 'Asia/Kathmandu', forApproval: true }));
    expect(submitted.status).toBe('pending_approval');
    await expect(asApi(api, signedIn(editor), (tx) => approvePost(tx, b))).rejects.toThrow(/scheduled by an admin/);
    const approved = await asApi(api, signedIn(admin), (tx) => approvePost(tx, b));
    expect(approved.scheduledAt.getTime()).toBe(submitted.scheduledAt.getTime());
    expect(await postRow(t.db, b)).toMatchObject({ status: 'scheduled', scheduled_time_zone: 'Asia/Kathmandu' });
    // The service role (the app's server) is trusted with scheduling.
    const c = await draft();
    expect((await asApi(api, serviceKey, (tx) => schedulePost(tx, c, { at }))).status).toBe('scheduled');
    await t.db.execute(sql`UPDATE workspaces SET publish_requires_approval = false WHERE id = ${workspace}::uuid`);
  });
});

describe('nextPostingSlot', () => {
  it('proposes the next free slot in the account zone, across the spring-forward, skipping booked and skipped times', async () => {
    const acc = await createAccount(t.db, owner, 'instagram');
    await setAccountPublishingSettings(t.db, acc, { timeZone: 'Europe/Berlin', postingSlots: ['07:00', '02:30', '12:00'] });
    // Saturday evening before the change: Sunday 02:30 does not exist, 07:00 is CEST (05:00Z).
    const asOf = new Date('2026-03-28T20:00:00Z');
    let slot = await nextPostingSlot(t.db, acc, { asOf });
    expect(slot).toMatchObject({ local: '2026-03-29T07:00:00', timeZone: 'Europe/Berlin', basis: 'earliest' });
    expect(slot!.at.toISOString()).toBe('2026-03-29T05:00:00.000Z');
    // Once 07:00 is booked, 12:00 is next.
    const p = await draft(t.db, acc);
    await schedulePost(t.db, p, { at: slot!.at, asOf });
    slot = await nextPostingSlot(t.db, acc, { asOf });
    expect(slot!.local).toBe('2026-03-29T12:00:00');
    // In the fall-back night, 02:30 exists twice: the earlier one.
    slot = await nextPostingSlot(t.db, acc, { asOf: new Date('2026-10-24T22:00:00Z') });
    expect(slot!.at.toISOString()).toBe('2026-10-25T00:30:00.000Z');
    await expect(setAccountPublishingSettings(t.db, acc, { postingSlots: ['7:00'] })).rejects.toThrow(/postingSlots.0: must be a local time of day HH:mm/);
  });

  it("prefers the hour at which the account's own posts did best", async () => {
    const acc = await createAccount(t.db, owner, 'instagram');
    await setAccountPublishingSettings(t.db, acc, { timeZone: 'Asia/Kathmandu', postingSlots: ['07:00', '18:00'] });
    // Four posts at 18:xx local with a high rate, four at 07:xx with a low one (last month).
    await t.db.execute(sql`
      WITH p AS (
        INSERT INTO social_posts (workspace_id, user_id, platform_id, account_id, media_type, status, published_at)
        SELECT a.workspace_id, a.user_id, a.platform_id, a.id, 'image', 'published',
               (timestamp '2026-11-10 00:00' + make_interval(days => g, hours => h, mins => 10)) AT TIME ZONE 'Asia/Kathmandu'
        FROM social_accounts a, generate_series(1, 4) g, (VALUES (7), (18)) v(h)
        WHERE a.id = ${acc}::uuid
        RETURNING id, published_at)
      INSERT INTO post_analytics (post_id, analysis_date, engagement_rate)
      SELECT id, (published_at AT TIME ZONE 'UTC')::date,
             CASE WHEN extract(hour FROM published_at AT TIME ZONE 'Asia/Kathmandu') = 18 THEN 0.09 ELSE 0.01 END FROM p`);
    const asOf = new Date('2026-12-01T00:00:00Z'); // 05:45 in Kathmandu: 07:00 comes first, 18:00 the same day
    const slot = await nextPostingSlot(t.db, acc, { asOf });
    expect(slot).toMatchObject({ local: '2026-12-01T18:00:00', basis: 'best_hour', hourPosts: 4 });
    expect(slot!.hourEngagementRate).toBeCloseTo(0.09, 6);
    expect(slot!.at.toISOString()).toBe('2026-12-01T12:15:00.000Z');
  });
});
