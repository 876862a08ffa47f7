import { sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { queryRows, type Db } from '../db.js';
import { num, numOrNull, parseInput, toDate } from './_input.js';

// Typed wrappers of the SQL functions of migrations 0013/0014 (partitions, retention, the maintenance
// run, pg_cron scheduling). The work happens in the database so pg_cron, Supabase RPC and this package
// run the same code; see docs/maintenance.md.

/** A retention period: whole months whose end is older than it are archived. Default 2 years. */
export const retentionSchema = z
  .strictObject({
    years: z.number().int().min(0).max(100).optional(),
    months: z.number().int().min(0).max(1200).optional(),
    days: z.number().int().min(0).max(36500).optional(),
  })
  .refine((r) => (r.years ?? 0) + (r.months ?? 0) + (r.days ?? 0) > 0, {
    message: 'must be longer than zero (give years, months or days)',
  });
export type Retention = z.infer<typeof retentionSchema>;

export const ensurePartitionsOptionsSchema = z.strictObject({
  /** Months after the current one that must have a partition (0..120, default 3). */
  monthsAhead: z.number().int().min(0).max(120).default(3),
});
export type EnsurePartitionsOptions = z.input<typeof ensurePartitionsOptionsSchema>;

export const archiveOptionsSchema = z.strictObject({
  retention: retentionSchema.default({ years: 2 }),
});
export type ArchiveOptions = z.input<typeof archiveOptionsSchema>;

export const maintenanceOptionsSchema = z.strictObject({
  /** true: always run the archive step; false: skip it; omitted: only when a month has passed the retention. */
  archive: z.boolean().optional(),
  retention: retentionSchema.default({ years: 2 }),
});
export type MaintenanceOptions = z.input<typeof maintenanceOptionsSchema>;

function intervalOf(r: Retention): SQL {
  return sql`make_interval(years => ${r.years ?? 0}::int, months => ${r.months ?? 0}::int, days => ${r.days ?? 0}::int)`;
}

/** A month partition created by `ensureEngagementPartitions`. */
export interface CreatedPartition {
  partitionName: string;
  rangeStart: Date;
  rangeEnd: Date;
  /** Rows that were waiting in the DEFAULT partition and now live in this month. */
  rowsMoved: number;
}

/**
 * Creates the monthly partitions of engagement_events that are missing, from the current month through
 * `monthsAhead`, plus every month with rows waiting in the DEFAULT partition (moved, none lost).
 * Idempotent; returns only what it created. Run it as the owner of the tables.
 */
export async function ensureEngagementPartitions(db: Db, opts: EnsurePartitionsOptions = {}): Promise<CreatedPartition[]> {
  const { monthsAhead } = parseInput('ensureEngagementPartitions', ensurePartitionsOptionsSchema, opts);
  const rows = await queryRows<{ partition_name: string; range_start: unknown; range_end: unknown; rows_moved: unknown }>(
    db,
    sql`SELECT partition_name, range_start, range_end, rows_moved FROM ensure_engagement_partitions(${monthsAhead}::int)`,
  );
  return rows.map((r) => ({
    partitionName: r.partition_name,
    rangeStart: toDate(r.range_start),
    rangeEnd: toDate(r.range_end),
    rowsMoved: num(r.rows_moved),
  }));
}

/** A month retired by `archiveOldEngagementEvents`. */
export interface ArchivedMonth {
  /** The live partition's name, e.g. `engagement_events_y2024m10`. */
  partitionName: string;
  /**
   * Where its rows are now: `archive.<name>`, an inheritance child of engagement_events_archive
   * (`archive.<name>_1`, ... for late events of a month archived before).
   */
  archivedAs: string;
  rangeStart: Date;
  rangeEnd: Date;
  /**
   * The planner's row estimate for the month (an exact count would scan it, which archiving never does);
   * null when the table was never analyzed.
   */
  rowsEstimate: number | null;
}

/**
 * Archives every whole month of engagement_events older than the retention (default 2 years) by
 * partition: DETACH, then the same table joins engagement_events_archive. No row is copied or deleted,
 * so the time does not depend on the month's size; post_analytics is untouched. Run it as the owner
 * of the tables, never inside a migration.
 */
export async function archiveOldEngagementEvents(db: Db, opts: ArchiveOptions = {}): Promise<ArchivedMonth[]> {
  const { retention } = parseInput('archiveOldEngagementEvents', archiveOptionsSchema, opts);
  const rows = await queryRows<{
    partition_name: string;
    archived_as: string;
    range_start: unknown;
    range_end: unknown;
    rows_estimate: unknown;
  }>(db, sql`SELECT * FROM archive_old_engagement_events(${intervalOf(retention)})`);
  return rows.map((r) => ({
    partitionName: r.partition_name,
    archivedAs: r.archived_as,
    rangeStart: toDate(r.range_start),
    rangeEnd: toDate(r.range_end),
    rowsEstimate: numOrNull(r.rows_estimate),
  }));
}

export const MAINTENANCE_STEPS = [
  'expire_post_publish_leases',
  'mark_missed_posts',
  'ensure_engagement_partitions',
  'refresh_post_analytics',
  'detect_trending_topics',
  'prune_topic_mentions',
  'refresh_template_performance',
  'refresh_daily_platform_metrics',
  'refresh_engaged_users',
  'archive_old_engagement_events',
] as const;
export type MaintenanceStepName = (typeof MAINTENANCE_STEPS)[number];

/** One step of a maintenance run: what it returned, or the error that rolled it back alone. */
export interface MaintenanceStep {
  step: MaintenanceStepName;
  ok: boolean;
  /** Wall-clock milliseconds of the step. */
  ms: number;
  /** The step function's rows (set-returning), value (scalar) or null (void), as JSON. */
  result?: unknown;
  error?: string;
  /** SQLSTATE of `error`, e.g. 42883 when the step's function is not installed. */
  sqlstate?: string;
  /** The archive step when it did not run, and why. */
  skipped?: boolean;
  reason?: string;
}

export interface MaintenanceReport {
  /** Every step succeeded (skipped counts as success). */
  ok: boolean;
  startedAt: Date;
  ms: number;
  steps: MaintenanceStep[];
}

/**
 * One maintenance run (`run_social_maintenance()`): partitions, rollups, trends, view refreshes and,
 * when due or asked, the monthly archive. A failing step is reported and the others still run; this
 * resolves with the report rather than throwing for a failed step. For databases without pg_cron, call
 * it on a timer (e.g. `social-db maintain` every 15 minutes).
 */
export async function runMaintenance(db: Db, opts: MaintenanceOptions = {}): Promise<MaintenanceReport> {
  const { archive, retention } = parseInput('runMaintenance', maintenanceOptionsSchema, opts);
  const [row] = await queryRows<{ report: unknown }>(
    db,
    sql`SELECT run_social_maintenance(${archive ?? null}::boolean, ${intervalOf(retention)}) AS report`,
  );
  const raw = (typeof row?.report === 'string' ? JSON.parse(row.report) : row?.report) as {
    ok: boolean;
    started_at: string;
    ms: number;
    steps: MaintenanceStep[];
  };
  return { ok: raw.ok, startedAt: toDate(raw.started_at), ms: num(raw.ms), steps: raw.steps };
}

/** A pg_cron job of the maintenance schedule. */
export interface MaintenanceJob {
  jobid: number;
  jobName: string;
  schedule: string;
  command: string;
}

export type ScheduleResult =
  | { scheduled: true; database: string; jobs: MaintenanceJob[] }
  | { scheduled: false; reason: string; jobs: [] };

/**
 * Schedules the maintenance jobs with pg_cron where it can run them (installed, preloaded, and this is
 * `cron.database_name`); elsewhere changes nothing and says why. Re-running updates the same jobs.
 * Migration 0014 calls it once; call it again after moving a database onto pg_cron.
 */
export async function scheduleMaintenance(db: Db, opts: { retention?: Retention } = {}): Promise<ScheduleResult> {
  const { retention } = parseInput('scheduleMaintenance', archiveOptionsSchema, opts);
  const [row] = await queryRows<{ result: unknown }>(
    db,
    sql`SELECT schedule_social_maintenance(${intervalOf(retention)}) AS result`,
  );
  const raw = (typeof row?.result === 'string' ? JSON.parse(row.result) : row?.result) as {
    scheduled: boolean;
    reason?: string;
    database?: string;
    jobs: { jobid: unknown; job_name: string; schedule: string; command: string }[];
  };
  if (!raw.scheduled) return { scheduled: false, reason: raw.reason ?? 'unknown', jobs: [] };
  return {
    scheduled: true,
    database: raw.database ?? '',
    jobs: raw.jobs.map((j) => ({ jobid: num(j.jobid), jobName: j.job_name, schedule: j.schedule, command: j.command })),
  };
}

/** Removes the maintenance jobs of the current user from pg_cron; returns their names. */
export async function unscheduleMaintenance(db: Db): Promise<string[]> {
  const [row] = await queryRows<{ result: unknown }>(db, sql`SELECT unschedule_social_maintenance() AS result`);
  const raw = (typeof row?.result === 'string' ? JSON.parse(row.result) : row?.result) as { unscheduled: string[] };
  return raw.unscheduled;
}

/** A partition of engagement_events (or of another range-partitioned table) with its range. */
export interface PartitionRange {
  partition: string;
  rangeStart: Date | null;
  rangeEnd: Date | null;
  isDefault: boolean;
}

/** The partitions of engagement_events with their month ranges, oldest first, DEFAULT last. */
export async function listEngagementPartitions(db: Db): Promise<PartitionRange[]> {
  const rows = await queryRows<{ partition: string; range_start: unknown; range_end: unknown; is_default: boolean }>(
    db,
    sql`SELECT partition::text AS partition, range_start, range_end, is_default FROM engagement_partition_ranges('engagement_events')`,
  );
  return rows.map((r) => ({
    partition: r.partition,
    rangeStart: r.range_start == null ? null : toDate(r.range_start),
    rangeEnd: r.range_end == null ? null : toDate(r.range_end),
    isDefault: r.is_default,
  }));
}
