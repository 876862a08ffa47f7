import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { EngagementEventInput } from './engagement/input.js';

// Platform webhook bodies -> engagement events. Pure functions: nothing here touches the database.
// Shapes follow the platforms' documentation (see docs/ingestion.md for what each maps and ignores).

export const WEBHOOK_PLATFORMS = ['instagram', 'tiktok', 'youtube'] as const;
export type WebhookPlatform = (typeof WEBHOOK_PLATFORMS)[number];

export interface WebhookRejection {
  /** Ordinal of the item in the body (Instagram: changes/messaging in document order; YouTube: items). */
  index: number;
  /** JSON path of the bad value, e.g. `entry[0].changes[1].value.media.id`. */
  field: string;
  error: string;
  /** A body of the same shape holding only this item: kept in the dead-letter table, replayable. */
  payload: unknown;
}

export interface ParsedWebhook {
  events: EngagementEventInput[];
  rejected: WebhookRejection[];
  /** Items that are valid but not engagement with a post (a plain DM, a lifecycle event), and why. */
  ignored: { index: number; reason: string }[];
}

/** Meta sends ids as numeric strings; accept numbers too and keep them as text. */
const id = z.union([z.string().min(1, 'must not be empty'), z.number().int().nonnegative()]).transform(String);

/** Seconds or milliseconds since the epoch (Meta uses both), as a Date. */
const epoch = z
  .number('expected a Unix time')
  .positive('expected a Unix time')
  .transform((n) => new Date(n < 1e12 ? n * 1000 : n));

function pathOf(prefix: string, issue: z.core.$ZodIssue): string {
  let out = prefix;
  for (const p of issue.path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out || '(body)';
}

function reject(rejected: WebhookRejection[], index: number, prefix: string, error: z.ZodError, payload: unknown) {
  const issue = error.issues[0]!;
  rejected.push({ index, field: pathOf(prefix, issue), error: issue.message, payload });
}

function compact<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}

// ---------------------------------------------------------------------------------------------
// Instagram (Meta Graph API webhooks, object "instagram")

const igEnvelope = z.object({
  object: z.literal('instagram', 'expected "instagram"'),
  entry: z.array(
    z.object({
      id: id,
      time: epoch,
      changes: z.array(z.unknown()).optional(),
      messaging: z.array(z.unknown()).optional(),
    }),
  ),
});

const igChange = z.object({ field: z.string(), value: z.unknown() });

/** `comments` / `live_comments`: the comment id, who wrote it, its text and the media it is on. */
const igComment = z.object({
  id: id,
  text: z.string().optional(),
  from: z.object({ id: id, username: z.string().optional() }).optional(),
  media: z.object({ id: id, media_product_type: z.string().optional() }),
  parent_id: id.optional(),
});

const igMessaging = z.object({
  sender: z.object({ id: id }),
  recipient: z.object({ id: id }).optional(),
  timestamp: epoch,
  message: z
    .object({
      mid: id,
      text: z.string().optional(),
      is_echo: z.boolean().optional(),
      reply_to: z.object({ story: z.object({ id: id, url: z.string().optional() }).optional() }).optional(),
      attachments: z
        .array(z.object({ type: z.string(), payload: z.object({ reel_video_id: id.optional() }).loose().optional() }))
        .optional(),
    })
    .optional(),
});

