import { sql } from 'drizzle-orm';
import type { Db } from '../../db.js';
import type { DeadLetterKind } from '../../schema/engagement.js';
import { toWellFormed } from './input.js';

export interface DeadLetter {
  source: string;
  platform: string | null;
  kind: DeadLetterKind;
  index: number;
  field: string;
  reason: string;
  payloadJson: string;
}

/**
 * Writes dead letters, a few thousand per statement. A letter equal to one still pending (same source,
 * kind and payload, e.g. a redelivered webhook) is not written again: one letter per distinct bad
 * item. Writers of the same source take turns (a transaction-scoped advisory lock), so two deliveries
 * of the same body at once also leave one letter.
 */
export async function writeDeadLetters(db: Db, letters: DeadLetter[]): Promise<void> {
  if (letters.length === 0) return;
  await db.transaction(async (tx) => {
    // In a fixed order, so two writers of several sources cannot wait for each other.
    for (const source of [...new Set(letters.map((l) => l.source.slice(0, 100)))].sort()) {
      await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext('engagement_dead_letters'), hashtext(${source}))`);
    }
    for (let start = 0; start < letters.length; start += 5_000) {
      const parts = letters.slice(start, start + 5_000).map(
        (l) =>
          `{"source":${JSON.stringify(l.source.slice(0, 100))},"platform":${JSON.stringify(l.platform?.slice(0, 50) ?? null)},` +
          `"kind":${JSON.stringify(l.kind)},"batch_index":${l.index},"field":${JSON.stringify(l.field.slice(0, 200))},` +
          `"reason":${JSON.stringify(l.reason.replaceAll('\u0000', '\uFFFD'))},"payload":${l.payloadJson}}`,
      );
      await tx.execute(sql`
        INSERT INTO engagement_dead_letters (source, platform, kind, batch_index, field, reason, payload)
        SELECT n.source, n.platform, n.kind, n.batch_index, n.field, n.reason, n.payload
        FROM (
          -- The first of equal letters in this call...
          SELECT DISTINCT ON (r.source, r.kind, r.payload) r.*
          FROM (
            -- A JSON null payload (the caller sent null) comes out of jsonb_to_recordset as SQL NULL: keep it as JSON.
            SELECT x.source, x.platform, x.kind, x.batch_index, x.field, x.reason, coalesce(x.payload, 'null'::jsonb) AS payload
            FROM jsonb_to_recordset(${`[${parts.join(',')}]`}::text::jsonb)
              AS x(source varchar, platform varchar, kind varchar, batch_index int, field varchar, reason text, payload jsonb)
          ) r
          ORDER BY r.source, r.kind, r.payload, r.batch_index
        ) n
        -- ...unless a pending letter already holds it.
        WHERE NOT EXISTS (
          SELECT 1 FROM engagement_dead_letters d
          WHERE d.replayed_at IS NULL AND d.source = n.source AND d.kind = n.kind AND d.payload = n.payload)
        ORDER BY n.batch_index`);
    }
  });
}

/** JSON text for a dead letter's payload: whatever the caller passed, made storable in jsonb. */
export function payloadJson(raw: unknown): string {
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
