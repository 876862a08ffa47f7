import { z } from 'zod';
import { AGE_RANGES, EVENT_TYPES, GENDERS, MAX_EVENT_VALUE } from '../../schema/engagement.js';
import { PLATFORM_NAME_PATTERN } from '../../schema/platforms.js';
import {
  engagementEventInputSchema,
  INT4_MAX,
  isWellFormed,
  MAX_EVENT_FUTURE_MS,
  MAX_EVENT_METADATA_BYTES,
  MIN_EVENT_TIMESTAMP,
  type EngagementRejection,
  JSON_LONE_SURROGATE,
  JSON_NUL,
} from './input.js';

// Validation is most of Node's time per event at 100,000 events/s: `fastAccept` passes the plainly
// valid rows without zod, and zod decides (and explains) the rest.

function describeIssues(zodError: z.ZodError): { field: string; error: string } {
  const [first, ...rest] = zodError.issues;
  if (!first) return { field: '', error: 'invalid' };
  const fieldOf = (i: z.core.$ZodIssue) => {
    if (i.code === 'unrecognized_keys') return i.keys.join(', ');
    return i.path.map(String).join('.');
  };
  const messageOf = (i: z.core.$ZodIssue) => (i.code === 'unrecognized_keys' ? 'unknown field' : i.message);
  let error = messageOf(first);
  if (rest.length > 0) error += `; also ${rest.map((i) => `${fieldOf(i) || '(row)'}: ${messageOf(i)}`).join('; ')}`;
  return { field: fieldOf(first) || '(row)', error };
}

export interface PostRef {
  postId: string;
  platform: string;
  /** The post's workspace, written onto each of its events. */
  workspaceId: string;
}

/**
 * The valid rows of a batch. Rows are kept as the objects they came in (or as zod's normalised
 * output), plus their position and resolved post: nothing per row outlives validation but references,
 * and the text sent to PostgreSQL is built chunk by chunk and dropped with the chunk. A million-row
 * batch then costs the garbage collector little beyond the caller's own objects.
 */
export interface Batch {
  /** The input object (already canonical when the fast check passed it) or zod's output. */
  row: Record<string, unknown>[];
  index: number[];
  post: PostRef[];
}

const INPUT_KEYS = new Set(Object.keys(engagementEventInputSchema.shape));
const EVENT_TYPE_SET = new Set<string>(EVENT_TYPES);
const AGE_RANGE_SET = new Set<string>(AGE_RANGES);
const GENDER_SET = new Set<string>(GENDERS);
const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const PLATFORM = PLATFORM_NAME_PATTERN;
const ISO_UTC = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?Z$/;
const COUNTRY = /^[A-Z]{2}$/;

const plainText = (v: unknown, min: number, max: number): v is string =>
  typeof v === 'string' && v.length >= min && v.length <= max && !v.includes('\u0000') && isWellFormed(v);
