import { z } from 'zod';
import { AGE_RANGES, EVENT_TYPES, GENDERS, MAX_EVENT_VALUE } from '../../schema/engagement.js';
import { platformNameSchema } from '../../schema/platforms.js';

// What callers may hand in, and what they get back. The schema is the rule; validate.ts holds a fast
// check that must never accept more than it.

/** Earliest event time accepted. Older is a bad clock or a unit mistake (seconds read as ms). */
export const MIN_EVENT_TIMESTAMP = new Date('1970-01-01T00:00:00Z');
/** How far ahead of now an event may be dated. Platforms' clocks drift; a decade ahead is a bug. */
export const MAX_EVENT_FUTURE_MS = 10 * 366 * 24 * 3600 * 1000;
/** Largest `eventMetadata` accepted, serialized: a long YouTube comment (10,000 characters) fits. */
export const MAX_EVENT_METADATA_BYTES = 65_536;
export const INT4_MAX = 2_147_483_647;

// ES2024 string methods (Node 20 has them; the compiler's lib is ES2023).
export const isWellFormed = (s: string): boolean => (s as unknown as { isWellFormed(): boolean }).isWellFormed();
export const toWellFormed = (s: string): string => (s as unknown as { toWellFormed(): string }).toWellFormed();

/**
 * In JSON.stringify's output, a NUL or a lone surrogate is an escape `\u0000` / `\udXXX` after an even
 * number of backslashes; after an odd number it is the text "\u0000" someone typed, which is fine.
 */
export const JSON_NUL = /(?<!\\)(?:\\\\)*\\u0000/;
export const JSON_LONE_SURROGATE = /(?<!\\)(?:\\\\)*\\ud[89a-f][0-9a-f]{2}/i;

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
  } else if (JSON_NUL.test(text)) {
    ctx.addIssue({ code: 'custom', message: NUL_MESSAGE });
  } else if (JSON_LONE_SURROGATE.test(text)) {
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
    platform: platformNameSchema.optional(),
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
