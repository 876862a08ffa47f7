import { isPostgresJs, type Db } from '../../db.js';
import { payloadJson, writeDeadLetters } from './dead-letters.js';
import type { EngagementEventInput, EngagementRejection, RecordEngagementOptions, RecordEngagementResult } from './input.js';
import { chunkLiterals, insertChunk, isTransaction, ROWS_PER_SLICE, type InsertMode } from './insert.js';
import { resolveSegment } from './posts.js';
import { validateSegment, type Batch } from './validate.js';

interface IngestOptions extends RecordEngagementOptions {
  deadLetter: boolean;
}

interface Chunk {
  batch: Batch;
  at: number[];
}

/** The one path every entry point stores through; replay passes `deadLetter: false`, as its letters exist. */
export async function ingest(db: Db, events: readonly unknown[], opts: IngestOptions): Promise<RecordEngagementResult> {
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
