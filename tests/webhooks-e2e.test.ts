import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../src/db.js';
import { eventKey, ingestEngagementWebhook, replayDeadLetters } from '../src/queries/engagement/index.js';
import { useTestDb } from './support/db.js';
import { createPublishedPost, createUser } from './support/fixtures.js';

// TikTok and YouTube webhooks end to end: a realistic body in, rows out (events with their keys, user
// and text; dead letters for what cannot be stored yet; nothing twice on redelivery).

const t = useTestDb({ max: 4 });
let user: string;
const post: Record<string, string> = {};

beforeAll(async () => {
  user = await createUser(t.db);
  post.tiktok = await createPublishedPost(t.db, 'tiktok', '7300000000000000001', user);
  post.youtube = await createPublishedPost(t.db, 'youtube', 'dQw4w9WgXcQ', user);
});

async function stored(postId: string) {
  return queryRows<{ key: string; at: string; user_id: string | null; username: string | null; metadata: unknown }>(
    t.db,
    sql`SELECT event_key::text AS key, to_char(event_timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS at,
               platform_user_id AS user_id, platform_username AS username, event_metadata AS metadata
        FROM engagement_events WHERE post_id = ${postId}::uuid ORDER BY event_timestamp, event_key`,
  );
}

describe('TikTok webhooks end to end', () => {
  // TikTok posts one event per request: { client_key, event, create_time, user_openid, content } with
  // `content` a JSON string (developers.tiktok.com/doc/webhooks-events).
  const envelope = (event: string, content: unknown, createTime = 1763978400) => ({
    client_key: 'awq7ylvz0smb0fdr',
    event,
    create_time: createTime,
    user_openid: 'act.9ZJqN3kP0c2hE5Vd7YbN1xQfW3LtUaR8oMz',
    content: JSON.stringify(content),
  });
  const comment = (id: string, text: string, extra: Record<string, unknown> = {}) =>
    envelope('comment.create', {
      comment_id: id,
      video_id: '7300000000000000001',
      text,
      create_time: 1763978300,
      user_openid: 'act.fan.1',
      username: 'gymrat_22',
      ...extra,
    });

  it('a comment is stored with its key, author and text; redelivered, it is a duplicate', async () => {
    const body = comment('7311000000000000001', 'form check 🔥 #gymtok');
    const first = await ingestEngagementWebhook(t.db, 'tiktok', body);
    expect(first).toMatchObject({ inserted: 1, duplicates: 0, rejected: [], parseRejected: [], ignored: [] });
    const again = await ingestEngagementWebhook(t.db, 'tiktok', JSON.parse(JSON.stringify(body)));
    expect(again).toMatchObject({ inserted: 0, duplicates: 1 });
    expect(await stored(post.tiktok!)).toEqual([
      {
        key: eventKey('tiktok:7311000000000000001').toString(),
        at: '2025-11-24T09:58:20Z',
        user_id: 'act.fan.1',
        username: 'gymrat_22',
        metadata: { text: 'form check 🔥 #gymtok' },
      },
    ]);
  });

  it('a batch of envelopes: a reply, lifecycle events ignored, a comment on a video not stored yet dead-lettered and replayed', async () => {
    const result = await ingestEngagementWebhook(t.db, 'tiktok', [
      comment('7311000000000000002', 'what program is this?', { parent_comment_id: '7311000000000000001', create_time: 1763978500 }),
      envelope('video.publish.completed', { share_id: 'video.7300000000000000001.VDCxrcMJ' }),
      envelope('authorization.removed', { reason: 1 }),
      envelope('comment.create', { comment_id: '7311000000000000003', video_id: '7300000000000000999', text: 'new video!', create_time: 1763978600 }),
    ]);
    expect(result).toMatchObject({ inserted: 1, parseRejected: [] });
    expect(result.ignored.map((i) => i.index)).toEqual([1, 2]);
    expect(result.rejected.map((r) => r.field)).toEqual(['platformPostId']);
    const reply = (await stored(post.tiktok!)).find((r) => r.key === eventKey('tiktok:7311000000000000002').toString());
    expect(reply?.metadata).toEqual({ text: 'what program is this?', parent_comment_id: '7311000000000000001' });

    const later = await createPublishedPost(t.db, 'tiktok', '7300000000000000999', user);
    expect(await replayDeadLetters(t.db, { source: 'webhook:tiktok' })).toMatchObject({ replayed: 1, inserted: 1, stillFailing: [] });
    expect((await stored(later)).map((r) => r.metadata)).toEqual([{ text: 'new video!' }]);
  });

  it('64-bit ids sent as JSON numbers keep every digit', async () => {
    // TikTok's APIs give video and comment ids as int64 numbers; JSON.parse alone rounds them past 2^53.
    // The text quotes such a field: it stays text, digits and quotes as sent.
    const text = 'numbers: "video_id":7300000000000000123, "id": 7311000000000000999}';
    const content = `{"comment_id":7311000000000000077,"video_id":7300000000000000001,"text":${JSON.stringify(text)},"create_time":1763978700,"parent_comment_id": 7311000000000000001}`;
    const result = await ingestEngagementWebhook(t.db, 'tiktok', { ...envelope('comment.create', {}), content });
    expect(result).toMatchObject({ inserted: 1, rejected: [], parseRejected: [] });
    const rows = await stored(post.tiktok!);
    expect(rows.find((r) => r.key === eventKey('tiktok:7311000000000000077').toString())?.metadata).toEqual({
      text,
      parent_comment_id: '7311000000000000001',
    });
  });
});

