import { sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { queryRows, type Db } from '../../db.js';
import type { DeadLetterKind } from '../../schema/engagement.js';
import { parseEngagementWebhook, type WebhookPlatform } from '../webhooks.js';
import { plainArrayLiteral, textArrayLiteral } from './array-literal.js';
import { ingest } from './pipeline.js';

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
    if (o.ids) filters.push(sql`id = ANY(${plainArrayLiteral(o.ids)}::text::bigint[])`);
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
        WHERE id = ANY(${plainArrayLiteral(done)}::text::bigint[])`);
    }
    if (still.length > 0) {
      await tx.execute(sql`
        UPDATE engagement_dead_letters d
        SET last_replay_at = now(), replay_attempts = d.replay_attempts + 1,
            field = left(f.field, 200), reason = f.reason
        FROM unnest(${plainArrayLiteral(still.map((s) => s.id))}::text::bigint[],
                    ${textArrayLiteral(still.map((s) => s.field))}::text::text[],
                    ${textArrayLiteral(still.map((s) => s.error))}::text::text[]) AS f(id, field, reason)
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
