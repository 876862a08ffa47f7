import { hash } from 'node:crypto';
import { sql, type SQL } from 'drizzle-orm';
import { PgDialect, PgTransaction } from 'drizzle-orm/pg-core';
import { z } from 'zod';
import { isPostgresJs, queryRows, type Db } from '../db.js';
import { AGE_RANGES, EVENT_TYPES, GENDERS, MAX_EVENT_VALUE, type DeadLetterKind } from '../schema/engagement.js';
import { pgErrorOf } from '../pg-error.js';
import { parseEngagementWebhook, type WebhookPlatform, type WebhookRejection } from './webhooks.js';

// ---------------------------------------------------------------------------------------------
// Input

/** Earliest event time accepted. Older is a bad clock or a unit mistake (seconds read as ms). */
export const MIN_EVENT_TIMESTAMP = new Date('1970-01-01T00:00:00Z');
/** How far ahead of now an event may be dated. Platforms' clocks drift; a decade ahead is a bug. */
export const MAX_EVENT_FUTURE_MS = 10 * 366 * 24 * 3600 * 1000;
/** Largest `eventMetadata` accepted, serialized: a long YouTube comment (10,000 characters) fits. */
export const MAX_EVENT_METADATA_BYTES = 65_536;
const INT4_MAX = 2_147_483_647;

// ES2024 string methods (Node 20 has them; the compiler's lib is ES2023).
const isWellFormed = (s: string): boolean => (s as unknown as { isWellFormed(): boolean }).isWellFormed();
const toWellFormed = (s: string): string => (s as unknown as { toWellFormed(): string }).toWellFormed();

/** True when `db` is a transaction (a failed statement would abort it; one connection only). */
function isTransaction(db: Db): boolean {
  return (db as unknown) instanceof PgTransaction;
}

const NUL_MESSAGE = 'contains a NUL character (\\u0000), which PostgreSQL cannot store';

/** A string PostgreSQL `text` can hold: no NUL, no lone UTF-16 surrogate. */
const pgText = (max: number) =>
  z
    .string()
    .max(max, `at most ${max} characters`)
    .refine((s) => !s.includes('\u0000'), NUL_MESSAGE)
    .refine((s) => isWellFormed(s), 'contains a lone UTF-16 surrogate (not valid Unicode)');

const eventTimestamp = z
  .union([z.date(), z.iso.datetime({ offset: true })], {
    error: 'expected a Date or an ISO 8601 time with a zone, e.g. 2026-11-24T10:00:00Z',
  })
  .transform((v) => (typeof v === 'string' ? new Date(v) : v))
  .refine((d) => !Number.isNaN(d.getTime()), 'not a valid date')
  .refine((d) => d.getTime() >= MIN_EVENT_TIMESTAMP.getTime(), 'before 1970-01-01: a bad clock or seconds read as milliseconds')
  .refine((d) => d.getTime() <= Date.now() + MAX_EVENT_FUTURE_MS, 'more than 10 years in the future');

const eventMetadata = z.record(z.string(), z.unknown()).superRefine((m, ctx) => {
  let text: string | undefined;
  try {
    text = JSON.stringify(m);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `not JSON-serializable: ${(err as Error).message}` });
    return;
  }
  if (Buffer.byteLength(text, 'utf8') > MAX_EVENT_METADATA_BYTES) {
    ctx.addIssue({ code: 'custom', message: `larger than ${MAX_EVENT_METADATA_BYTES} bytes as JSON` });
  } else if (text.includes('\\u0000')) {
    ctx.addIssue({ code: 'custom', message: NUL_MESSAGE });
  } else if (/\\ud[89a-f][0-9a-f]{2}/i.test(text)) {
    ctx.addIssue({ code: 'custom', message: 'contains a lone UTF-16 surrogate (not valid Unicode)' });
  }
});

/**
 * One engagement event as callers and webhook parsers hand it in. The post is named either by
 * `postId` (our uuid) or by `platform` + `platformPostId`; `platform` may accompany `postId` as a check.
 */
