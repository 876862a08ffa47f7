import { readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { createEmbeddedDb, queryRows } from '../src/db.js';
import { migrate } from '../src/migrate.js';
const db = await createEmbeddedDb();
await migrate(db);
const text = readFileSync('/tmp/dash/dash.sql', 'utf8');
for (const stmt of text.split('--> statement-breakpoint')) {
  if (!stmt.trim()) continue;
  await db.execute(sql.raw(stmt));
}
console.log(await queryRows(db, sql`select * from get_top_content_by_category()`));
console.log(await queryRows(db, sql`select refresh_daily_platform_metrics(), refresh_engaged_users(), refresh_template_performance()`));