describe('YouTube webhooks end to end', () => {
  // What a poller of commentThreads.list (part=snippet,replies) hands on: the Data API v3 resources.
  const ytComment = (id: string, text: string, snippet: Record<string, unknown> = {}) => ({
    kind: 'youtube#comment',
    etag: 'b2Vt1JX3vJ0cPjGgSP3O9dFqBVk',
    id,
    snippet: {
      channelId: 'UCuAXFkgsw1L7xaCfnd5JJOw',
      textDisplay: text.replace(/\n/g, '<br>'),
      textOriginal: text,
      authorDisplayName: '@coach.kim',
      authorProfileImageUrl: 'https://yt3.ggpht.com/ytc/AIdro_k',
      authorChannelUrl: 'http://www.youtube.com/@coach.kim',
      authorChannelId: { value: 'UCa1b2c3d4e5f6g7h8i9j0kL' },
      canRate: true,
      viewerRating: 'none',
      likeCount: 3,
      publishedAt: '2025-11-24T08:00:00Z',
      updatedAt: '2025-11-24T08:00:00Z',
      ...snippet,
    },
  });
  const thread = (id: string, videoId: string, top: ReturnType<typeof ytComment>, replies: ReturnType<typeof ytComment>[] = []) => ({
    kind: 'youtube#commentThread',
    etag: 'x9dX3-fW4FqW0gC1a2b3c4d5e6f',
    id,
    snippet: { channelId: 'UCuAXFkgsw1L7xaCfnd5JJOw', videoId, topLevelComment: top, canReply: true, totalReplyCount: replies.length, isPublic: true },
    ...(replies.length ? { replies: { comments: replies } } : {}),
  });

  it('a page of comment threads: top-level comments and replies stored once, with author, text and parent', async () => {
    const page = {
      kind: 'youtube#commentThreadListResponse',
      etag: 'p1',
      nextPageToken: 'QURTSl9pMl',
      pageInfo: { totalResults: 2, resultsPerPage: 20 },
      items: [
        thread(
          'UgzTop1',
          'dQw4w9WgXcQ',
          ytComment('UgzTop1', 'Day 12 of the program 💪\nstill going', { videoId: 'dQw4w9WgXcQ' }),
          [ytComment('UgzTop1.reply1', 'proud of you!', { videoId: 'dQw4w9WgXcQ', parentId: 'UgzTop1', publishedAt: '2025-11-24T09:30:00+01:00' })],
        ),
        thread('UgzTop2', 'dQw4w9WgXcQ', ytComment('UgzTop2', 'what weight?', { videoId: 'dQw4w9WgXcQ', publishedAt: '2025-11-24T10:15:00Z' })),
      ],
    };
    const first = await ingestEngagementWebhook(t.db, 'youtube', page);
    expect(first).toMatchObject({ inserted: 3, duplicates: 0, rejected: [], parseRejected: [], ignored: [] });
    // The next poll returns the same threads: nothing new.
    expect(await ingestEngagementWebhook(t.db, 'youtube', page)).toMatchObject({ inserted: 0, duplicates: 3 });
    expect(await stored(post.youtube!)).toEqual([
      {
        key: eventKey('youtube:UgzTop1').toString(),
        at: '2025-11-24T08:00:00Z',
        user_id: 'UCa1b2c3d4e5f6g7h8i9j0kL',
        username: '@coach.kim',
        metadata: { text: 'Day 12 of the program 💪\nstill going' },
      },
      {
        key: eventKey('youtube:UgzTop1.reply1').toString(),
        at: '2025-11-24T08:30:00Z',
        user_id: 'UCa1b2c3d4e5f6g7h8i9j0kL',
        username: '@coach.kim',
        metadata: { text: 'proud of you!', parent_id: 'UgzTop1' },
      },
      {
        key: eventKey('youtube:UgzTop2').toString(),
        at: '2025-11-24T10:15:00Z',
        user_id: 'UCa1b2c3d4e5f6g7h8i9j0kL',
        username: '@coach.kim',
        metadata: { text: 'what weight?' },
      },
    ]);
  });

  it('a comment on a video not stored yet is dead-lettered and replayed; a channel comment is kept as a webhook dead letter', async () => {
    const result = await ingestEngagementWebhook(t.db, 'youtube', {
      kind: 'youtube#commentThreadListResponse',
      items: [
        thread('UgzNew1', 'NEWvideo123', ytComment('UgzNew1', 'first!', { videoId: 'NEWvideo123' })),
        thread('UgzChan', '', ytComment('UgzChan', 'channel discussion')),
      ],
    });
    expect(result.rejected.map((r) => r.field)).toEqual(['platformPostId']);
    expect(result.parseRejected.map((r) => r.field)).toEqual(['items[1].snippet.videoId']);
    const later = await createPublishedPost(t.db, 'youtube', 'NEWvideo123', user);
    const replay = await replayDeadLetters(t.db, { source: 'webhook:youtube' });
    expect(replay).toMatchObject({ attempted: 2, replayed: 1, inserted: 1 });
    expect(replay.stillFailing.map((s) => s.field)).toEqual(['items[0].snippet.videoId']);
    expect((await stored(later)).map((r) => [r.key, r.metadata])).toEqual([[eventKey('youtube:UgzNew1').toString(), { text: 'first!' }]]);
  });
});
