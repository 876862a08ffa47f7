import { sql, type SQL } from 'drizzle-orm';
import { timestamp } from 'drizzle-orm/pg-core';

/** `created_at` / `updated_at`; a trigger (migration 0002) keeps `updated_at` current on every UPDATE. */
export const timestamps = {
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
};

/** `column IN ('a', 'b', ...)` for a CHECK constraint over a closed vocabulary. */
export function oneOf(column: SQL | { name: string }, values: readonly string[]): SQL {
  const list = sql.join(values.map((v) => sql.raw(`'${v.replace(/'/g, "''")}'`)), sql`, `);
  return sql`${column} IN (${list})`;
}

/**
 * For a NOT NULL column a BEFORE INSERT trigger fills when an insert leaves it out (workspace_id, taken
 * from the row's post or account): optional in TypeScript, and an omitted value is sent as DEFAULT (the
 * column has none, so the trigger sees NULL and fills it).
 */
export const fromTrigger = (): SQL => sql`DEFAULT`;