const optionalText = (v: unknown, max: number) => v === undefined || v === null || plainText(v, 0, max);
const intIn = (v: unknown, max: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max;

/** Whether `v` is a valid event time in range, in a form `isoOf` reads (Date, or ISO text ending in Z). */
function fastTime(v: unknown): boolean {
  let ms: number;
  if (v instanceof Date) ms = v.getTime();
  else if (typeof v === 'string') {
    const m = ISO_UTC.exec(v);
    if (!m) return false;
    const d = new Date(v);
    ms = d.getTime();
    // Reject what Date would roll over (Feb 30, 24:00): the components must survive the round trip.
    if (
      Number.isNaN(ms) ||
      d.getUTCFullYear() !== Number(m[1]) ||
      d.getUTCMonth() + 1 !== Number(m[2]) ||
      d.getUTCDate() !== Number(m[3]) ||
      d.getUTCHours() !== Number(m[4]) ||
      d.getUTCMinutes() !== Number(m[5]) ||
      d.getUTCSeconds() !== Number(m[6])
    ) {
      return false;
    }
  } else return false;
  return ms >= MIN_EVENT_TIMESTAMP.getTime() && ms <= Date.now() + MAX_EVENT_FUTURE_MS;
}

/** A validated event time in milliseconds since 1970 (what `isoOf` prints). */
export function msOf(v: unknown): number {
  return v instanceof Date ? v.getTime() : Date.parse(v as string);
}

/** Canonical text of a validated event time: ISO 8601, UTC, milliseconds (as `Date.toISOString`). */
export function isoOf(v: unknown): string {
  if (v instanceof Date) return v.toISOString();
  const s = v as string;
  // Already canonical (YYYY-MM-DDTHH:MM:SS.mmmZ): no need to go through a Date.
  return s.length === 24 && s.charCodeAt(19) === 46 ? s : new Date(s).toISOString();
}

/**
 * The hot path of validation: true for a row in canonical form (every rule of
 * `engagementEventInputSchema` plainly met, country code already upper case, time a Date or `...Z`
 * string); anything else returns false and zod decides and explains. Tests check that this never
 * accepts a row the schema refuses.
 */
function fastAccept(raw: unknown): raw is Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return false;
  const proto = Object.getPrototypeOf(raw);
  if (proto !== Object.prototype && proto !== null) return false;
  const e = raw as Record<string, unknown>;
  for (const k in e) if (!INPUT_KEYS.has(k)) return false;
  const { postId, platform, platformPostId, eventType, platformEventId, platformUserId, platformUsername } = e;
  const { userFollowerCount, eventValue, countryCode, ageRange, gender, eventMetadata } = e;

  if (postId !== undefined && !(typeof postId === 'string' && GUID.test(postId))) return false;
  if (platform !== undefined && !(typeof platform === 'string' && platform.length <= 50 && PLATFORM.test(platform))) return false;
  if (platformPostId !== undefined && !plainText(platformPostId, 1, 100)) return false;
  if ((postId === undefined) === (platformPostId === undefined)) return false;
  if (platformPostId !== undefined && platform === undefined) return false;
  if (typeof eventType !== 'string' || !EVENT_TYPE_SET.has(eventType)) return false;
  if (!fastTime(e.eventTimestamp)) return false;
  if (platformEventId !== undefined && platformEventId !== null && !plainText(platformEventId, 1, 500)) return false;
  if (!optionalText(platformUserId, 100) || !optionalText(platformUsername, 100)) return false;
  if (userFollowerCount !== undefined && userFollowerCount !== null && !intIn(userFollowerCount, INT4_MAX)) return false;
  if (eventValue !== undefined && !intIn(eventValue, MAX_EVENT_VALUE)) return false;
  if (countryCode !== undefined && countryCode !== null && !(typeof countryCode === 'string' && COUNTRY.test(countryCode))) return false;
  if (ageRange !== undefined && ageRange !== null && !(typeof ageRange === 'string' && AGE_RANGE_SET.has(ageRange))) return false;
  if (gender !== undefined && gender !== null && !(typeof gender === 'string' && GENDER_SET.has(gender))) return false;
  if (eventMetadata !== undefined && eventMetadata !== null) {
    if (typeof eventMetadata !== 'object' || Object.getPrototypeOf(eventMetadata) !== Object.prototype) return false;
    let json: string;
    try {
      json = JSON.stringify(eventMetadata);
    } catch {
      return false;
    }
    // Under a quarter of the limit in UTF-16 units cannot exceed it in UTF-8 bytes.
    if (json.length > MAX_EVENT_METADATA_BYTES / 4 && Buffer.byteLength(json, 'utf8') > MAX_EVENT_METADATA_BYTES) return false;
    if (JSON_NUL.test(json) || JSON_LONE_SURROGATE.test(json)) return false;
  }
  return true;
}

/** Validates events[from, to) into a batch; the invalid are added to `rejected`. */
export function validateSegment(events: readonly unknown[], from: number, to: number, rejected: EngagementRejection[]): Batch {
  // zod decides; the fast check only spares it the rows that are plainly valid (it accepts a subset of
  // what the schema accepts).
  const valid: Batch = { row: [], index: [], post: [] };
  for (let i = from; i < to; i++) {
    const raw = events[i];
    if (fastAccept(raw)) {
      valid.row.push(raw);
      valid.index.push(i);
      continue;
    }
    const parsed = engagementEventInputSchema.safeParse(raw);
    if (parsed.success) {
      valid.row.push(parsed.data as Record<string, unknown>);
      valid.index.push(i);
    } else rejected.push({ index: i, ...describeIssues(parsed.error) });
  }
  return valid;
}
