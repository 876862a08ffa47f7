import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { engagementEventInputSchema } from '../src/queries/engagement/index.js';
import { parseEngagementWebhook, verifyWebhookSignature } from '../src/queries/webhooks.js';

const SECRET = 'app-secret-for-tests';
const sign = (body: string | Buffer, secret = SECRET) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

describe('verifyWebhookSignature (X-Hub-Signature-256)', () => {
  const body = JSON.stringify({ object: 'instagram', entry: [{ id: '1', time: 1763978400, changes: [] }] });

  it('accepts the signature of the raw body, as a string or bytes, in either hex case', () => {
    expect(verifyWebhookSignature(SECRET, body, sign(body))).toBe(true);
    expect(verifyWebhookSignature(SECRET, Buffer.from(body), sign(body))).toBe(true);
    expect(verifyWebhookSignature(SECRET, body, sign(body).toUpperCase().replace('SHA256=', 'sha256='))).toBe(true);
    expect(verifyWebhookSignature(SECRET, body, [sign(body)])).toBe(true);
  });

  it('refuses a forged, missing or malformed signature', () => {
    const good = sign(body);
    const flipped = good.slice(0, -1) + (good.endsWith('0') ? '1' : '0');
    expect(verifyWebhookSignature(SECRET, body, flipped)).toBe(false); // forged
    expect(verifyWebhookSignature(SECRET, body, sign(body, 'another-secret'))).toBe(false); // wrong secret
    expect(verifyWebhookSignature(SECRET, `${body} `, good)).toBe(false); // body changed
    expect(verifyWebhookSignature(SECRET, JSON.stringify(JSON.parse(body), null, 2), good)).toBe(false); // re-serialized
    expect(verifyWebhookSignature(SECRET, body, undefined)).toBe(false); // missing
    expect(verifyWebhookSignature(SECRET, body, null)).toBe(false);
    expect(verifyWebhookSignature(SECRET, body, '')).toBe(false);
    expect(verifyWebhookSignature(SECRET, body, good.slice('sha256='.length))).toBe(false); // no prefix
    expect(verifyWebhookSignature(SECRET, body, `sha1=${good.slice(7)}`)).toBe(false);
    expect(verifyWebhookSignature(SECRET, body, good.slice(0, -2))).toBe(false); // truncated
    expect(verifyWebhookSignature(SECRET, body, `sha256=${'z'.repeat(64)}`)).toBe(false); // not hex
    expect(verifyWebhookSignature(SECRET, body, [good, good])).toBe(false); // header sent twice
    expect(verifyWebhookSignature('', body, sign(body, ''))).toBe(false); // no secret configured
  });
});

describe('parseEngagementWebhook: Instagram', () => {
  const body = {
    object: 'instagram',
    entry: [
      {
        id: '17841400000000000',
        time: 1763978400,
        changes: [
          {
            field: 'comments',
            value: {
              id: '17865799348089039',
              from: { id: '1234', username: 'jme_fan' },
              text: 'Week 3 done #jmefit #legday',
              media: { id: '17887498072083520', media_product_type: 'FEED' },
            },
          },
          { field: 'live_comments', value: { id: 'lc-1', from: { id: '77' }, text: 'hi', media: { id: 'live-9' } } },
          { field: 'story_insights', value: { media_id: '555', impressions: 40 } },
          { field: 'comments', value: { id: 'c-bad', text: 'no media' } },
        ],
      },
      {
        id: '17841400000000000',
        time: 1763978460123,
        messaging: [
          { sender: { id: '42' }, recipient: { id: '17841400000000000' }, timestamp: 1763978460000, message: { mid: 'm-1', text: '🔥', reply_to: { story: { id: 'story-1', url: 'https://x' } } } },
          { sender: { id: '43' }, recipient: { id: '1' }, timestamp: 1763978461000, message: { mid: 'm-2', attachments: [{ type: 'ig_reel', payload: { reel_video_id: 'reel-7', url: 'https://y' } }] } },
          { sender: { id: '44' }, recipient: { id: '1' }, timestamp: 1763978462000, message: { mid: 'm-3', text: 'hello, do you ship to Canada?' } },
          { sender: { id: '1' }, recipient: { id: '44' }, timestamp: 1763978463000, message: { mid: 'm-4', text: 'yes', is_echo: true } },
          { sender: { id: '45' }, timestamp: 'yesterday', message: { mid: 'm-5' } },
        ],
      },
    ],
  };

  it('turns one request into many events, each with the platform id of the comment or message', () => {
    const parsed = parseEngagementWebhook('instagram', body);
    expect(parsed.events).toEqual([
      {
        platform: 'instagram',
        platformPostId: '17887498072083520',
        eventType: 'comment',
        eventTimestamp: new Date(1763978400 * 1000),
        platformEventId: '17865799348089039',
        platformUserId: '1234',
        platformUsername: 'jme_fan',
        eventMetadata: { text: 'Week 3 done #jmefit #legday', media_product_type: 'FEED', field: 'comments' },
      },
      {
        platform: 'instagram',
        platformPostId: 'live-9',
        eventType: 'comment',
        eventTimestamp: new Date(1763978400 * 1000),
        platformEventId: 'lc-1',
        platformUserId: '77',
        eventMetadata: { text: 'hi', field: 'live_comments' },
      },
      {
        platform: 'instagram',
        platformPostId: 'story-1',
        eventType: 'comment',
        eventTimestamp: new Date(1763978460000),
        platformEventId: 'm-1',
        platformUserId: '42',
        eventMetadata: { text: '🔥', via: 'story_reply' },
      },
      {
        platform: 'instagram',
        platformPostId: 'reel-7',
        eventType: 'share',
        eventTimestamp: new Date(1763978461000),
        platformEventId: 'm-2#0',
        platformUserId: '43',
        eventMetadata: { via: 'direct_message' },
      },
    ]);
    // Every event it makes is a valid ingestion input.
    for (const e of parsed.events) expect(engagementEventInputSchema.safeParse(e).success).toBe(true);
  });

  it('reports unreadable items with their path and a one-item body to keep, and says why others are ignored', () => {
    const parsed = parseEngagementWebhook('instagram', body);
    expect(parsed.rejected.map((r) => [r.index, r.field])).toEqual([
      [3, 'entry[0].changes[3].value.media'],
      [8, 'entry[1].messaging[4].timestamp'],
    ]);
    expect(parsed.rejected[0]!.payload).toEqual({
      object: 'instagram',
      entry: [{ id: '17841400000000000', time: 1763978400, changes: [body.entry[0]!.changes![3]] }],
    });
    // The kept body parses on its own to the same refusal (so a replay after a parser fix works).
    expect(parseEngagementWebhook('instagram', parsed.rejected[0]!.payload).rejected[0]!.field).toBe('entry[0].changes[0].value.media');
    expect(parsed.ignored.map((i) => i.index)).toEqual([2, 6, 7]);
    expect(parsed.ignored[0]!.reason).toMatch(/story_insights/);
  });

  it('refuses a body that is not an Instagram webhook', () => {
    expect(parseEngagementWebhook('instagram', { object: 'page', entry: [] }).rejected[0]!.field).toBe('object');
    expect(parseEngagementWebhook('instagram', null).rejected[0]!.field).toBe('(body)');
    expect(parseEngagementWebhook('instagram', { object: 'instagram', entry: [{ id: '1' }] }).rejected[0]!.field).toBe('entry[0].time');
  });
});

