// Dashboards both ways (issue 15): each dashboard read as the workspace's owner through row-level
// security, the way PostgREST runs a signed-in user's request (a transaction, SET LOCAL ROLE
// authenticated, request.jwt.claims with the user's id), against the same read as the service role
// (SET LOCAL ROLE service_role, which bypasses RLS), samples interleaved. Only the statement is timed;
// the transaction and its settings cost both sides the same. Called from bench/run.ts.
import { writeFileSync } from 'node:fs';
import { sql, type SQL } from 'drizzle-orm';
import { close, createDb, queryRows, type Db, type PostgresDb } from '../src/db.js';
import * as q from '../src/queries/index.js';
import type { BenchFigure } from './figure.js';

export interface RlsContext {
  db: PostgresDb;
  /** The bench database, for a connection of its own (EXPLAIN with auto_explain). */
  url: string;
  /** The bench's workspace and its owner (the signed-in user). */
  workspaceId: string;
  ownerId: string;
  runs: number;
  record: (f: BenchFigure) => void;
  log: (line: string) => void;
  /** Where the EXPLAIN (ANALYZE, BUFFERS) of each read as the owner goes. */
  plansPath: string;
}

interface Read {
  name: string;
  /** ms the owner's p95 must stay under (the issue: 5 for dashboards, 10 for one post's 1,000 events). */
  maxP95: number;
  run: (tx: Db) => Promise<unknown>;
  /** The SQL, for EXPLAIN; absent for wrappers that send several statements. */
  explain?: SQL;
}

interface Side {
  p50: number;
  p95: number;
}

/** One row of the side-by-side table, for RESULTS.md. */
export interface RlsRow {
  name: string;
  owner: Side;
  service: Side;
  ratioP50: number;
  ratioP95: number;
  target: string;
  pass: boolean;
}

export const rlsRows: RlsRow[] = [];

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;

type Who = 'owner' | 'service';

async function asWho<T>(db: PostgresDb, ctx: RlsContext, who: Who, work: (tx: Db) => Promise<T>): Promise<T> {
  let out: T | undefined;
  await db.transaction(async (tx) => {
    const role = who === 'owner' ? 'authenticated' : 'service_role';
    const claims = who === 'owner' ? { role, sub: ctx.ownerId } : { role };
    await tx.execute(sql.raw(`SET LOCAL ROLE ${role}`));
    await tx.execute(sql`SELECT set_config('request.jwt.claims', ${JSON.stringify(claims)}, true)`);
    out = await work(tx);
  });
  return out as T;
}

/** A post with about `want` events (the long tail gives every count), found by counting a few candidates. */
async function postWithEvents(db: PostgresDb, want: number): Promise<{ id: string; events: number }> {
  const candidates = await queryRows<{ id: string }>(
    db,
    sql`SELECT id::text FROM bench_posts WHERE n % 7 = 3 ORDER BY n LIMIT 400`,
  );
  let best = { id: candidates[0]!.id, events: -1 };
  for (const c of candidates) {
    const [row] = await queryRows<{ n: number }>(db, sql`SELECT count(*)::int AS n FROM engagement_events WHERE post_id = ${c.id}::uuid`);
    const n = Number(row!.n);
    if (best.events < 0 || Math.abs(n - want) < Math.abs(best.events - want)) best = { id: c.id, events: n };
    if (n >= want && n <= want * 1.5) break;
  }
  return best;
}

