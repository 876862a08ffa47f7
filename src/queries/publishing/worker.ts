import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Db } from '../../db.js';
import { parseInput } from '../_input.js';
import { claimDuePosts, type ClaimedPost } from './claim.js';
import { StaleClaimError } from './errors.js';
import { completePostPublish, extendPostLease, failPostPublish, markPostPublishUnknown, retryPolicySchema } from './outcome.js';

// runPublishWorker: claims due posts, hands each to the app's `publish` (the package has no platform
// client), keeps the lease alive while it runs, and reports the outcome. Every guarantee lives in the
// database functions; this loop only drives them, so any number of these (and workers in other
// languages) may run at once.

/** What the platform answered for a published post. */
export interface PublishResult {
  platformPostId: string;
  url?: string;
  /** Default: now. */
  publishedAt?: Date;
  /** Kept on the attempt (post_publish_attempts.platform_response). */
  response?: Record<string, unknown>;
}

/**
 * Thrown by `publish` to say how it failed. `retryable: false`: the platform refused the post for good.
 * `retryAfterMs`: the platform's Retry-After (a 429): the retry waits exactly that long. `outcomeUnknown`:
 * the request may have reached the platform (a timeout after sending): the post becomes `unknown` for
 * reconciliation, never retried blindly.
 */
export class PublishError extends Error {
  readonly retryable: boolean;
  readonly retryAfterMs?: number;
  readonly outcomeUnknown: boolean;
  readonly response?: Record<string, unknown>;
  constructor(
    message: string,
    options: { retryable?: boolean; retryAfterMs?: number; outcomeUnknown?: boolean; response?: Record<string, unknown> } = {},
  ) {
    super(message);
    this.name = 'PublishError';
    this.retryable = options.retryable ?? true;
    this.retryAfterMs = options.retryAfterMs;
    this.outcomeUnknown = options.outcomeUnknown ?? false;
    this.response = options.response;
  }
}

export type PublishFn = (post: ClaimedPost, context: { signal: AbortSignal; worker: string }) => Promise<PublishResult>;

/** What the worker did, for the app's logs. */
export type PublishWorkerEvent =
  | { type: 'claimed'; post: ClaimedPost }
  | { type: 'published'; post: ClaimedPost; platformPostId: string }
  | { type: 'retry' | 'failed'; post: ClaimedPost; error: string; nextAttemptAt: Date | null }
  | { type: 'unknown'; post: ClaimedPost; error: string }
  /** The claim was no longer this worker's when it reported (its lease ran out and the post was settled). */
  | { type: 'stale'; post: ClaimedPost; error: string; platformPostId?: string }
  | { type: 'lease_lost'; post: ClaimedPost; error: string }
  | { type: 'error'; error: unknown; post?: ClaimedPost };

export const publishWorkerOptionsSchema = z.strictObject({
  publish: z.custom<PublishFn>((v) => typeof v === 'function', 'must be a function (post) => Promise<{ platformPostId, url }>'),
  /** Written on claims and attempts; default host:pid:random. */
  worker: z.string().trim().min(1).max(100).optional(),
  /** Posts published at once (default 4). */
  concurrency: z.number().int().min(1, 'must be at least 1').max(100, 'must be at most 100').default(4),
  /** A claim's lease (default 5 minutes); heartbeats renew it while `publish` runs. */
  leaseMs: z.number().int().min(1000, 'must be at least 1000 ms').max(86_400_000, 'must be at most a day').optional(),
  /** The same as `leaseMs`, in milliseconds. */
  lease: z.number().int().min(1000, 'must be at least 1000 ms').max(86_400_000, 'must be at most a day').optional(),
  /** Between heartbeats (default a third of the lease). */
  heartbeatMs: z.number().int().min(100, 'must be at least 100 ms').optional(),
  /** How long to wait when nothing is due (default 1 s). */
  pollMs: z.number().int().min(10, 'must be at least 10 ms').max(3_600_000).default(1000),
  /** Stops claiming when aborted; posts in flight finish (their `publish` gets this signal too). */
  signal: z.custom<AbortSignal>((v) => v instanceof AbortSignal, 'must be an AbortSignal').optional(),
  retry: retryPolicySchema.optional(),
  /**
   * What an error from `publish` other than a PublishError means. `unknown` (default): it may have
   * reached the platform, so reconcile it; `retry`: a transient failure, retried with backoff.
   */
  otherErrors: z.enum(['unknown', 'retry']).default('unknown'),
  onEvent: z.custom<(e: PublishWorkerEvent) => void>((v) => typeof v === 'function', 'must be a function').optional(),
});
export type PublishWorkerOptions = z.input<typeof publishWorkerOptionsSchema>;

export interface PublishWorkerStats {
  worker: string;
  claimed: number;
  published: number;
  retried: number;
  failed: number;
  unknown: number;
  /** Outcomes refused because the claim was no longer this worker's. */
  stale: number;
  /** Errors talking to the database (claims, reports); the loop carried on. */
  errors: number;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/** A report to the database, tried again (three times in all) unless the claim was refused. */
async function report<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      if (err instanceof StaleClaimError || attempt >= 3) throw err;
      await sleep(200 * attempt);
    }
  }
}

