import { InvalidInputError } from '../_input.js';

// Local wall-clock times in an IANA zone, to and from instants, with the zone's own rules (Intl, the
// tz database Node ships). Scheduling stores instants only: a local time without its zone is what
// shifts posts by an hour across a DST change.

/** Which instant an ambiguous local time (a fall-back hour happens twice) means. */
export type Fold = 'earlier' | 'later';

/** What a local time is in a zone: one instant, none (skipped by a spring-forward), or two (fall-back). */
export type LocalTimeResolution =
  | { kind: 'unique'; instants: [Date] }
  | { kind: 'gap'; instants: []; offsetBefore: string; offsetAfter: string }
  | { kind: 'ambiguous'; instants: [Date, Date] };

const LOCAL_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?$/;
const DAY_MS = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The formatter of `timeZone`, or undefined when Intl does not know the zone. */
function formatterOf(timeZone: string): Intl.DateTimeFormat | undefined {
  let f = formatters.get(timeZone);
  if (f) return f;
  try {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
  } catch {
    return undefined;
  }
  formatters.set(timeZone, f);
  return f;
}

/**
 * True when `timeZone` is an IANA zone name (`Europe/Berlin`, `Asia/Kathmandu`, `UTC`). Fixed offsets
 * (`+01:00`) are refused: an offset has no DST rules, which is exactly what local scheduling needs.
 */
export function isTimeZone(timeZone: string): boolean {
  return /^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(timeZone) && formatterOf(timeZone) !== undefined;
}

function requireZone(fn: string, field: string, timeZone: string): Intl.DateTimeFormat {
  const f = isTimeZone(timeZone) ? formatterOf(timeZone) : undefined;
  if (!f) throw new InvalidInputError(fn, [{ field, reason: `"${timeZone}" is not an IANA time zone (e.g. Europe/Berlin)` }]);
  return f;
}

/** The wall clock of instant `t` in the formatter's zone, as if it were UTC (milliseconds). */
function wallClock(f: Intl.DateTimeFormat, t: number): number {
  const parts: Record<string, number> = {};
  for (const p of f.formatToParts(new Date(t))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const ms = ((t % 1000) + 1000) % 1000;
  return Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!) + ms;
}

const offsetText = (ms: number) => {
  const m = Math.round(ms / 60_000);
  const a = Math.abs(m);
  return `${m < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
};

/** `2026-12-01T07:00` (seconds and milliseconds optional) as milliseconds of the same wall clock in UTC. */
function parseLocal(fn: string, field: string, local: string): number {
  const m = LOCAL_TIME.exec(local);
  if (!m) {
    throw new InvalidInputError(fn, [{ field, reason: `"${local}" is not a local date and time YYYY-MM-DDTHH:mm[:ss] (no offset: the zone gives it)` }]);
  }
  const [y, mo, d, h, mi, s = '0', frac = '0'] = m.slice(1).map((v) => v ?? undefined) as string[];
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), Number(frac.padEnd(3, '0')));
  const back = new Date(ms);
  // Date.UTC rolls 2026-02-30 over to March: refuse instead.
  if (back.getUTCMonth() !== Number(mo) - 1 || back.getUTCDate() !== Number(d) || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) {
    throw new InvalidInputError(fn, [{ field, reason: `"${local}" is not a valid date and time` }]);
  }
  return ms;
}

/** Every instant whose wall clock in `timeZone` reads `local`: none, one or two. */
export function resolveLocalTime(local: string, timeZone: string, fn = 'resolveLocalTime'): LocalTimeResolution {
  const f = requireZone(fn, 'timeZone', timeZone);
  const wall = parseLocal(fn, 'at', local);
  // A zone changes its offset at most once within a day either side of any instant (true of every
  // zone in the tz database), so the offsets a day before and after are every offset `wall` can have.
  const offsets = new Set([wall - DAY_MS, wall, wall + DAY_MS].map((t) => wallClock(f, t) - t));
  const instants = [...new Set([...offsets].map((off) => wall - off).filter((t) => wallClock(f, t) === wall))].sort((a, b) => a - b);
  if (instants.length === 1) return { kind: 'unique', instants: [new Date(instants[0]!)] };
  if (instants.length >= 2) return { kind: 'ambiguous', instants: [new Date(instants[0]!), new Date(instants[instants.length - 1]!)] };
  const before = wallClock(f, wall - DAY_MS) - (wall - DAY_MS);
  const after = wallClock(f, wall + DAY_MS) - (wall + DAY_MS);
  return { kind: 'gap', instants: [], offsetBefore: offsetText(before), offsetAfter: offsetText(after) };
}

/**
 * The instant that `local` (`YYYY-MM-DDTHH:mm[:ss]`, no offset) names in the IANA zone `timeZone`.
 * A time the zone skips (spring forward) is refused with an InvalidInputError naming `at`; a time it
 * repeats (fall back) is the earlier instant unless `fold: 'later'`.
 */
export function localTimeToInstant(local: string, timeZone: string, options: { fold?: Fold; fn?: string } = {}): Date {
  const fn = options.fn ?? 'localTimeToInstant';
  const r = resolveLocalTime(local, timeZone, fn);
  if (r.kind === 'gap') {
    throw new InvalidInputError(fn, [
      {
        field: 'at',
        reason: `${local} does not exist in ${timeZone}: the clocks skip it (UTC offset ${r.offsetBefore} to ${r.offsetAfter}); pick a time outside the change`,
      },
    ]);
  }
  if (r.kind === 'ambiguous') return options.fold === 'later' ? r.instants[1] : r.instants[0];
  return r.instants[0];
}

/** The wall clock of `instant` in `timeZone`, as `YYYY-MM-DDTHH:mm:ss`. */
export function instantToLocalTime(instant: Date, timeZone: string, fn = 'instantToLocalTime'): string {
  const f = requireZone(fn, 'timeZone', timeZone);
  return new Date(wallClock(f, instant.getTime())).toISOString().slice(0, 19);
}

/** The UTC offset of `timeZone` at `instant`, e.g. `+05:45`. */
export function utcOffsetAt(instant: Date, timeZone: string, fn = 'utcOffsetAt'): string {
  const f = requireZone(fn, 'timeZone', timeZone);
  const t = instant.getTime();
  return offsetText(wallClock(f, t) - t);
}