export const engagementEventInputSchema = z
  .strictObject({
    postId: z.guid('not a uuid').optional(),
    platform: z
      .string()
      .max(50, 'at most 50 characters')
      .regex(/^[a-z][a-z0-9_]*$/, 'a platform name: lower-case letters, digits and _')
      .optional(),
    platformPostId: pgText(100).pipe(z.string().min(1, 'must not be empty')).optional(),
    eventType: z.enum(EVENT_TYPES, { error: `expected one of ${EVENT_TYPES.join(', ')}` }),
    eventTimestamp,
    platformEventId: pgText(500).pipe(z.string().min(1, 'must not be empty')).nullish(),
    platformUserId: pgText(100).nullish(),
    platformUsername: pgText(100).nullish(),
    userFollowerCount: z
      .number('expected an integer')
      .int('expected an integer')
      .min(0, 'must not be negative')
      .max(INT4_MAX, `at most ${INT4_MAX}`)
      .nullish(),
    eventValue: z
      .number('expected an integer')
      .int('expected an integer')
      .min(0, 'must not be negative')
      .max(MAX_EVENT_VALUE, `at most ${MAX_EVENT_VALUE} (MAX_EVENT_VALUE)`)
      .optional(),
    countryCode: z
      .string()
      .transform((s) => s.trim().toUpperCase())
      .pipe(z.string().regex(/^[A-Z]{2}$/, 'an ISO 3166-1 alpha-2 code, e.g. US'))
      .nullish(),
    ageRange: z.enum(AGE_RANGES, { error: `expected one of ${AGE_RANGES.join(', ')}` }).nullish(),
    gender: z.enum(GENDERS, { error: `expected one of ${GENDERS.join(', ')}` }).nullish(),
    eventMetadata: eventMetadata.nullish(),
  })
  .superRefine((e, ctx) => {
    if (e.postId === undefined && e.platformPostId === undefined) {
      ctx.addIssue({ code: 'custom', path: ['postId'], message: 'name the post: postId, or platform + platformPostId' });
    } else if (e.postId !== undefined && e.platformPostId !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['platformPostId'], message: 'give postId or platformPostId, not both' });
    } else if (e.platformPostId !== undefined && e.platform === undefined) {
      ctx.addIssue({ code: 'custom', path: ['platform'], message: 'required with platformPostId' });
    }
  });

/** What callers pass (timestamps as Date or ISO string). */
export type EngagementEventInput = z.input<typeof engagementEventInputSchema>;

export interface EngagementRejection {
  /** Position of the row in the `events` array passed in. */
  index: number;
  /** The input field at fault (`eventTimestamp`, `postId`, `eventMetadata.text`, ...). */
  field: string;
  error: string;
}

export interface RecordEngagementResult {
  /** Rows actually stored by this call. */
  inserted: number;
  /** Valid rows already stored (by an earlier delivery, another writer, or earlier in this batch). */
  duplicates: number;
  rejected: EngagementRejection[];
}

export interface RecordEngagementOptions {
  /** Label kept on dead letters, e.g. 'webhook:instagram' or 'backfill'. Default 'api'. */
  source?: string;
  /** Rows per INSERT statement. Default 5,000 (measured best between 2,000 and 25,000). */
  chunkSize?: number;
  /**
   * INSERT statements in flight at once, each on its own pooled connection (postgres.js only; PGlite
   * and transactions run one at a time). Default 2.
   */
  concurrency?: number;
}

// ---------------------------------------------------------------------------------------------
// Idempotency keys

/**
 * First 64 bits of SHA-256 of `source` (UTF-8) as a signed bigint: equal to SQL
 * `engagement_event_key(source)` (migration 0002), so rows written from SQL get the same keys.
 */
export function eventKey(source: string): bigint {
  return BigInt(eventKeyText(source));
}

/**
 * `eventKey(source)` as decimal text, the way the insert sends it (the one implementation of the key):
 * one-shot hash (3x faster than createHash), and the signed 64-bit decimal built from two 32-bit
 * halves in plain numbers, as BigInt parsing and printing cost more than the hash itself. A test
 * checks it against SHA-256 read as a signed 64-bit integer, and against SQL.
 */
export function eventKeyText(source: string): string {
  const hex = hash('sha256', source, 'hex');
  let hi = parseInt(hex.slice(0, 8), 16);
  let lo = parseInt(hex.slice(8, 16), 16);
  let sign = '';
  if (hi >= 0x80000000) {
    // Two's complement: the magnitude is 2^64 - (hi:lo).
    sign = '-';
    lo = 0x100000000 - lo;
    hi = 0xffffffff - hi + (lo === 0x100000000 ? 1 : 0);
    if (lo === 0x100000000) lo = 0;
  }
  // hi * 2^32 + lo = hi * 4294 * 10^6 + (hi * 967296 + lo), each part exact in a double.
  const low = hi * 967_296 + lo;
  const high = hi * 4_294 + Math.floor(low / 1_000_000);
  const rest = low % 1_000_000;
  return high === 0 ? `${sign}${rest}` : `${sign}${high}${String(rest).padStart(6, '0')}`;
}

/**
 * The string an event's key is the hash of. With the platform's own id of the comment/like/...:
 * `<platform>:<platformEventId>` (platform ids are unique per platform, so the same event arriving
 * by webhook and by backfill gets the same key). Without one:
 * `<platform>:<post uuid>:<eventType>:<platformUserId or ''>:<eventTimestamp as ISO 8601 UTC, ms>`.
 */
export function eventKeySource(e: {
  platform: string;
  postId: string;
  eventType: string;
  eventTimestamp: Date;
  platformEventId?: string | null;
  platformUserId?: string | null;
}): string {
  if (e.platformEventId) return `${e.platform}:${e.platformEventId}`;
  return `${e.platform}:${e.postId}:${e.eventType}:${e.platformUserId ?? ''}:${e.eventTimestamp.toISOString()}`;
}

