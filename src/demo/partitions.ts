import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../db.js';
import { ensureEngagementPartitions, type CreatedPartition } from '../queries/maintenance.js';

/** post_id of the placeholder rows: no event of a real post has it. */
const PLACEHOLDER_POST = '00000000-0000-0000-0000-000000000000';
const PLACEHOLDER_KEY = 0;

/**
 * Monthly partitions of engagement_events for every month from the one of `from` onwards, made by
 * ensure_engagement_partitions() — the function the maintenance runs — so the demo's and the
 * benchmark's months are built exactly like production's: the month CHECK, RLS, the grants and the
 * service_role policy. Nothing here creates a table.
 *
 * That function makes the current month through `monthsAhead` plus every month that has rows waiting in
 * the DEFAULT partition, and generated history starts in the past. So, in one transaction: one
 * placeholder row per past month without a partition goes into engagement_events_default, the function
 * gives each of those months its partition (moving the placeholder in), and the placeholders are
 * deleted from the new partitions. The placeholders are written and deleted on the partitions by name,
 * never through engagement_events, so no statement trigger of the parent (rollup queue, comment
 * hashtags) sees them, and no other session ever does. The data loaded afterwards goes straight into its
 * month, each row written once.
 *
 * Returns the partitions created (past months and months ahead), as ensureEngagementPartitions does.
 */
export async function ensurePartitionsSince(db: Db, from: Date, monthsAhead = 3): Promise<CreatedPartition[]> {
  return db.transaction(async (tx) => {
    // Months before the current one that no partition covers (decided by range, as the function does).
    const placeholders = await queryRows<{ at: string }>(
      tx,
      // workspace_id is NOT NULL and the fill trigger finds no post: the placeholder names no workspace of its own.
      sql`INSERT INTO engagement_events_default (post_id, event_timestamp, event_key, event_type, workspace_id)
          SELECT ${PLACEHOLDER_POST}::uuid, m AT TIME ZONE 'UTC', ${PLACEHOLDER_KEY}::bigint, 'view', ${PLACEHOLDER_POST}::uuid
            FROM generate_series(date_trunc('month', ${from.toISOString()}::timestamptz AT TIME ZONE 'UTC'),
                                 date_trunc('month', now() AT TIME ZONE 'UTC') - interval '1 month',
                                 interval '1 month') AS m
           WHERE NOT EXISTS (SELECT 1 FROM engagement_partition_ranges('engagement_events') r
                              WHERE NOT r.is_default AND r.range_start <= m AT TIME ZONE 'UTC' AND r.range_end > m AT TIME ZONE 'UTC')
          ON CONFLICT DO NOTHING
          RETURNING event_timestamp::text AS at`,
    );
    const created = await ensureEngagementPartitions(tx, { monthsAhead });
    if (placeholders.length > 0) {
      for (const p of created) {
        await tx.execute(
          sql`DELETE FROM ${sql.identifier(p.partitionName)}
               WHERE post_id = ${PLACEHOLDER_POST}::uuid AND event_key = ${PLACEHOLDER_KEY}::bigint
                 AND event_timestamp = ${p.rangeStart.toISOString()}::timestamptz`,
        );
      }
      const [left] = await queryRows<{ n: number }>(
        tx,
        sql`SELECT count(*)::int AS n FROM engagement_events WHERE post_id = ${PLACEHOLDER_POST}::uuid`,
      );
      if (left!.n !== 0) throw new Error(`ensurePartitionsSince: ${left!.n} placeholder row(s) left behind; nothing was changed`);
    }
    return created;
  });
}
