import { sql, type SQL } from 'drizzle-orm';
import { PgDialect, PgTransaction } from 'drizzle-orm/pg-core';
import { isPostgresJs, queryRows, type Db } from '../../db.js';
import { pgErrorOf } from '../../pg-error.js';
import { quoted } from './array-literal.js';
import type { EngagementRejection } from './input.js';
import { eventKeyText } from './keys.js';
import { isoOf, msOf, type Batch } from './validate.js';

/** True when `db` is a transaction (a failed statement would abort it; one connection only). */
export function isTransaction(db: Db): boolean {
  return (db as unknown) instanceof PgTransaction;
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
  workspace_id: 'postId',
};

function fieldOfDbError(e: { column_name?: string; constraint_name?: string; message?: string }): string {
  if (e.column_name && COLUMN_TO_FIELD[e.column_name]) return COLUMN_TO_FIELD[e.column_name]!;
  const haystack = `${e.constraint_name ?? ''} ${e.message ?? ''}`;
  for (const [column, field] of Object.entries(COLUMN_TO_FIELD)) if (haystack.includes(column)) return field;
  return '(row)';
}

/** The 13 array literals of one chunk, in insert column order. */
export type ChunkLiterals = readonly string[];

/** Rows built between yields to the event loop (a few milliseconds of work). */
export const ROWS_PER_SLICE = 1_000;

/**
 * The array literals of the rows at positions `at`. Keys and literals are computed here, per chunk,
 * so they die young. With `yieldEvery`, the work pauses for the event loop every that many rows, so
 * a statement already sent keeps flowing to the server and replies are read while the next chunk is
 * prepared.
 */
export async function chunkLiterals(b: Batch, at: readonly number[], yieldEvery = Infinity): Promise<ChunkLiterals> {
  const pause = () => new Promise<void>((resolve) => setImmediate(resolve));
  // Let a statement just handed to the driver go out first.
  if (yieldEvery !== Infinity) await pause();
  const n = at.length;
  const cols = Array.from({ length: 13 }, () => new Array<string>(n));
  const [post, ts, key, value, followers, type, userId, username, country, age, gender, metadata, workspace] = cols as [
    string[], string[], string[], string[], string[], string[], string[], string[], string[], string[], string[], string[],
    string[],
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
    workspace[i] = p.workspaceId;
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

/** One INSERT of a chunk: 13 array parameters whatever the row count. */
function insertStatement(lits: ChunkLiterals, skipDuplicates: boolean): SQL {
  const [post, ts, key, value, followers, type, userId, username, country, age, gender, metadata, workspace] = lits;
  return sql`
      INSERT INTO engagement_events (post_id, event_timestamp, event_key, event_value, user_follower_count, event_type,
        platform_user_id, platform_username, country_code, age_range, gender, event_metadata, workspace_id)
      SELECT u.post_id, timestamptz 'epoch' + u.at_ms * interval '1 millisecond', u.event_key, u.event_value,
             u.user_follower_count, u.event_type, u.platform_user_id, u.platform_username, u.country_code,
             u.age_range, u.gender, u.event_metadata, u.workspace_id
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
        ${metadata}::text::jsonb[],
        ${workspace}::text::uuid[]
      ) AS u(post_id, at_ms, event_key, event_value, user_follower_count, event_type,
             platform_user_id, platform_username, country_code, age_range, gender, event_metadata, workspace_id)
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
export interface InsertMode {
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
export async function insertChunk(
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
