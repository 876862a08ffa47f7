import { sql, type SQL } from 'drizzle-orm';
import type { z } from 'zod';
import { queryRows, type Db } from '../db.js';

/** One problem with a function's input: the field (dotted path) and why it was refused. */
export interface InputIssue {
  field: string;
  reason: string;
}

/** Thrown when a query function's parameters are invalid; `message` names every field and reason. */
export class InvalidInputError extends Error {
  readonly issues: InputIssue[];
  constructor(fn: string, issues: InputIssue[]) {
    super(`${fn}: ${issues.map((i) => `${i.field}: ${i.reason}`).join('; ')}`);
    this.name = 'InvalidInputError';
    this.issues = issues;
  }
}

/** `schema.parse(input)`, but failures become an InvalidInputError naming `fn` and each field. */
export function parseInput<S extends z.ZodType>(fn: string, schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new InvalidInputError(
    fn,
    result.error.issues.map((i) => ({
      field: i.code === 'unrecognized_keys' ? i.keys.join(', ') : i.path.map(String).join('.') || '(input)',
      reason: i.code === 'unrecognized_keys' ? 'unknown field' : i.message,
    })),
  );
}

// Drivers disagree on types: postgres.js returns int8 and numeric as strings, PGlite int8 as number
// or bigint. Every row is normalized here so both give the same JS values.

export function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint' || typeof v === 'string') return Number(v);
  throw new TypeError(`expected a number, got ${v === null ? 'null' : typeof v}`);
}

export function numOrNull(v: unknown): number | null {
  return v === null || v === undefined ? null : num(v);
}

export function toDate(v: unknown): Date {
  return v instanceof Date ? v : new Date(String(v));
}

export function toDateOrNull(v: unknown): Date | null {
  return v === null || v === undefined ? null : toDate(v);
}

// Existence checks that turn "nothing found" into an error naming the field.

export async function requirePlatform(db: Db, fn: string, name: string): Promise<void> {
  const found = await queryRows(db, sql`SELECT 1 AS one FROM social_platforms WHERE name = ${name}`);
  if (found.length === 0) throw new InvalidInputError(fn, [{ field: 'platform', reason: `no platform named "${name}"` }]);
}

export async function requirePost(db: Db, fn: string, postId: string): Promise<void> {
  const found = await queryRows(db, sql`SELECT 1 AS one FROM social_posts WHERE id = ${postId}::uuid`);
  if (found.length === 0) throw new InvalidInputError(fn, [{ field: 'postId', reason: `no post ${postId}` }]);
}

/** A text[] of bound parameters, one per value: how the catalog queries filter by schema or relation names. */
export const textArrayOfParams = (values: string[]): SQL =>
  values.length === 0 ? sql`array[]::text[]` : sql`array[${sql.join(values.map((v) => sql`${v}`), sql`, `)}]::text[]`;