// ---------------------------------------------------------------------------------------------
// Helpers

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

/** JSON text for a dead letter's payload: whatever the caller passed, made storable in jsonb. */
function payloadJson(raw: unknown): string {
  const storable = (_key: string, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    // jsonb cannot hold NUL or lone surrogates; U+FFFD keeps the rest of the text readable.
    if (typeof v === 'string') return toWellFormed(v).replaceAll('\u0000', '\uFFFD');
    return v;
  };
  try {
    return JSON.stringify(raw === undefined ? null : raw, storable) ?? 'null';
  } catch (err) {
    return JSON.stringify({ unserializable: String(raw), error: (err as Error).message });
  }
}

const NEEDS_ESCAPE = /["\\]/g;

/** Quoted element of a PostgreSQL array literal, or NULL. */
function quoted(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  const t = v as string;
  return t.includes('"') || t.includes('\\') ? `"${t.replace(NEEDS_ESCAPE, '\\$&')}"` : `"${t}"`;
}

/** A PostgreSQL array literal of text elements (NULL for null); cast in SQL to the column's array type. */
function textArray(values: readonly (string | null | undefined)[]): string {
  return `{${values.map(quoted).join(',')}}`;
}

/** Same, for values that never need quoting (uuids, ISO times, integers). */
function plainArray(values: readonly (string | number | bigint | null | undefined)[]): string {
  const parts = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    parts[i] = v === null || v === undefined ? 'NULL' : String(v);
  }
  return `{${parts.join(',')}}`;
}

/**
 * The valid rows of a batch. Rows are kept as the objects they came in (or as zod's normalised
 * output), plus their position and resolved post: nothing per row outlives validation but references,
 * and the text sent to PostgreSQL is built chunk by chunk and dropped with the chunk. A million-row
 * batch then costs the garbage collector little beyond the caller's own objects.
 */
interface Batch {
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
const PLATFORM = /^[a-z][a-z0-9_]*$/;
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
function msOf(v: unknown): number {
  return v instanceof Date ? v.getTime() : Date.parse(v as string);
}

/** Canonical text of a validated event time: ISO 8601, UTC, milliseconds (as `Date.toISOString`). */
function isoOf(v: unknown): string {
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
    if (json.includes('\\u0000') || /\\ud[89a-f]/i.test(json)) return false;
  }
  return true;
}

const DATA_OR_CONSTRAINT_ERROR = /^(22|23)/;

const COLUMN_TO_FIELD: Record<string, string> = {
  post_id: 'postId',
  event_timestamp: 'eventTimestamp',
  event_key: 'platformEventId',
  event_value: 'eventValue',
  user_follower_count: 'userFollowerCount',
  event_type: 'eventType',
  platform_user_id: 'platformUserId',
  platform_username: 'platformUsername',
  country_code: 'countryCode',
  age_range: 'ageRange',
  gender: 'gender',
  event_metadata: 'eventMetadata',
};

function fieldOfDbError(e: { column_name?: string; constraint_name?: string; message?: string }): string {
  if (e.column_name && COLUMN_TO_FIELD[e.column_name]) return COLUMN_TO_FIELD[e.column_name]!;
  const haystack = `${e.constraint_name ?? ''} ${e.message ?? ''}`;
  for (const [column, field] of Object.entries(COLUMN_TO_FIELD)) if (haystack.includes(column)) return field;
  return '(row)';
}

/**
 * One INSERT of the rows at positions `at` of the batch: 12 array parameters whatever the row count.
 * Keys and literals are computed here, per chunk, so they die young.
 */
/** The 12 array literals of one chunk, in insert column order. */
type ChunkLiterals = readonly string[];

/** Rows built between yields to the event loop (a few milliseconds of work). */
const ROWS_PER_SLICE = 1_000;

/**
 * The array literals of the rows at positions `at`. Keys and literals are computed here, per chunk,
 * so they die young. With `yieldEvery`, the work pauses for the event loop every that many rows, so
 * a statement already sent keeps flowing to the server and replies are read while the next chunk is
 * prepared.
 */
