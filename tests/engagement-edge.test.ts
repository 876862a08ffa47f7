import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../src/db.js';
import { recordEngagementEvents, type EngagementEventInput } from '../src/queries/engagement/index.js';
import { useTestDb } from './support/db.js';
import { createPublishedPost, createUser } from './support/fixtures.js';

// Inputs at the edge of the ingestion's validation: a batch with them keeps its good rows, bad rows
// become dead letters with field and reason, and text that merely looks like an escape is stored as is.

const t = useTestDb({ max: 4 });
let postId: string;

beforeAll(async () => {
  const user = await createUser(t.db);
  postId = await createPublishedPost(t.db, 'instagram', 'edge-1', user);
});

const event = (key: string, extra: Partial<EngagementEventInput> = {}): EngagementEventInput => ({
  postId,
  eventType: 'comment',
  eventTimestamp: new Date(Date.now() - 60_000),
  platformEventId: key,
  ...extra,
});

describe('recordEngagementEvents at the edges', () => {
  it('a null element is rejected and dead-lettered as JSON null; the good rows are stored', async () => {
    const batch = [event('edge-a'), null, event('edge-b')] as unknown as EngagementEventInput[];
    const result = await recordEngagementEvents(t.db, batch, { source: 'edge-null' });
    expect(result.inserted).toBe(2);
    expect(result.rejected).toHaveLength(1);
    expect(result.rejected[0]).toMatchObject({ index: 1 });
    const letters = await queryRows<{ payload: unknown; kind: string; is_json_null: boolean }>(
      t.db,
      sql`select payload, kind, jsonb_typeof(payload) = 'null' as is_json_null from engagement_dead_letters where source = 'edge-null'`,
    );
    expect(letters).toHaveLength(1);
    expect(letters[0]!.is_json_null).toBe(true);
  });

  it('metadata holding the typed text \\u0000 or \\ud83d (a backslash, not a NUL or a surrogate) is stored byte for byte', async () => {
    const typed = { note: 'escape \\u0000 and \\ud83d and \\\\u0000, not a NUL' };
    const result = await recordEngagementEvents(t.db, [event('edge-typed', { eventMetadata: typed })], { source: 'edge-typed' });
    expect(result).toEqual({ inserted: 1, duplicates: 0, rejected: [] });
    const [row] = await queryRows<{ note: string }>(
      t.db,
      sql`select event_metadata ->> 'note' as note from engagement_events where post_id = ${postId} and event_metadata ? 'note'`,
    );
    expect(row!.note).toBe(typed.note);
  });

  it('a real NUL in metadata is still refused, naming the field', async () => {
    const result = await recordEngagementEvents(t.db, [event('edge-nul', { eventMetadata: { note: 'a\u0000b' } })], { source: 'edge-nul' });
    expect(result.inserted).toBe(0);
    expect(result.rejected[0]).toMatchObject({ index: 0, field: 'eventMetadata' });
    expect(result.rejected[0]!.error).toMatch(/NUL/);
  });
});