export async function measureRls(ctx: RlsContext): Promise<void> {
  const { db, workspaceId: ws } = ctx;
  const events = await postWithEvents(db, 1000);
  const [rated] = await queryRows<{ id: string }>(
    db,
    sql`SELECT post_id::text AS id FROM post_analytics GROUP BY post_id HAVING count(*) >= 30 ORDER BY post_id LIMIT 1`,
  );
  const analyticsPost = rated?.id ?? events.id;
  ctx.log(`  one post's events: ${events.id} (${events.events.toLocaleString('en-US')} events); one post's analytics: ${analyticsPost}`);

  const reads: Read[] = [
    rpc("get_top_content_by_category('workout', 30)", sql`SELECT * FROM get_top_content_by_category('workout', 30)`),
    rpc("get_top_content_by_category('workout', 30, workspace)", sql`SELECT * FROM get_top_content_by_category('workout', 30, ${ws}::uuid)`),
    rpc('get_top_content(NULL, 30, 50)', sql`SELECT * FROM get_top_content(NULL, 30, 50)`),
    rpc(
      'post_latest_analytics top 50 by rate',
      sql`SELECT * FROM post_latest_analytics ORDER BY engagement_rate DESC NULLS LAST, post_id LIMIT 50`,
    ),
    rpc(
      "one post's last 30 post_analytics rows",
      sql`SELECT * FROM post_analytics WHERE post_id = ${analyticsPost}::uuid ORDER BY analysis_date DESC LIMIT 30`,
    ),
    {
      ...rpc(`one post's events (${events.events.toLocaleString('en-US')})`, sql`SELECT * FROM engagement_events WHERE post_id = ${events.id}::uuid`),
      maxP95: 10,
    },
    { name: 'getTopContentByCategory (workout, 30 days, 10)', maxP95: 5, run: (tx) => q.getTopContentByCategory(tx, { workspaceId: ws, category: 'workout', days: 30, limit: 10 }) },
    { name: 'getTopContentByCategory (all, 30 days, 50)', maxP95: 5, run: (tx) => q.getTopContentByCategory(tx, { workspaceId: ws, days: 30, limit: 50 }) },
    { name: 'getPostEngagementOverTime (one post)', maxP95: 5, run: (tx) => q.getPostEngagementOverTime(tx, { postId: analyticsPost }) },
    { name: 'getTrendingTopics (50)', maxP95: 5, run: (tx) => q.getTrendingTopics(tx, { workspaceId: ws, limit: 50 }) },
  ];

  const plans: string[] = [];
  for (const read of reads) {
    try {
      plans.push(...(await measureRead(ctx, read)));
    } catch (err) {
      // One read failing (say, a grant missing for one role) is reported; the others are still measured.
      const cause = (err as { cause?: Error }).cause;
      ctx.record({
        id: `rls_owner_p95_ms:${read.name}`,
        name: `(3) through RLS: ${read.name}`,
        value: null,
        unit: '',
        target: '-',
        pass: null,
        detail: `failed: ${(err as Error).message.split('\n')[0]}${cause ? ` (${cause.message})` : ''}`,
      });
    }
  }
  writeFileSync(
    ctx.plansPath,
    `# Plans of the dashboard reads as the workspace's owner through row-level security\n\n` +
      `Written by bench/rls.ts: EXPLAIN (ANALYZE, BUFFERS) as \`authenticated\` with the owner's claims; the statements an RPC runs ` +
      `inside (EXECUTE) are shown by auto_explain (log_nested_statements). Look for the membership computed once ` +
      `(\`InitPlan\` calling social_private.member_workspaces) and the workspace indexes.\n\n${plans.join('\n')}`,
  );
  ctx.log(`  plans: ${ctx.plansPath}`);
}

/** Times one read both ways, records it, and returns its plan as the owner (when it is one statement). */
async function measureRead(ctx: RlsContext, read: Read): Promise<string[]> {
  const { db } = ctx;
  // Enough to warm every connection of the pool (bench/run.ts opens 8): a cold connection's first
  // call compiles the functions and fills its caches, which would land in the samples of one side.
  for (let i = 0; i < 20; i++) {
    await asWho(db, ctx, 'owner', read.run);
    await asWho(db, ctx, 'service', read.run);
  }
  const samples: Record<Who, number[]> = { owner: [], service: [] };
  for (let i = 0; i < ctx.runs; i++) {
    for (const who of (i % 2 === 0 ? ['owner', 'service'] : ['service', 'owner']) as Who[]) {
      await asWho(db, ctx, who, async (tx) => {
        const t = performance.now();
        await read.run(tx);
        samples[who].push(performance.now() - t);
      });
    }
  }
  const side = (xs: number[]): Side => {
    const s = [...xs].sort((a, b) => a - b);
    return { p50: percentile(s, 50), p95: percentile(s, 95) };
  };
  const owner = side(samples.owner);
  const service = side(samples.service);
  const ratioP50 = owner.p50 / service.p50;
  const ratioP95 = owner.p95 / service.p95;
  const pass = owner.p95 <= read.maxP95 && ratioP50 <= 2;
  const target = `owner <= 2x service (p50), p95 <= ${read.maxP95} ms`;
  rlsRows.push({ name: read.name, owner, service, ratioP50, ratioP95, target, pass });
  ctx.record({
    id: `rls_owner_p95_ms:${read.name}`,
    name: `(3) through RLS: ${read.name}, owner p95`,
    value: owner.p95,
    unit: 'ms',
    target,
    pass,
    detail:
      `owner p50 ${owner.p50.toFixed(2)} / p95 ${owner.p95.toFixed(2)} ms | service role p50 ${service.p50.toFixed(2)} / p95 ${service.p95.toFixed(2)} ms | ` +
      `ratio p50 ${ratioP50.toFixed(2)}x, p95 ${ratioP95.toFixed(2)}x (${ctx.runs} runs each, interleaved)`,
  });
  return read.explain ? [`## ${read.name}\n\n\`\`\`\n${await explainAsOwner(ctx, read.explain)}\n\`\`\`\n`] : [];
}