async function chunkLiterals(b: Batch, at: readonly number[], yieldEvery = Infinity): Promise<ChunkLiterals> {
  const pause = () => new Promise<void>((resolve) => setImmediate(resolve));
  // Let a statement just handed to the driver go out first.
  if (yieldEvery !== Infinity) await pause();
  const n = at.length;
  const cols = Array.from({ length: 12 }, () => new Array<string>(n));
  const [post, ts, key, value, followers, type, userId, username, country, age, gender, metadata] = cols as [
    string[], string[], string[], string[], string[], string[], string[], string[], string[], string[], string[], string[],
  ];
  for (let i = 0; i < n; i++) {
    if (i > 0 && i % yieldEvery === 0) await pause();
    const j = at[i]!;
    const r = b.row[j]!;
    const p = b.post[j]!;
    const eventId = r.platformEventId as string | null | undefined;
    // eventKeySource(), inlined on the hot path.
    key[i] = eventKeyText(
      eventId
        ? `${p.platform}:${eventId}`
        : `${p.platform}:${p.postId}:${r.eventType as string}:${(r.platformUserId as string | null | undefined) ?? ''}:${isoOf(r.eventTimestamp)}`,
    );
    post[i] = p.postId;
    // Milliseconds, not ISO text: cheaper to print here and to read in PostgreSQL (exact either way).
    ts[i] = String(msOf(r.eventTimestamp));
    value[i] = r.eventValue === undefined ? '1' : String(r.eventValue);
    followers[i] = r.userFollowerCount === undefined || r.userFollowerCount === null ? 'NULL' : String(r.userFollowerCount);
    type[i] = r.eventType as string;
    userId[i] = quoted(r.platformUserId);
    username[i] = quoted(r.platformUsername);
    // Validated against fixed vocabularies: no character that needs quoting in an array literal.
    country[i] = r.countryCode === undefined || r.countryCode === null ? 'NULL' : (r.countryCode as string);
    age[i] = r.ageRange === undefined || r.ageRange === null ? 'NULL' : (r.ageRange as string);
    gender[i] = r.gender === undefined || r.gender === null ? 'NULL' : (r.gender as string);
    metadata[i] = r.eventMetadata === undefined || r.eventMetadata === null ? 'NULL' : quoted(JSON.stringify(r.eventMetadata));
  }
  return cols.map((parts) => `{${parts.join(',')}}`);
}

/** One INSERT of a chunk: 12 array parameters whatever the row count. */
function insertStatement(lits: ChunkLiterals, skipDuplicates: boolean): SQL {
  const [post, ts, key, value, followers, type, userId, username, country, age, gender, metadata] = lits;
  return sql`
      INSERT INTO engagement_events (post_id, event_timestamp, event_key, event_value, user_follower_count, event_type,
        platform_user_id, platform_username, country_code, age_range, gender, event_metadata)
      SELECT u.post_id, timestamptz 'epoch' + u.at_ms * interval '1 millisecond', u.event_key, u.event_value,
             u.user_follower_count, u.event_type, u.platform_user_id, u.platform_username, u.country_code,
             u.age_range, u.gender, u.event_metadata
      FROM unnest(
        ${post}::text::uuid[],
        ${ts}::text::int8[],
        ${key}::text::int8[],
        ${value}::text::int4[],
        ${followers}::text::int4[],
        ${type}::text::varchar[],
        ${userId}::text::varchar[],
        ${username}::text::varchar[],
        ${country}::text::bpchar[],
        ${age}::text::varchar[],
        ${gender}::text::varchar[],
        ${metadata}::text::jsonb[]
      ) AS u(post_id, at_ms, event_key, event_value, user_follower_count, event_type,
             platform_user_id, platform_username, country_code, age_range, gender, event_metadata)
      -- The primary key's order: concurrent writers take index locks in one order (no deadlocks),
      -- and the btree is filled page by page.
      ORDER BY 2, 3
      ${skipDuplicates ? sql`ON CONFLICT DO NOTHING` : sql``}`;
}

/**
 * How a call inserts. Plain INSERT first: ON CONFLICT DO NOTHING probes the primary key for every row
 * before inserting it (about a sixth of the server's time per row, measured with perf), and most
 * batches hold no stored event. The first unique violation (a redelivery, a row twice in the batch, a
 * concurrent writer) switches the whole call to ON CONFLICT DO NOTHING; the failed statement stored
 * nothing and is run again that way. A batch with duplicates pays at most one failed statement.
 */
interface InsertMode {
  skipDuplicates: boolean;
}

const PG_DIALECT = new PgDialect();

/** Rows a command affected: postgres.js reports `count`, PGlite `affectedRows`. */
function rowCount(result: unknown): number {
  const r = result as { count?: number; affectedRows?: number };
  return Number(r.count ?? r.affectedRows ?? 0);
}

/**
 * Inserts one chunk; returns the rows stored. A chunk the database refuses for a row's data (a rule
 * added in SQL that the TypeScript checks do not know yet) is split until the bad rows are alone,
 * so good rows are never lost with them.
 */