describe('parseEngagementWebhook: TikTok', () => {
  const envelope = (event: string, content: unknown) => ({
    client_key: 'bwo2m45353a6k85',
    event,
    create_time: 1763978400,
    user_openid: 'act.example12345',
    content: typeof content === 'string' ? content : JSON.stringify(content),
  });

  it('maps comment notifications and ignores the documented lifecycle events', () => {
    const parsed = parseEngagementWebhook('tiktok', [
      envelope('comment.create', { comment_id: 7311, video_id: '7300000000000000001', text: 'form 🔥 #gymtok', user_openid: 'act.u1', create_time: 1763978300 }),
      envelope('video.publish.completed', { share_id: 'video.6974245311675353080.VDCxrcMJ' }),
      envelope('authorization.removed', { reason: 1 }),
      envelope('comment.create', '{not json'),
      envelope('comment.create', { comment_id: '9' }),
    ]);
    expect(parsed.events).toEqual([
      {
        platform: 'tiktok',
        platformPostId: '7300000000000000001',
        eventType: 'comment',
        eventTimestamp: new Date(1763978300 * 1000),
        platformEventId: '7311',
        platformUserId: 'act.u1',
        eventMetadata: { text: 'form 🔥 #gymtok' },
      },
    ]);
    expect(parsed.ignored.map((i) => i.index)).toEqual([1, 2]);
    expect(parsed.rejected.map((r) => [r.index, r.field])).toEqual([
      [3, '[3].content'],
      [4, '[4].content.video_id'],
    ]);
  });
});

describe('parseEngagementWebhook: YouTube', () => {
  const comment = (id: string, extra: Record<string, unknown> = {}) => ({
    kind: 'youtube#comment',
    id,
    snippet: {
      authorDisplayName: 'Coach K',
      authorChannelId: { value: 'UC123' },
      textOriginal: `comment ${id} #shorts`,
      publishedAt: '2026-11-24T08:00:00Z',
      ...extra,
    },
  });

  it('reads comment threads with their replies, and refuses a channel comment', () => {
    const parsed = parseEngagementWebhook('youtube', {
      kind: 'youtube#commentThreadListResponse',
      items: [
        {
          kind: 'youtube#commentThread',
          id: 'thread-1',
          snippet: { videoId: 'vid-1', topLevelComment: comment('top-1', { videoId: 'vid-1' }) },
          replies: { comments: [comment('reply-1', { parentId: 'top-1' })] },
        },
        { kind: 'youtube#commentThread', id: 'thread-2', snippet: { videoId: '', topLevelComment: comment('top-2') } },
        { kind: 'youtube#video', id: 'v' },
      ],
    });
    expect(parsed.events.map((e) => [e.platformPostId, e.platformEventId, e.platformUserId])).toEqual([
      ['vid-1', 'top-1', 'UC123'],
      ['vid-1', 'reply-1', 'UC123'],
    ]);
    expect(parsed.events[1]!.eventMetadata).toEqual({ text: 'comment reply-1 #shorts', parent_id: 'top-1' });
    expect(parsed.rejected.map((r) => [r.index, r.field])).toEqual([[1, 'items[1].snippet.videoId']]);
    expect(parsed.ignored.map((i) => i.index)).toEqual([2]);
    for (const e of parsed.events) expect(engagementEventInputSchema.safeParse(e).success).toBe(true);
  });

  it('reads a single comment resource', () => {
    const parsed = parseEngagementWebhook('youtube', comment('solo', { videoId: 'vid-9' }));
    expect(parsed.events).toHaveLength(1);
    expect(parsed.events[0]).toMatchObject({ platform: 'youtube', platformPostId: 'vid-9', eventTimestamp: '2026-11-24T08:00:00Z' });
    expect(parseEngagementWebhook('youtube', comment('nowhere')).rejected[0]!.field).toBe('snippet.videoId');
  });
});
