import { sql, type SQL } from 'drizzle-orm';
import { pgErrorOf } from '../../pg-error.js';
import { PublishStateError, StaleClaimError } from './errors.js';

// Helpers of the publishing wrappers (not exported from the package).

/** Rethrows the database's refusal of a claim token as a StaleClaimError; anything else as it is. */
export function rethrowClaimError(err: unknown): never {
  const pg = pgErrorOf(err);
  if (pg.code === '55000' && pg.message?.startsWith('claim_token:')) throw new StaleClaimError(pg.message);
  rethrowStateError(err);
}

/** Rethrows the state machine's refusals (the transition trigger, approval, a post in the wrong state) as a PublishStateError. */
export function rethrowStateError(err: unknown): never {
  const pg = pgErrorOf(err);
  const refused =
    pg.code === '55000' ||
    (pg.code === '23514' && pg.constraint_name === 'social_posts_status_transition') ||
    (pg.code === '42501' && /publishing functions|approval|scheduled by an admin/.test(pg.message ?? ''));
  if (refused && pg.message) throw new PublishStateError(pg.message);
  throw err;
}

/** Milliseconds as a SQL interval. */
export const msInterval = (ms: number): SQL => sql`make_interval(secs => ${ms / 1000}::double precision)`;

/** Seconds of a PostgreSQL interval given as text by postgres.js / PGlite ('01:02:03.5', '1 day 02:00:00'). */
export function intervalMs(v: unknown): number {
  if (v === null || v === undefined) return 0;
  const s = String(v);
  let ms = 0;
  const days = /(-?\d+) days?/.exec(s);
  if (days) ms += Number(days[1]) * 86_400_000;
  const hms = /(-)?(\d+):(\d{2}):(\d{2}(?:\.\d+)?)/.exec(s);
  if (hms) ms += (hms[1] ? -1 : 1) * (Number(hms[2]) * 3_600_000 + Number(hms[3]) * 60_000 + Math.round(Number(hms[4]) * 1000));
  return ms;
}