async function insertChunk(
  db: Db,
  c: Batch,
  at: readonly number[],
  rejected: EngagementRejection[],
  mode: InsertMode,
  prepared?: ChunkLiterals,
): Promise<number> {
  const inTransaction = isTransaction(db);
  const lits = prepared ?? (await chunkLiterals(c, at));
  for (let attempt = 0; ; attempt++) {
    const skipDuplicates = mode.skipDuplicates;
    try {
      const statement = insertStatement(lits, skipDuplicates);
      const result = inTransaction
        ? // Inside a caller's transaction a failed statement would abort it: isolate it in a savepoint.
          await db.transaction((tx) => tx.execute(statement))
        : isPostgresJs(db)
          ? // A named prepared statement: the server plans the insert once per connection instead of at
            // every chunk (about 8 % faster), unless the client was made with prepare: false (e.g.
            // behind a transaction pooler that cannot keep prepared statements).
            await (() => {
              const q = PG_DIALECT.sqlToQuery(statement);
              return db.$client.unsafe(q.sql, q.params as never[], { prepare: db.$client.options.prepare !== false });
            })()
          : await db.execute(statement);
      return rowCount(result);
    } catch (err) {
      const e = pgErrorOf(err);
      if (e.code === '40P01' && attempt < 3) continue; // deadlock victim: ordered inserts make this rare
      if (e.code === '23505' && !skipDuplicates) {
        mode.skipDuplicates = true;
        continue;
      }
      if (!e.code || !DATA_OR_CONSTRAINT_ERROR.test(e.code)) throw err;
      if (at.length === 1) {
        let field = fieldOfDbError(e);
        if (field === '(row)' && e.constraint_name) {
          // A CHECK names no column in its error: ask the catalog which column it constrains.
          const [col] = await queryRows<{ column: string }>(
            db,
            sql`SELECT a.attname::text AS column FROM pg_constraint k
                JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = ANY (k.conkey)
                WHERE k.conname = ${e.constraint_name} ORDER BY a.attnum LIMIT 1`,
          );
          if (col && COLUMN_TO_FIELD[col.column]) field = COLUMN_TO_FIELD[col.column]!;
        }
        rejected.push({ index: c.index[at[0]!]!, field, error: `refused by the database: ${e.message ?? String(err)}` });
        return 0;
      }
      const half = at.length >> 1;
      return (await insertChunk(db, c, at.slice(0, half), rejected, mode)) + (await insertChunk(db, c, at.slice(half), rejected, mode));
    }
  }
}

interface PostRef {
  postId: string;
  platform: string;
}

/** Every post the batch names, in one query: by uuid, and by (platform, platform_post_id). */
async function resolvePosts(
  db: Db,
  b: Batch,
): Promise<{ byId: Map<string, PostRef>; byPlatform: Map<string, PostRef>; platforms: Set<string> }> {
  const ids = new Set<string>();
  const pairs = new Map<string, [string, string]>();
  const names = new Set<string>();
  for (const r of b.row) {
    const postId = r.postId as string | undefined;
    const platform = r.platform as string | undefined;
    const platformPostId = r.platformPostId as string | undefined;
    // PostgreSQL reads uuids in either case; the lookup below tries the text as given first.
    if (postId !== undefined) ids.add(postId);
    if (platform !== undefined) names.add(platform);
    if (platformPostId !== undefined && platform !== undefined) {
      const k = `${platform}\u0000${platformPostId}`;
      if (!pairs.has(k)) pairs.set(k, [platform, platformPostId]);
    }
  }
  const byId = new Map<string, PostRef>();
  const byPlatform = new Map<string, PostRef>();
  const platforms = new Set<string>();
  if (ids.size === 0 && pairs.size === 0) return { byId, byPlatform, platforms };
  const pairList = [...pairs.values()];
  const rows = await queryRows<{ via: string; platform: string; platform_post_id: string | null; post_id: string | null }>(
    db,
    sql`
      SELECT 'id' AS via, pl.name AS platform, NULL::text AS platform_post_id, p.id::text AS post_id
      -- A join, not \`p.id = ANY(text::uuid[])\`: that cast is not folded, so the array would be
      -- parsed again for every row scanned (2.5 s a call with 2,000 posts).
      FROM unnest(${plainArray([...ids])}::text::uuid[]) AS want(id)
      JOIN social_posts p ON p.id = want.id
      JOIN social_platforms pl ON pl.id = p.platform_id
      UNION ALL
      SELECT 'pair', r.platform, r.platform_post_id, p.id::text
      FROM unnest(${textArray(pairList.map((x) => x[0]))}::text::text[], ${textArray(pairList.map((x) => x[1]))}::text::text[])
        AS r(platform, platform_post_id)
      JOIN social_platforms pl ON pl.name = r.platform
      JOIN social_posts p ON p.platform_id = pl.id AND p.platform_post_id = r.platform_post_id
      UNION ALL
      SELECT 'platform', pl.name, NULL, NULL FROM social_platforms pl
      WHERE pl.name = ANY(${textArray([...names])}::text::text[])`,
  );
  for (const r of rows) {
    if (r.via === 'id') byId.set(r.post_id!, { postId: r.post_id!, platform: r.platform });
    else if (r.via === 'pair') byPlatform.set(`${r.platform}\u0000${r.platform_post_id}`, { postId: r.post_id!, platform: r.platform });
    else platforms.add(r.platform);
  }
  return { byId, byPlatform, platforms };
}

interface DeadLetter {
  source: string;
  platform: string | null;
  kind: DeadLetterKind;
  index: number;
  field: string;
  reason: string;
  payloadJson: string;
}

