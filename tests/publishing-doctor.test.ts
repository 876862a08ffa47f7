import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { checkPublishingQueue } from '../src/cli/doctor-publishing.js';
import { runDoctor } from '../src/cli/doctor.js';
import { claimDuePosts, expirePublishLeases, reconcilePublish } from '../src/queries/publishing/index.js';
import { useTestDb } from './support/db.js';
import { createAccount, createUser } from './support/fixtures.js';
import { schedulePosts } from './support/publishing.js';

// `social-db doctor`, check "publishing queue": a queue nobody works, a post stuck past its lease and
// posts whose outcome is unknown, each told apart, on the real clock.

const t = useTestDb();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('doctor: publishing queue', () => {
  it('is ok when empty, fails on a queue nobody works and on an expired lease, warns on unknown posts', async () => {
    expect(await checkPublishingQueue(t.db)).toMatchObject({ name: 'publishing queue', status: 'ok', summary: expect.stringMatching(/^0 due of 0 scheduled/) });

    const user = await createUser(t.db);
    const account = await createAccount(t.db, user, 'tiktok');
    const [late] = await schedulePosts(t.db, { accountId: account, n: 1, due: () => new Date(Date.now() - 20 * 60_000) });
    const lagging = await checkPublishingQueue(t.db);
    expect(lagging).toMatchObject({ status: 'fail', summary: expect.stringMatching(/^the oldest due post has waited 20 min; 1 due of 1 scheduled/) });
    expect(lagging.fix).toMatch(/no worker is claiming/);
    const report = await runDoctor(t.db);
    expect(report.checks.find((c) => c.name === 'publishing queue')?.status).toBe('fail');
    expect(report.healthy).toBe(false);

    // A worker claims it and dies: its lease runs out.
    const [claimed] = await claimDuePosts(t.db, { worker: 'dies', leaseMs: 1000 });
    expect(claimed?.postId).toBe(late);
    await sleep(1100);
    expect(await checkPublishingQueue(t.db)).toMatchObject({ status: 'fail', summary: expect.stringMatching(/^1 post\(s\) publishing past their lease/) });

    await expirePublishLeases(t.db);
    const unknown = await checkPublishingQueue(t.db);
    expect(unknown).toMatchObject({ status: 'warn', summary: expect.stringMatching(/1 unknown/) });
    expect(unknown.fix).toMatch(/reconcilePublish/);

    await reconcilePublish(t.db, { postId: late!, found: true, platformPostId: 'tt_doctor' });
    const settled = await checkPublishingQueue(t.db);
    expect(settled.status).toBe('ok');
    expect(settled.summary).toMatch(/0 due of 0 scheduled .* 0 unknown, 0 failed, 0 missed/);
    const [row] = await t.db.execute(sql`SELECT status FROM social_posts WHERE id = ${late!}::uuid`);
    expect(row).toMatchObject({ status: 'published' });
  });
});
