import type { ContainerClient } from '@azure/storage-blob';
import { RateLimitError } from '../errors';
import { isStatus, readJsonBlob, updateJsonBlob } from './blobJson';

/**
 * Counters as small JSON blobs, changed only under ETag conditions, so concurrent submits on any number of
 * instances never count past a limit. Exact, at the price of retries when many submits hit one counter at once.
 */
export interface CounterStore {
  /** Adds `amount` unless the count would pass `limit`; says whether it did and what the count is now. */
  tryAdd(name: string, amount: number, limit: number): Promise<{ added: boolean; count: number }>;
  get(name: string): Promise<number>;
}

interface Counter {
  readonly count: number;
  readonly updated?: string;
}

function parseCounter(value: unknown): Counter {
  const count = typeof value === 'object' && value !== null && 'count' in value ? value.count : undefined;
  return { count: typeof count === 'number' ? count : 0 };
}

export function createCounterStore(container: ContainerClient): CounterStore {
  const blobFor = (name: string) => container.getBlockBlobClient(`${name}.json`);
  return {
    async tryAdd(name, amount, limit) {
      const { value, changed } = await updateJsonBlob<Counter>(blobFor(name), {
        parse: parseCounter,
        change: (current) => {
          const next = Math.max(0, (current?.count ?? 0) + amount);
          return amount > 0 && next > limit ? undefined : { count: next, updated: new Date().toISOString() };
        },
        maxAttempts: 50,
        // Full jitter, growing to 250 ms: fifty submits racing for one counter spread out instead of
        // colliding in lockstep until their attempts run out.
        backoff: (attempt) => new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(250, 5 * 2 ** attempt))),
      }).catch((error: unknown) => {
        // Still losing the race after every attempt: the service is busy, not broken; nothing was counted.
        if (isStatus(error, 412) || isStatus(error, 409)) {
          throw new RateLimitError('ServiceBusy', 'Many requests are updating the same counter right now. Try again in a second.', { retryAfterInSeconds: 1 });
        }
        throw error;
      });
      return { added: changed, count: value?.count ?? 0 };
    },
    async get(name) {
      const found = await readJsonBlob(blobFor(name));
      return found ? parseCounter(found.value).count : 0;
    },
  };
}