/** Writes dead letters, a few thousand per statement. */
async function writeDeadLetters(db: Db, letters: DeadLetter[]): Promise<void> {
  for (let start = 0; start < letters.length; start += 5_000) {
    const parts = letters.slice(start, start + 5_000).map(
      (l) =>
        `{"source":${JSON.stringify(l.source.slice(0, 100))},"platform":${JSON.stringify(l.platform?.slice(0, 50) ?? null)},` +
        `"kind":${JSON.stringify(l.kind)},"batch_index":${l.index},"field":${JSON.stringify(l.field.slice(0, 200))},` +
        `"reason":${JSON.stringify(l.reason.replaceAll('\u0000', '\uFFFD'))},"payload":${l.payloadJson}}`,
    );
    await db.execute(sql`
      INSERT INTO engagement_dead_letters (source, platform, kind, batch_index, field, reason, payload)
      SELECT r.source, r.platform, r.kind, r.batch_index, r.field, r.reason, r.payload
      FROM jsonb_to_recordset(${`[${parts.join(',')}]`}::text::jsonb)
        AS r(source varchar, platform varchar, kind varchar, batch_index int, field varchar, reason text, payload jsonb)`);
  }
}

// ---------------------------------------------------------------------------------------------
// Ingestion

interface IngestOptions extends RecordEngagementOptions {
  deadLetter: boolean;
}

/** Validates events[from, to) into a batch; the invalid are added to `rejected`. */
function validateSegment(events: readonly unknown[], from: number, to: number, rejected: EngagementRejection[]): Batch {
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

/**
 * Resolves the posts of a batch (there is no foreign key to check them for us): fills `valid.post` and
 * returns the positions of the rows whose post exists; the others are added to `rejected`.
 */
async function resolveSegment(db: Db, valid: Batch, rejected: EngagementRejection[]): Promise<number[]> {
  const { byId, byPlatform, platforms } = await resolvePosts(db, valid);
  const keep: number[] = [];
  let lastRef = '';
  let lastPost: PostRef | undefined;
  for (let j = 0; j < valid.row.length; j++) {
    const r = valid.row[j]!;
    const index = valid.index[j]!;
    const postId = r.postId as string | undefined;
    const platform = r.platform as string | undefined;
    let post: PostRef | undefined;
    if (postId !== undefined) {
      post = byId.get(postId) ?? byId.get(postId.toLowerCase());
      if (!post) {
        rejected.push({ index, field: 'postId', error: `no post with id ${postId}` });
        continue;
      }
      if (platform !== undefined && platform !== post.platform) {
        rejected.push({ index, field: 'platform', error: `post ${postId} is on ${post.platform}, not ${platform}` });
        continue;
      }
    } else {
      const ref = `${platform}\u0000${r.platformPostId as string}`;
      // Batches come grouped by post more often than not: skip the map when the post repeats.
      post = ref === lastRef ? lastPost : byPlatform.get(ref);
      lastRef = ref;
      lastPost = post;
      if (!post) {
        if (!platforms.has(platform!)) rejected.push({ index, field: 'platform', error: `unknown platform '${platform}'` });
        else rejected.push({ index, field: 'platformPostId', error: `no ${platform} post with platform_post_id '${r.platformPostId as string}'` });
        continue;
      }
    }
    valid.post[j] = post;
    keep.push(j);
  }
  return keep;
}

interface Chunk {
  batch: Batch;
  at: number[];
}

async function ingest(db: Db, events: readonly unknown[], opts: IngestOptions): Promise<RecordEngagementResult> {
  const source = opts.source ?? 'api';
  const chunkSize = Math.max(1, Math.floor(opts.chunkSize ?? 5_000));
  const parallel = isPostgresJs(db) && !isTransaction(db) ? Math.max(1, opts.concurrency ?? 2) : 1;
  /** Refused before the insert (validation, unknown posts) and by the database (isolated rows). */
  const rejected: EngagementRejection[] = [];
  const refused: EngagementRejection[] = [];

  // 1-2. Validate rows and resolve their posts segment by segment, handing chunks to the inserting
  //      workers as each segment is ready: the server inserts the first segment while Node validates
  //      the next, instead of idling through the validation of a whole large batch.
  const segmentSize = Math.max(20_000, chunkSize * parallel * 2);
  const queue: Chunk[] = [];
  let producing = true;
  let kept = 0;
  let failed = false;
  let waiting: (() => void)[] = [];
  const wake = () => {
    const w = waiting;
    waiting = [];
    for (const resolve of w) resolve();
  };
  const produce = async () => {
    try {
      // The first segment is small, so the first statements go out after a few milliseconds.
      for (let from = 0, size = chunkSize * parallel; from < events.length && !failed; from += size, size = segmentSize) {
        const batch = validateSegment(events, from, Math.min(events.length, from + size), rejected);
        const keep = await resolveSegment(db, batch, rejected);
        kept += keep.length;
        for (let start = 0; start < keep.length; start += chunkSize) queue.push({ batch, at: keep.slice(start, start + chunkSize) });
        wake();
      }
    } finally {
      producing = false;
      wake();
    }
  };
  const take = async (): Promise<Chunk | undefined> => {
    for (;;) {
      if (failed) return undefined;
      const chunk = queue.shift();
      if (chunk || !producing) return chunk;
      await new Promise<void>((resolve) => waiting.push(resolve));
    }
  };

  // 3. Insert in chunks, a fixed 12 parameters each whatever the size. Each chunk is one statement,
  //    atomic on its own; chunks run `concurrency` at a time on separate pooled connections. Each
  //    worker prepares its next chunk while the server runs the current one (in slices, yielding to
  //    the event loop), so the server processes do not wait for Node between statements.
  const mode: InsertMode = { skipDuplicates: false };
  let inserted = 0;
  let committed = 0;
  const worker = async () => {
    let chunk = await take();
    let prepared = chunk && (await chunkLiterals(chunk.batch, chunk.at, ROWS_PER_SLICE));
    // After one chunk fails the others stop taking work: the caller retries the whole call anyway.
    while (chunk && prepared && !failed) {
      const running = insertChunk(db, chunk.batch, chunk.at, refused, mode, prepared);
      void running.catch(() => {}); // awaited below; handled at once so waiting for work cannot orphan it
      try {
        const following = await take();
        const nextPrepared = following && chunkLiterals(following.batch, following.at, ROWS_PER_SLICE);
        const n = await running;
        inserted += n;
        committed += chunk.at.length;
        chunk = following;
        prepared = nextPrepared && (await nextPrepared);
      } catch (err) {
        failed = true;
        wake();
        throw new Error(
          `recordEngagementEvents: an insert failed after ${committed} valid rows were stored ` +
            `(${inserted} new). Retrying the whole call is safe: stored rows are skipped as duplicates. ` +
            `Cause: ${(err as Error).message}`,
          { cause: err },
        );
      }
    }
  };
  // In a caller's transaction everything shares one connection, and a refused statement leaves it
  // aborted until its savepoint is rolled back: no post lookup may run in between, so the segments are
  // all prepared first.
  const inTransaction = isTransaction(db);
  if (inTransaction) await produce();
  const results = await Promise.allSettled([inTransaction ? undefined : produce(), ...Array.from({ length: parallel }, worker)]);
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) throw failure.reason;

  rejected.push(...refused);
  rejected.sort((a, b) => a.index - b.index);

  // 4. Keep what was refused, with its raw input.
  if (opts.deadLetter && rejected.length > 0) {
    await writeDeadLetters(
      db,
      rejected.map((r) => {
        const raw = events[r.index];
        const platform =
          raw && typeof raw === 'object' && typeof (raw as { platform?: unknown }).platform === 'string'
            ? ((raw as { platform: string }).platform as string)
            : null;
        return { source, platform, kind: 'event', index: r.index, field: r.field, reason: r.error, payloadJson: payloadJson(raw) };
      }),
    );
  }

  return { inserted, duplicates: kept - refused.length - inserted, rejected };
}

