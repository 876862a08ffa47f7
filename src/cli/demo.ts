import { sql } from 'drizzle-orm';
import { close, queryRows } from '../db.js';
import { migrate } from '../migrate.js';
import { printDashboard, runRollups } from '../demo/dashboard.js';
import { generateDemoData, removeDemoData, type DemoOptions } from '../demo/generate.js';
import { formatReport, runDoctor } from './doctor.js';
import { EXIT, explain, openTarget, resetPgliteFolder, type Target } from './target.js';
import type { Io } from './io.js';

/** `social-db demo`: migrate, generate, roll up, print the dashboard, say how to browse the data. */
export async function runDemo(target: Target, options: Omit<DemoOptions, 'out'>, io: Io): Promise<number> {
  const started = performance.now();
  const write = io.out;
  if (target.kind === 'pglite') {
    resetPgliteFolder(target.dir!);
    write(`Embedded database (PGlite) in ${target.dir}, emptied for this run.\n`);
  } else {
    write(`Database: ${target.label}\n`);
  }
  const db = await openTarget(target);
  try {
    write('Migrating… ');
    const t0 = performance.now();
    await migrate(db);
    write(`done (${((performance.now() - t0) / 1000).toFixed(1)}s)\n`);

    if (target.kind === 'server' && (await removeDemoData(db))) {
      write('Replaced the rows of a previous demo run (demo user only).\n');
    }

    write('\nGenerating a month of JMEFit activity…\n');
    const data = await generateDemoData(db, { ...options, out: io.stream ?? { write: io.out } });
    write(
      [
        `  ${data.accounts} accounts, ${data.followerHistoryRows} follower-history rows, ${data.templates} templates, ${data.posts} posts`,
        `  ${data.from.toISOString().slice(0, 10)} to ${data.to.toISOString().slice(0, 10)} (UTC)`,
        ...[data.events, data.insights, data.conversions, data.mentions].map((s) => `  ${s.ok ? '✓' : '–'} ${s.detail}`),
      ].join('\n') + '\n',
    );

    write('\nRollups and trend detection\n');
    for (const step of await runRollups(db, data.to)) {
      write(`  ${step.ok ? '✓' : '–'} ${step.name}: ${step.detail}${step.ms !== undefined ? ` (${Math.round(step.ms)} ms)` : ''}\n`);
    }

    await printDashboard(db, write, { days: options.days ?? 30, to: data.to });

    const counts = await queryRows<{ posts: number; events: number }>(
      db,
      sql`SELECT (SELECT count(*)::int FROM social_posts) AS posts, (SELECT count(*)::int FROM engagement_events) AS events`,
    );
    write(`\nHealth (social-db doctor)\n${formatReport(await runDoctor(db))}\n`);
    write(`\nDone in ${((performance.now() - started) / 1000).toFixed(1)}s: ${counts[0]?.posts} posts, ${counts[0]?.events.toLocaleString('en-US')} engagement events.\n`);
    write(
      target.kind === 'pglite'
        ? `\nBrowse the same data: npx drizzle-kit studio   (then open https://local.drizzle.studio, port 4983)\n` +
            `drizzle.config.ts reads this folder (SOCIAL_DB_PGLITE_DIR, default ./.pglite); the next \`npm run demo\` empties it again.\n`
        : `\nBrowse the same data: DATABASE_URL=<the same URL> npx drizzle-kit studio   (${target.label}; then open https://local.drizzle.studio, port 4983)\n`,
    );
    return EXIT.ok;
  } catch (err) {
    throw explain(err, target);
  } finally {
    await close(db).catch(() => {});
  }
}