function parseInstagram(payload: unknown, out: ParsedWebhook): void {
  const env = igEnvelope.safeParse(payload);
  if (!env.success) return reject(out.rejected, 0, '', env.error, payload);
  const raw = payload as { object: string; entry: { changes?: unknown[]; messaging?: unknown[] }[] };
  let index = 0;
  env.data.entry.forEach((entry, e) => {
    const rawEntry = raw.entry[e]!;
    const single = (key: 'changes' | 'messaging', item: unknown) => ({
      object: raw.object,
      entry: [{ id: entry.id, time: (rawEntry as { time: unknown }).time, [key]: [item] }],
    });

    (entry.changes ?? []).forEach((item, c) => {
      const i = index++;
      const prefix = `entry[${e}].changes[${c}]`;
      const change = igChange.safeParse(item);
      if (!change.success) return reject(out.rejected, i, prefix, change.error, single('changes', item));
      const { field, value } = change.data;
      if (field !== 'comments' && field !== 'live_comments') {
        out.ignored.push({ index: i, reason: `field '${field}' is not engagement with a post` });
        return;
      }
      const comment = igComment.safeParse(value);
      if (!comment.success) return reject(out.rejected, i, `${prefix}.value`, comment.error, single('changes', item));
      const v = comment.data;
      out.events.push(
        compact({
          platform: 'instagram',
          platformPostId: v.media.id,
          eventType: 'comment',
          // The comment's own time is not in the body; Meta keeps `time` on redeliveries.
          eventTimestamp: entry.time,
          platformEventId: v.id,
          platformUserId: v.from?.id,
          platformUsername: v.from?.username,
          eventMetadata: compact({
            text: v.text,
            parent_id: v.parent_id,
            media_product_type: v.media.media_product_type,
            field,
          }),
        }),
      );
    });

    (entry.messaging ?? []).forEach((item, m) => {
      const i = index++;
      const prefix = `entry[${e}].messaging[${m}]`;
      const parsed = igMessaging.safeParse(item);
      if (!parsed.success) return reject(out.rejected, i, prefix, parsed.error, single('messaging', item));
      const { sender, timestamp, message } = parsed.data;
      if (!message) {
        out.ignored.push({ index: i, reason: 'not a message (reaction, read receipt, postback...)' });
        return;
      }
      if (message.is_echo) {
        out.ignored.push({ index: i, reason: 'an echo of our own message' });
        return;
      }
      let produced = false;
      if (message.reply_to?.story) {
        // A reply to one of our stories is a comment on that story.
        out.events.push(
          compact({
            platform: 'instagram',
            platformPostId: message.reply_to.story.id,
            eventType: 'comment',
            eventTimestamp: timestamp,
            platformEventId: message.mid,
            platformUserId: sender.id,
            eventMetadata: compact({ text: message.text, via: 'story_reply' }),
          }),
        );
        produced = true;
      }
      (message.attachments ?? []).forEach((a, k) => {
        const reel = a.payload?.reel_video_id;
        if (a.type !== 'ig_reel' || !reel) return;
        // A reel sent in a DM is a share of that reel.
        out.events.push({
          platform: 'instagram',
          platformPostId: reel,
          eventType: 'share',
          eventTimestamp: timestamp,
          platformEventId: `${message.mid}#${k}`,
          platformUserId: sender.id,
          eventMetadata: { via: 'direct_message' },
        });
        produced = true;
      });
      if (!produced) out.ignored.push({ index: i, reason: 'a direct message, not engagement with a post' });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// TikTok (developer webhooks: { client_key, event, create_time, user_openid, content: "<json>" })

const tiktokEnvelope = z.object({
  client_key: z.string(),
  event: z.string().min(1),
  create_time: epoch,
  user_openid: z.string().optional(),
  content: z.string(),
});

/** Comment notifications: fields of TikTok's comment object (Research API), ids as strings or numbers. */
const tiktokComment = z.object({
  comment_id: id.optional(),
  id: id.optional(),
  video_id: id,
  text: z.string().optional(),
  create_time: epoch.optional(),
  parent_comment_id: id.optional(),
  user_openid: z.string().optional(),
  username: z.string().optional(),
});

/**
 * TikTok's ids are 64-bit (e.g. 7311234567890123456): sent as JSON numbers, JSON.parse would round
 * them past 2^53 (and the id schema refuses unsafe integers). The id fields' long digit runs are read
 * as strings instead. (Inside a JSON string a quote is escaped, so `"video_id":` matches keys only.)
 */
const TIKTOK_BIG_ID = /("(?:comment_id|id|video_id|parent_comment_id)"\s*:\s*)(-?\d{16,})(?=\s*[,}])/g;

/** Lifecycle events TikTok documents; none is engagement. */
const TIKTOK_LIFECYCLE = /^(authorization\.removed|video\.(upload|publish)\.|portability\.)/;

function parseTiktok(payload: unknown, out: ParsedWebhook): void {
  const items = Array.isArray(payload) ? payload : [payload];
  items.forEach((item, i) => {
    const prefix = Array.isArray(payload) ? `[${i}]` : '';
    const env = tiktokEnvelope.safeParse(item);
    if (!env.success) return reject(out.rejected, i, prefix, env.error, item);
    const { event, create_time, content } = env.data;
    if (event !== 'comment.create') {
      const why = TIKTOK_LIFECYCLE.test(event) ? 'an account or video lifecycle event' : 'not an engagement event';
      out.ignored.push({ index: i, reason: `'${event}' is ${why}` });
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(content.replace(TIKTOK_BIG_ID, '$1"$2"'));
    } catch (err) {
      out.rejected.push({ index: i, field: `${prefix ? `${prefix}.` : ''}content`, error: `not JSON: ${(err as Error).message}`, payload: item });
      return;
    }
    const c = tiktokComment.safeParse(body);
    if (!c.success) return reject(out.rejected, i, `${prefix ? `${prefix}.` : ''}content`, c.error, item);
    const commentId = c.data.comment_id ?? c.data.id;
    out.events.push(
      compact({
        platform: 'tiktok',
        platformPostId: c.data.video_id,
        eventType: 'comment',
        eventTimestamp: c.data.create_time ?? create_time,
        platformEventId: commentId,
        platformUserId: c.data.user_openid,
        platformUsername: c.data.username,
        eventMetadata: compact({ text: c.data.text, parent_comment_id: c.data.parent_comment_id }),
      }),
    );
  });
}

// ---------------------------------------------------------------------------------------------
// YouTube (Data API v3 comment resources: commentThread / comment, singly or as a list response)

const ytComment = z.object({
  kind: z.literal('youtube#comment').optional(),
  id: z.string().min(1),
  snippet: z.object({
    videoId: z.string().min(1).optional(),
    authorDisplayName: z.string().optional(),
    authorChannelId: z.object({ value: z.string() }).optional(),
    textOriginal: z.string().optional(),
    textDisplay: z.string().optional(),
    parentId: z.string().optional(),
    likeCount: z.number().optional(),
    publishedAt: z.iso.datetime({ offset: true, error: 'expected an RFC 3339 time' }),
  }),
});
type YtComment = z.output<typeof ytComment>;

const ytThread = z.object({
  kind: z.literal('youtube#commentThread'),
  id: z.string().min(1),
  snippet: z.object({ videoId: z.string().min(1, 'a channel comment names no video'), topLevelComment: ytComment }),
  replies: z.object({ comments: z.array(ytComment) }).optional(),
});

const ytList = z.object({
  kind: z.enum(['youtube#commentThreadListResponse', 'youtube#commentListResponse']),
  items: z.array(z.unknown()),
});

function ytEvent(c: YtComment, videoId: string | undefined): EngagementEventInput | string {
  const video = c.snippet.videoId ?? videoId;
  if (!video) return 'snippet.videoId';
  return compact({
    platform: 'youtube',
    platformPostId: video,
    eventType: 'comment' as const,
    eventTimestamp: c.snippet.publishedAt,
    platformEventId: c.id,
    platformUserId: c.snippet.authorChannelId?.value,
    platformUsername: c.snippet.authorDisplayName?.slice(0, 100),
    eventMetadata: compact({ text: c.snippet.textOriginal ?? c.snippet.textDisplay, parent_id: c.snippet.parentId }),
  });
}

function parseYoutube(payload: unknown, out: ParsedWebhook): void {
  const list = ytList.safeParse(payload);
  const items = list.success ? list.data.items : [payload];
  const wrap = (item: unknown) => (list.success ? { kind: list.data.kind, items: [item] } : item);
  items.forEach((item, i) => {
    const prefix = list.success ? `items[${i}]` : '';
    const kind = (item as { kind?: unknown } | null)?.kind;
    if (kind === 'youtube#commentThread') {
      const t = ytThread.safeParse(item);
      if (!t.success) return reject(out.rejected, i, prefix, t.error, wrap(item));
      for (const c of [t.data.snippet.topLevelComment, ...(t.data.replies?.comments ?? [])]) {
        const e = ytEvent(c, t.data.snippet.videoId);
        if (typeof e !== 'string') out.events.push(e);
      }
      return;
    }
    const c = ytComment.safeParse(item);
    if (!c.success) {
      if (kind !== undefined && kind !== 'youtube#comment') {
        out.ignored.push({ index: i, reason: `'${String(kind)}' is not a comment resource` });
        return;
      }
      return reject(out.rejected, i, prefix, c.error, wrap(item));
    }
    const e = ytEvent(c.data, undefined);
    if (typeof e === 'string') {
      out.rejected.push({ index: i, field: `${prefix ? `${prefix}.` : ''}${e}`, error: 'a comment with no video (channel discussion)', payload: wrap(item) });
    } else out.events.push(e);
  });
}

// ---------------------------------------------------------------------------------------------

/**
 * Normalises a platform webhook body (already JSON-parsed) into engagement events. One body may carry
 * many events; each keeps the platform's id of the comment/share as `platformEventId`, from which
 * `recordEngagementEvents` derives the idempotency key. Never throws on bad input: unreadable items are
 * returned in `rejected` with the JSON path at fault.
 */
export function parseEngagementWebhook(platform: WebhookPlatform, payload: unknown): ParsedWebhook {
  const out: ParsedWebhook = { events: [], rejected: [], ignored: [] };
  if (platform === 'instagram') parseInstagram(payload, out);
  else if (platform === 'tiktok') parseTiktok(payload, out);
  else if (platform === 'youtube') parseYoutube(payload, out);
  else out.rejected.push({ index: 0, field: 'platform', error: `no webhook parser for '${String(platform)}'`, payload });
  return out;
}

/**
 * Checks Meta's `X-Hub-Signature-256` header (`sha256=<hex HMAC-SHA256 of the raw body with the app
 * secret>`) in constant time. `rawBody` must be the bytes as received, before any JSON parsing.
 * False for a missing, malformed or forged header, or an empty secret.
 */
export function verifyWebhookSignature(
  secret: string,
  rawBody: string | Uint8Array,
  header: string | string[] | null | undefined,
): boolean {
  if (typeof secret !== 'string' || secret.length === 0) return false;
  if (Array.isArray(header)) {
    if (header.length !== 1) return false;
    header = header[0];
  }
  if (typeof header !== 'string') return false;
  const match = /^sha256=([0-9a-f]{64})$/i.exec(header.trim());
  if (!match) return false;
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  const given = Buffer.from(match[1]!, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
