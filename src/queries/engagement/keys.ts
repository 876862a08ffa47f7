import { hash } from 'node:crypto';

/**
 * First 64 bits of SHA-256 of `source` (UTF-8) as a signed bigint: equal to SQL
 * `engagement_event_key(source)` (migration 0002), so rows written from SQL get the same keys.
 */
export function eventKey(source: string): bigint {
  return BigInt(eventKeyText(source));
}

/**
 * `eventKey(source)` as decimal text, the way the insert sends it (the one implementation of the key):
 * one-shot hash (3x faster than createHash), and the signed 64-bit decimal built from two 32-bit
 * halves in plain numbers, as BigInt parsing and printing cost more than the hash itself. A test
 * checks it against SHA-256 read as a signed 64-bit integer, and against SQL.
 */
export function eventKeyText(source: string): string {
  const hex = hash('sha256', source, 'hex');
  let hi = parseInt(hex.slice(0, 8), 16);
  let lo = parseInt(hex.slice(8, 16), 16);
  let sign = '';
  if (hi >= 0x80000000) {
    // Two's complement: the magnitude is 2^64 - (hi:lo).
    sign = '-';
    lo = 0x100000000 - lo;
    hi = 0xffffffff - hi + (lo === 0x100000000 ? 1 : 0);
    if (lo === 0x100000000) lo = 0;
  }
  // hi * 2^32 + lo = hi * 4294 * 10^6 + (hi * 967296 + lo), each part exact in a double.
  const low = hi * 967_296 + lo;
  const high = hi * 4_294 + Math.floor(low / 1_000_000);
  const rest = low % 1_000_000;
  return high === 0 ? `${sign}${rest}` : `${sign}${high}${String(rest).padStart(6, '0')}`;
}

/**
 * The string an event's key is the hash of. With the platform's own id of the comment/like/...:
 * `<platform>:<platformEventId>` (platform ids are unique per platform, so the same event arriving
 * by webhook and by backfill gets the same key). Without one:
 * `<platform>:<post uuid>:<eventType>:<platformUserId or ''>:<eventTimestamp as ISO 8601 UTC, ms>`.
 */
export function eventKeySource(e: {
  platform: string;
  postId: string;
  eventType: string;
  eventTimestamp: Date;
  platformEventId?: string | null;
  platformUserId?: string | null;
}): string {
  if (e.platformEventId) return `${e.platform}:${e.platformEventId}`;
  return `${e.platform}:${e.postId}:${e.eventType}:${e.platformUserId ?? ''}:${e.eventTimestamp.toISOString()}`;
}