/**
 * Publishes due posts until `signal` aborts, then waits for the posts in flight and returns what it
 * did. `publish(post)` is the app's call to the platform: resolve with `{ platformPostId, url }`, or
 * throw a PublishError saying whether to retry (and after how long) or that the outcome is unknown.
 */
export async function runPublishWorker(db: Db, options: PublishWorkerOptions): Promise<PublishWorkerStats> {
  const parsed = parseInput('runPublishWorker', publishWorkerOptionsSchema, options);
  const o = { ...parsed, leaseMs: parsed.leaseMs ?? parsed.lease ?? 300_000 };
  const worker = o.worker ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const signal = o.signal ?? new AbortController().signal;
  const heartbeatMs = o.heartbeatMs ?? Math.floor(o.leaseMs / 3);
  const stats: PublishWorkerStats = { worker, claimed: 0, published: 0, retried: 0, failed: 0, unknown: 0, stale: 0, errors: 0 };
  const emit = (e: PublishWorkerEvent) => {
    try {
      o.onEvent?.(e);
    } catch {
      // A logging callback that throws must not stop publishing.
    }
  };
  const inFlight = new Set<Promise<void>>();

  async function handle(post: ClaimedPost): Promise<void> {
    let beating = true;
    let wake: () => void = () => {};
    const heartbeat = (async () => {
      while (beating) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, heartbeatMs);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        if (!beating) return;
        try {
          await extendPostLease(db, { postId: post.postId, claimToken: post.claimToken, leaseMs: o.leaseMs });
        } catch (err) {
          if (err instanceof StaleClaimError) {
            // The lease ran out and the post is unknown now; publishing goes on, and its result is still
            // accepted (complete_post_publish takes it under this claim).
            emit({ type: 'lease_lost', post, error: err.message });
            return;
          }
          stats.errors++;
          emit({ type: 'error', error: err, post });
        }
      }
    })();

    let result: PublishResult | undefined;
    let failure: unknown;
    try {
      result = await o.publish(post, { signal, worker });
      const id = (result as Partial<PublishResult> | undefined)?.platformPostId;
      if (typeof id !== 'string' || id.trim() === '') {
        // It resolved, so it may well have published: without the platform's id nobody can tell which.
        failure = new PublishError(`publish resolved without a platformPostId (got ${JSON.stringify(result) ?? 'undefined'})`, {
          outcomeUnknown: true,
        });
        result = undefined;
      }
    } catch (err) {
      failure = err;
    } finally {
      beating = false;
      wake();
      await heartbeat;
    }

    try {
      if (result) {
        await report(() =>
          completePostPublish(db, {
            postId: post.postId,
            claimToken: post.claimToken,
            platformPostId: result.platformPostId,
            url: result.url,
            publishedAt: result.publishedAt,
            response: result.response,
          }),
        );
        stats.published++;
        emit({ type: 'published', post, platformPostId: result.platformPostId });
        return;
      }
      const e = failure instanceof PublishError ? failure : undefined;
      const message = failure instanceof Error ? failure.message || failure.name : String(failure);
      if (e?.outcomeUnknown || (!e && o.otherErrors === 'unknown')) {
        await report(() => markPostPublishUnknown(db, { postId: post.postId, claimToken: post.claimToken, error: message, response: e?.response }));
        stats.unknown++;
        emit({ type: 'unknown', post, error: message });
        return;
      }
      const r = await report(() =>
        failPostPublish(db, {
          postId: post.postId,
          claimToken: post.claimToken,
          error: message,
          retryable: e ? e.retryable : true,
          retryAfterMs: e?.retryAfterMs,
          response: e?.response,
          ...(o.retry ? { retry: o.retry } : {}),
        }),
      );
      if (r.status === 'scheduled') stats.retried++;
      else stats.failed++;
      emit({ type: r.status === 'scheduled' ? 'retry' : 'failed', post, error: message, nextAttemptAt: r.nextAttemptAt });
    } catch (err) {
      if (err instanceof StaleClaimError) {
        stats.stale++;
        emit({ type: 'stale', post, error: err.message, platformPostId: result?.platformPostId });
      } else {
        // The database is unreachable: the lease runs out and the post becomes unknown, to be reconciled.
        stats.errors++;
        emit({ type: 'error', error: err, post });
      }
    }
  }

  while (!signal.aborted) {
    const free = o.concurrency - inFlight.size;
    let claimed: ClaimedPost[] = [];
    if (free > 0) {
      try {
        claimed = await claimDuePosts(db, { worker, maxPosts: free, leaseMs: o.leaseMs });
      } catch (err) {
        stats.errors++;
        emit({ type: 'error', error: err });
      }
      for (const post of claimed) {
        stats.claimed++;
        emit({ type: 'claimed', post });
        const task: Promise<void> = handle(post).finally(() => inFlight.delete(task));
        inFlight.add(task);
      }
      // A full batch: more may be due right now.
      if (claimed.length === free && !signal.aborted) continue;
    }
    const waits: Promise<unknown>[] = [sleep(o.pollMs, signal)];
    if (inFlight.size > 0) waits.push(Promise.race(inFlight));
    await Promise.race(waits);
  }
  await Promise.allSettled([...inFlight]);
  return stats;
}
