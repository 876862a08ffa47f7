import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../db.js';

/**
 * Monthly partitions of engagement_events for the months from `from` up to the current one, named like
 * those ensure_engagement_partitions() makes. Generated history starts in the past, and
 * ensure_engagement_partitions() only creates the current month onwards (older rows would wait in the
 * DEFAULT partition until it moves them); creating the months first writes every row once.
 */
export async function createPartitionsSince(db: Db, from: Date): Promise<string[]> {
  const rows = await queryRows<{ name: string; lo: string; hi: string }>(
    db,
    sql`SELECT format('engagement_events_y%sm%s', to_char(m AT TIME ZONE 'UTC', 'YYYY'), to_char(m AT TIME ZONE 'UTC', 'MM')) AS name,
               m::text AS lo, (m + interval '1 month')::text AS hi
          FROM generate_series(date_trunc('month', ${from.toISOString()}::timestamptz, 'UTC'),
                               date_trunc('month', now(), 'UTC'), interval '1 month') AS m`,
  );
  const created: string[] = [];
  for (const r of rows) {
    const exists = await queryRows<{ ok: boolean }>(db, sql`SELECT to_regclass(${`public.${r.name}`}) IS NOT NULL AS ok`);
    if (exists[0]?.ok) continue;
    await db.execute(
      sql.raw(
        `CREATE TABLE "${r.name}" PARTITION OF engagement_events FOR VALUES FROM ('${r.lo}') TO ('${r.hi}')`,
      ),
    );
    // Same as the partitions the maintenance function creates: closed to the API roles.
    await db.execute(sql.raw(`ALTER TABLE "${r.name}" ENABLE ROW LEVEL SECURITY`));
    await db.execute(sql.raw(`REVOKE ALL ON TABLE "${r.name}" FROM PUBLIC`));
    created.push(r.name);
  }
  return created;
}
