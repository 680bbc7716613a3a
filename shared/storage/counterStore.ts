import type { ContainerClient } from '@azure/storage-blob';
import { isStatus, readJsonBlob, writeJsonBlob } from './blobJson';

/**
 * Counters as small JSON blobs, changed only under ETag conditions, so concurrent submits on any number of
 * instances never count past a limit: of two writers that read the same value, one wins and the other
 * re-reads and tries again. Exact, at the price of retries when many submits hit one counter at once.
 */
export interface CounterStore {
  /** Adds `amount` unless the count would pass `limit`; says whether it did and what the count is now. */
  tryAdd(name: string, amount: number, limit: number): Promise<{ added: boolean; count: number }>;
  get(name: string): Promise<number>;
}

const maxAttempts = 50;

export function createCounterStore(container: ContainerClient): CounterStore {
  const blobFor = (name: string) => container.getBlockBlobClient(`${name}.json`);

  async function read(name: string): Promise<{ count: number; etag?: string }> {
    const found = await readJsonBlob<{ count?: unknown }>(blobFor(name));
    if (!found) return { count: 0 };
    return { count: typeof found.value.count === 'number' ? found.value.count : 0, etag: found.etag };
  }

  return {
    async tryAdd(name, amount, limit) {
      for (let attempt = 1; ; attempt++) {
        const current = await read(name);
        const next = Math.max(0, current.count + amount);
        if (amount > 0 && next > limit) return { added: false, count: current.count };
        try {
          await writeJsonBlob(
            blobFor(name),
            { count: next, updated: new Date().toISOString() },
            current.etag ? { ifMatch: current.etag } : { ifNoneMatch: '*' },
          );
          return { added: true, count: next };
        } catch (error) {
          // 412 (changed since we read it) or 409 (created since we read it): read again.
          if (!(isStatus(error, 412) || isStatus(error, 409)) || attempt >= maxAttempts) throw error;
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * Math.min(attempt, 5)));
        }
      }
    },
    async get(name) {
      return (await read(name)).count;
    },
  };
}
