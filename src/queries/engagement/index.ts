// Engagement ingestion: validation (input.ts, validate.ts), idempotency keys (keys.ts), array-literal
// encoding (array-literal.ts), post lookup (posts.ts), the insert with its retries (insert.ts), the
// pipeline that runs them concurrently (pipeline.ts), webhooks end to end (webhook.ts), and dead
// letters (dead-letters.ts, replay.ts). Only what is exported here is the package's API.
export {
  MIN_EVENT_TIMESTAMP,
  MAX_EVENT_FUTURE_MS,
  MAX_EVENT_METADATA_BYTES,
  engagementEventInputSchema,
  type EngagementEventInput,
  type EngagementRejection,
  type RecordEngagementResult,
  type RecordEngagementOptions,
} from './input.js';
export { eventKey, eventKeyText, eventKeySource } from './keys.js';
export { recordEngagementEvents } from './pipeline.js';
export { ingestEngagementWebhook, type IngestWebhookResult } from './webhook.js';
export {
  replayDeadLettersSchema,
  replayDeadLetters,
  type ReplayDeadLettersOptions,
  type ReplayDeadLettersResult,
} from './replay.js';
