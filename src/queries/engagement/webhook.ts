import type { Db } from '../../db.js';
import { parseEngagementWebhook, type WebhookPlatform, type WebhookRejection } from '../webhooks.js';
import { payloadJson, writeDeadLetters } from './dead-letters.js';
import type { RecordEngagementOptions, RecordEngagementResult } from './input.js';
import { ingest } from './pipeline.js';

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
