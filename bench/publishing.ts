// Benchmark section (7), publishing (issue 16): claims per second and claim latency with 100,000
// scheduled posts of which 10,000 are due, 4 workers on their own connections claiming 10 at a time
// and completing what they claim; and the dashboard queries' p95 idle and while the workers run.
// Called from bench/run.ts; its figures join the others in bench/RESULTS.md.
import { randomBytes, randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { close, createDb, queryRows, type PostgresDb } from '../src/db.js';
import { migrate } from '../src/migrate.js';
import * as q from '../src/queries/index.js';
import { claimDuePosts, completePostPublish } from '../src/queries/publishing/index.js';
import type { BenchFigure } from './figure.js';

export interface PublishingBenchContext {
  url: string;
  quick: boolean;
  /** Dashboard reads timed idle and while the workers run (bench/run.ts passes some of section 3's). */
  probes: (() => Promise<unknown>)[];
  record: (f: BenchFigure) => void;
  log: (s: string) => void;
}

const WORKERS = 4;
const BATCH = 10;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** The dashboard reads `probes`, in turn, `runs` times in all (or until `until` settles); sorted milliseconds. */
async function dashboardSamples(probes: (() => Promise<unknown>)[], runs: number, until?: Promise<unknown>): Promise<number[]> {
  let done = false;
  void until?.then(
    () => (done = true),
    () => (done = true),
  );
  const samples: number[] = [];
  for (let i = 0; until ? !done : i < runs; i++) {
    const t = performance.now();
    await probes[i % probes.length]!();
    samples.push(performance.now() - t);
  }
  return samples.sort((a, b) => a - b);
}

export async function measurePublishing(db: PostgresDb, ctx: PublishingBenchContext): Promise<void> {
  const total = ctx.quick ? 10_000 : 100_000;
  const due = total / 10;
  const accounts = 30;
  const [ws] = await queryRows<{ id: string; user_id: string }>(
    db,
    sql`SELECT w.id::text, m.user_id::text FROM workspaces w JOIN workspace_members m ON m.workspace_id = w.id AND m.role = 'owner' LIMIT 1`,
  );
  if (!ws) throw new Error('no workspace: run after the setup step');
  // Accounts with limits wide enough not to hold posts back, so the count under the lock is paid on
  // every claim without deciding anything.
  await db.execute(sql`
    WITH a AS (
      INSERT INTO social_accounts (workspace_id, user_id, platform_id, handle, platform_account_id)
      SELECT ${ws.id}::uuid, ${ws.user_id}::uuid, p.id, 'pub' || g, 'bench-pub-' || g
      FROM generate_series(1, ${accounts}::int) g JOIN social_platforms p ON p.id = (SELECT min(id) FROM social_platforms) + g % 3
      RETURNING id)
    INSERT INTO account_publishing_settings (account_id, posts_per_window, rate_window, min_spacing)
    SELECT id, 1000000, interval '1 day', interval '0' FROM a`);
  const t0 = performance.now();
  await db.execute(sql`
    INSERT INTO social_posts (workspace_id, user_id, platform_id, account_id, media_type, caption, status, scheduled_at)
    SELECT a.workspace_id, a.user_id, a.platform_id, a.id, 'video', 'Bench scheduled post ' || g, 'scheduled',
           CASE WHEN g <= ${due}::int THEN now() - random() * interval '30 minutes'
                ELSE now() + interval '1 day' + random() * interval '30 days' END
    FROM generate_series(1, ${total}::int) g
    JOIN LATERAL (SELECT * FROM social_accounts WHERE handle = 'pub' || (1 + g % ${accounts}::int) AND platform_account_id LIKE 'bench-pub-%' LIMIT 1) a ON true`);
  await db.execute(sql`VACUUM (ANALYZE) social_posts, post_publish_attempts, account_publishing_settings`);
  ctx.log(`  ${total.toLocaleString('en-US')} scheduled posts (${due.toLocaleString('en-US')} due) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  // The claims are measured even where a dashboard read fails (reported with the reason instead).
  let probeError: string | undefined;
  const idle = await dashboardSamples(ctx.probes, 150).catch((err: unknown) => {
    probeError = (err as Error).message.split('\n')[0];
    return [] as number[];
  });

  const pools = Array.from({ length: WORKERS }, () => createDb(ctx.url, { max: 1 }));
  const claimMs: number[] = [];
  const completeMs: number[] = [];
  let claimed = 0;
  const started = performance.now();
  try {
    const work = Promise.all(
      pools.map(async (w, i) => {
        for (;;) {
          let t = performance.now();
          const posts = await claimDuePosts(w, { worker: `bench-${i}`, maxPosts: BATCH, leaseMs: 300_000 });
          claimMs.push(performance.now() - t);
          if (posts.length === 0) return;
          claimed += posts.length;
          for (const p of posts) {
            t = performance.now();
            await completePostPublish(w, { postId: p.postId, claimToken: p.claimToken, platformPostId: `bench-pub-${p.postId}` });
            completeMs.push(performance.now() - t);
          }
        }
      }),
    );
    const busy = probeError ? [] : await dashboardSamples(ctx.probes, 0, work);
    await work;
    const seconds = (performance.now() - started) / 1000;
    claimMs.sort((a, b) => a - b);
    completeMs.sort((a, b) => a - b);
    const [check] = await queryRows<{ published: number; twice: number }>(
      db,
      sql`SELECT count(*) FILTER (WHERE status = 'published' AND caption LIKE 'Bench scheduled post %')::int AS published,
                 (SELECT count(*)::int FROM (SELECT post_id FROM post_publish_attempts GROUP BY post_id HAVING count(*) > 1) d) AS twice
          FROM social_posts`,
    );
    ctx.record({
      id: 'publishing_claims_per_s',
      name: `(7) publishing: posts claimed and completed per second (${WORKERS} workers, ${BATCH} a claim, ${total.toLocaleString('en-US')} scheduled, ${due.toLocaleString('en-US')} due)`,
      value: claimed / seconds,
      unit: 'posts/s',
      target: 'reported',
      pass: null,
      detail: `${claimed.toLocaleString('en-US')} in ${seconds.toFixed(1)} s; ${claimMs.length.toLocaleString('en-US')} claims; every due post published once: ${check!.published === due && check!.twice === 0 ? 'yes' : `no (${check!.published} published, ${check!.twice} claimed twice)`}`,
    });
    ctx.record({
      id: 'publishing_claim_p95_ms',
      name: `(7) publishing: claim_due_posts p95 (${BATCH} posts a claim, ${WORKERS} workers at once)`,
      value: percentile(claimMs, 95),
      unit: 'ms',
      target: 'reported',
      pass: null,
      detail: `p50 ${percentile(claimMs, 50).toFixed(2)} ms; complete_post_publish p50 ${percentile(completeMs, 50).toFixed(2)} ms, p95 ${percentile(completeMs, 95).toFixed(2)} ms`,
    });
    if (probeError) {
      ctx.record({
        id: 'publishing_dashboard_p95_ms',
        name: '(7) publishing: dashboard queries p95 while the workers run',
        value: null,
        unit: '',
        target: '<= 10 ms',
        pass: null,
        detail: `a dashboard read failed: ${probeError}`,
      });
      return;
    }
    const idleP95 = percentile(idle, 95);
    const busyP95 = percentile(busy, 95);
    ctx.record({
      id: 'publishing_dashboard_p95_ms',
      name: `(7) publishing: dashboard queries p95 while the ${WORKERS} workers run (${ctx.probes.length} of section 3's, in turn)`,
      value: busyP95,
      unit: 'ms',
      target: '<= 10 ms',
      pass: busyP95 <= 10,
      detail: `idle p95 ${idleP95.toFixed(2)} ms (${idle.length} runs); ${busy.length} runs while the workers ran`,
    });
  } finally {
    await Promise.all(pools.map((p) => close(p)));
  }
}

// `npx tsx bench/publishing.ts [--quick]`: this section alone, on a database of its own (migrated, one
// workspace, no engagement data), for working on the claim without the whole benchmark.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `socialdb_bench_pub_${randomBytes(4).toString('hex')}`;
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE "${name}"`);
  const db = createDb(u.toString(), { max: 4 });
  try {
    await migrate(db);
    const owner = randomUUID();
    await db.execute(sql`INSERT INTO auth.users (id) VALUES (${owner}::uuid)`);
    const ws = await q.createWorkspace(db, { name: 'Bench', slug: 'bench', ownerId: owner });
    await measurePublishing(db, {
      url: u.toString(),
      quick: process.argv.includes('--quick'),
      log: (s) => process.stdout.write(`${s}\n`),
      record: (f) => process.stdout.write(`  ${f.name}: ${f.value === null ? 'n/a' : f.value.toFixed(2)} ${f.unit} (${f.detail})\n`),
      probes: [
        () => q.getTopContentByCategory(db, { workspaceId: ws.id, days: 30, limit: 50 }),
        () => q.getBestPostingHours(db, { workspaceId: ws.id, days: 90 }),
      ],
    });
  } finally {
    await close(db);
    await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  }
}