function rpc(name: string, statement: SQL): Read {
  return { name, maxP95: 5, run: (tx) => tx.execute(statement), explain: statement };
}

/**
 * The plan as the owner sees it, with the statements functions run inside (the RPCs' EXECUTE) through
 * auto_explain at NOTICE level, on a connection of its own (LOAD needs the bench's superuser session).
 */
async function explainAsOwner(ctx: RlsContext, statement: SQL): Promise<string> {
  const notices: string[] = [];
  const own = createDb(ctx.url, { max: 1, postgres: { onnotice: (n) => notices.push(String(n.message)) } });
  try {
    let plan = '';
    await own.transaction(async (tx) => {
      let nested = false;
      try {
        await tx.execute(sql`LOAD 'auto_explain'`);
        for (const setting of ['log_min_duration = 0', 'log_nested_statements = on', 'log_analyze = on', 'log_buffers = on', 'log_level = notice']) {
          await tx.execute(sql.raw(`SET LOCAL auto_explain.${setting}`));
        }
        nested = true;
      } catch {
        // No auto_explain on this server (or no right to LOAD it): the top-level plan only.
      }
      await tx.execute(sql`SET LOCAL ROLE authenticated`);
      await tx.execute(sql`SELECT set_config('request.jwt.claims', ${JSON.stringify({ role: 'authenticated', sub: ctx.ownerId })}, true)`);
      const rows = await queryRows<Record<string, unknown>>(tx, sql`EXPLAIN (ANALYZE, BUFFERS) ${statement}`);
      const top = rows.map((r) => String(r['QUERY PLAN'])).join('\n');
      // auto_explain reports the EXPLAIN itself too; keep the statements run inside functions.
      const inner = notices.filter((n) => /Query Text:/.test(n) && !/Query Text: EXPLAIN/.test(n));
      plan = nested && inner.length > 0 ? `${top}\n\n-- run inside the function (auto_explain):\n${inner.join('\n\n')}` : top;
    });
    return plan;
  } finally {
    await close(own);
  }
}

/** The side-by-side table for RESULTS.md. */
export function rlsMarkdown(): string {
  if (rlsRows.length === 0) return '';
  const f = (n: number) => n.toFixed(2);
  const rows = rlsRows.map(
    (r) =>
      `| ${r.name} | ${f(r.owner.p50)} / ${f(r.owner.p95)} | ${f(r.service.p50)} / ${f(r.service.p95)} | ${f(r.ratioP50)}x / ${f(r.ratioP95)}x | ${r.target} | ${r.pass ? 'pass' : '**FAIL**'} |`,
  );
  return `
## Dashboards as the workspace's owner through RLS vs as the service role (ms, p50 / p95)

| read | owner through RLS | service role | ratio | target | result |
| --- | --- | --- | --- | --- | --- |
${rows.join('\n')}

Daily platform metrics, best posting hours and the conversion funnel read materialized views and
posting_slot_stats, which are closed to API clients (the service role reads them): they appear above
as the service role only. Plans as the owner: the plans file next to this one.
`;
}