/**
 * Stores a batch of engagement events of any size: validated in TypeScript, posts resolved in one
 * query, inserted with `INSERT ... SELECT FROM unnest(...) ON CONFLICT DO NOTHING` in chunks.
 * Bad rows (invalid fields, unknown posts) are returned in `rejected` with the field at fault and
 * kept in `engagement_dead_letters`; they never stop the good rows. Redelivered events are counted in
 * `duplicates`, not stored twice. Does not touch analytics: the rollup turns events into analytics in bulk.
 *
 * A database failure that is not about a row's data (connection lost, disk full) throws; chunks
 * already committed stay, and calling again with the same batch is safe.
 */
export async function recordEngagementEvents(
  db: Db,
  events: readonly EngagementEventInput[],
  opts: RecordEngagementOptions = {},
): Promise<RecordEngagementResult> {
  return ingest(db, events, { ...opts, deadLetter: true });
}

// ---------------------------------------------------------------------------------------------
// Webhooks end to end

export interface IngestWebhookResult extends RecordEngagementResult {
  /** Items of the body that could not be read as engagement (also dead-lettered, kind 'webhook'). */
  parseRejected: WebhookRejection[];
  /** Items that are not engagement with a post (e.g. a plain direct message), with the reason. */
  ignored: { index: number; reason: string }[];
}

/**
 * Parses a platform's webhook body and stores its events: `rejected` indexes refer to the parsed
 * events, `parseRejected` to the body's items. Verify the signature first (`verifyWebhookSignature`).
 */
