import { RateLimitError } from '../errors';

/**
 * How much a studio session may read per instance: a token bucket per session, where a read costs what it
 * makes the instance do (one for a status or the session, one more for each job a gallery page renders).
 * One token looping the gallery took 85 % of a core and slowed every other caller; a page polling a job
 * every second (while previews come) spends 1 a second, well under the refill.
 *
 * Kept in memory, per instance: a read limit protects this instance's CPU, which is what a loop costs, and
 * needs no storage call. With several instances a session gets at most this much from each.
 */
export interface ReadBudget {
  /** Most reads in a burst (also the bucket's size). */
  readonly burst: number;
  /** Reads added back each second. */
  readonly perSecond: number;
}

export const sessionReadBudget: ReadBudget = { burst: 120, perSecond: 3 };

export interface Bucket {
  readonly tokens: number;
  readonly at: number;
}

/** The bucket after taking `cost` at `now`, or how long to wait until it can be taken (pure, for tests). */
export function takeFromBucket(bucket: Bucket | undefined, cost: number, now: number, budget: ReadBudget): { bucket: Bucket } | { retryAfterInMs: number } {
  const refilled = bucket === undefined ? budget.burst : Math.min(budget.burst, bucket.tokens + ((now - bucket.at) / 1000) * budget.perSecond);
  // A read dearer than the whole bucket is allowed from a full one, so a large page is slow, never impossible.
  const needed = Math.min(cost, budget.burst);
  if (refilled >= needed) return { bucket: { tokens: refilled - needed, at: now } };
  return { retryAfterInMs: Math.ceil(((needed - refilled) / budget.perSecond) * 1000) };
}

export interface SessionReads {
  /** Takes `cost` reads from this session's budget, or throws 429 RateLimited with Retry-After. */
  take(sessionId: string, cost?: number): void;
}

/** Buckets of the sessions seen most recently; a forgotten one starts full again, which only forgives. */
const maxSessions = 10_000;

export function createSessionReads(budget: ReadBudget = sessionReadBudget, clock: () => number = Date.now): SessionReads {
  const buckets = new Map<string, Bucket>();
  return {
    take(sessionId, cost = 1) {
      const taken = takeFromBucket(buckets.get(sessionId), cost, clock(), budget);
      if ('retryAfterInMs' in taken) {
        throw new RateLimitError('RateLimited', 'This studio page is asking too often. Wait a moment, then try again.', { retryAfterInSeconds: taken.retryAfterInMs / 1000 });
      }
      buckets.delete(sessionId);
      buckets.set(sessionId, taken.bucket);
      if (buckets.size > maxSessions) {
        const oldest = buckets.keys().next();
        if (!oldest.done) buckets.delete(oldest.value);
      }
    },
  };
}
