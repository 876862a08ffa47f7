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

/** Writes dead letters, a few thousand per statement. */
export async function writeDeadLetters(db: Db, letters: DeadLetter[]): Promise<void> {
  for (let start = 0; start < letters.length; start += 5_000) {
    const parts = letters.slice(start, start + 5_000).map(
      (l) =>
        `{"source":${JSON.stringify(l.source.slice(0, 100))},"platform":${JSON.stringify(l.platform?.slice(0, 50) ?? null)},` +
        `"kind":${JSON.stringify(l.kind)},"batch_index":${l.index},"field":${JSON.stringify(l.field.slice(0, 200))},` +
        `"reason":${JSON.stringify(l.reason.replaceAll('\u0000', '\uFFFD'))},"payload":${l.payloadJson}}`,
    );
    await db.execute(sql`
      INSERT INTO engagement_dead_letters (source, platform, kind, batch_index, field, reason, payload)
      -- A JSON null payload (the caller sent null) comes out of jsonb_to_recordset as SQL NULL: keep it as JSON.
      SELECT r.source, r.platform, r.kind, r.batch_index, r.field, r.reason, coalesce(r.payload, 'null'::jsonb)
      FROM jsonb_to_recordset(${`[${parts.join(',')}]`}::text::jsonb)
        AS r(source varchar, platform varchar, kind varchar, batch_index int, field varchar, reason text, payload jsonb)`);
  }
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