export async function ingestEngagementWebhook(
  db: Db,
  platform: WebhookPlatform,
  payload: unknown,
  opts: Omit<RecordEngagementOptions, 'source'> = {},
): Promise<IngestWebhookResult> {
  const source = `webhook:${platform}`;
  const parsed = parseEngagementWebhook(platform, payload);
  const result = await ingest(db, parsed.events, { ...opts, source, deadLetter: true });
  if (parsed.rejected.length > 0) {
    await writeDeadLetters(
      db,
      parsed.rejected.map((r) => ({
        source,
        platform,
        kind: 'webhook',
        index: r.index,
        field: r.field,
        reason: r.error,
        payloadJson: payloadJson(r.payload),
      })),
    );
  }
  return { ...result, parseRejected: parsed.rejected, ignored: parsed.ignored };
}

// ---------------------------------------------------------------------------------------------
// Dead letters

export const replayDeadLettersSchema = z.strictObject({
  /** Only these dead letters (still pending ones; replayed ones are skipped). */
  ids: z.array(z.number().int().positive()).optional(),
  /** Only dead letters of this source, e.g. 'webhook:instagram'. */
  source: z.string().min(1).max(100).optional(),
  /** At most this many, oldest first. Default 10,000. */
  limit: z.number().int().positive().max(1_000_000).optional(),
});
export type ReplayDeadLettersOptions = z.input<typeof replayDeadLettersSchema>;

export interface ReplayDeadLettersResult {
  /** Pending dead letters taken (rows locked by a concurrent replay are skipped, not waited for). */
  attempted: number;
  /** Now stored (or found already stored) and stamped `replayed_at`. */
  replayed: number;
  inserted: number;
  duplicates: number;
  /** Still refused: their field and reason are updated and `replay_attempts` counts the try. */
  stillFailing: { id: number; field: string; error: string }[];
}

/**
 * Retries pending dead letters through the same validation and insert path (e.g. after the post
 * they name was created). Runs in one transaction; the dead letters it takes are row-locked
 * (`FOR UPDATE SKIP LOCKED`), so concurrent replays never store or stamp the same row twice.
 */
export async function replayDeadLetters(db: Db, opts: ReplayDeadLettersOptions = {}): Promise<ReplayDeadLettersResult> {
  const o = replayDeadLettersSchema.parse(opts);
  return db.transaction(async (tx) => {
    const filters: SQL[] = [sql`replayed_at IS NULL`];
    if (o.ids) filters.push(sql`id = ANY(${plainArray(o.ids)}::text::bigint[])`);
    if (o.source) filters.push(sql`source = ${o.source}`);
    const letters = await queryRows<{ id: string | number; kind: DeadLetterKind; platform: string | null; payload: unknown }>(
      tx,
      sql`SELECT id, kind, platform, payload FROM engagement_dead_letters
          WHERE ${sql.join(filters, sql` AND `)}
          ORDER BY received_at, id
          LIMIT ${o.limit ?? 10_000}
          FOR UPDATE SKIP LOCKED`,
    );

    // Every dead letter becomes zero or more events; remember which letter each came from.
    const events: unknown[] = [];
    const origin: number[] = [];
    const failed = new Map<number, { field: string; error: string }>();
    const ids = letters.map((l) => Number(l.id));
    letters.forEach((l, i) => {
      const id = ids[i]!;
      if (l.kind === 'event') {
        events.push(l.payload);
        origin.push(id);
        return;
      }
      const parsed = parseEngagementWebhook((l.platform ?? '') as WebhookPlatform, l.payload);
      const first = parsed.rejected[0];
      if (first) failed.set(id, { field: first.field, error: first.error });
      else if (parsed.events.length === 0) failed.set(id, { field: '(body)', error: 'no engagement event in this body' });
      for (const e of parsed.events) {
        events.push(e);
        origin.push(id);
      }
    });

    const result = await ingest(tx, events, { deadLetter: false });
    for (const r of result.rejected) {
      const id = origin[r.index]!;
      if (!failed.has(id)) failed.set(id, { field: r.field, error: r.error });
    }

    const done = ids.filter((id) => !failed.has(id));
    const still = [...failed.entries()].map(([id, f]) => ({ id, ...f }));
    if (done.length > 0) {
      await tx.execute(sql`
        UPDATE engagement_dead_letters
        SET replayed_at = now(), last_replay_at = now(), replay_attempts = replay_attempts + 1
        WHERE id = ANY(${plainArray(done)}::text::bigint[])`);
    }
    if (still.length > 0) {
      await tx.execute(sql`
        UPDATE engagement_dead_letters d
        SET last_replay_at = now(), replay_attempts = d.replay_attempts + 1,
            field = left(f.field, 200), reason = f.reason
        FROM unnest(${plainArray(still.map((s) => s.id))}::text::bigint[],
                    ${textArray(still.map((s) => s.field))}::text::text[],
                    ${textArray(still.map((s) => s.error))}::text::text[]) AS f(id, field, reason)
        WHERE d.id = f.id`);
    }
    return {
      attempted: letters.length,
      replayed: done.length,
      inserted: result.inserted,
      duplicates: result.duplicates,
      stillFailing: still.sort((a, b) => a.id - b.id),
    };
  });
}
