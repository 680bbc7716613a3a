import type { ContainerClient } from '@azure/storage-blob';
import { RateLimitError } from '../errors';
import { isStatus, readJsonBlob, writeJsonBlob } from './blobJson';
import { LastVersions } from './lastVersions';
import { deleteBlobAndSnapshots } from './deletions';

/**
 * Counters as small JSON blobs, changed only under ETag conditions, so concurrent submits on any number of
 * instances never count past a limit.
 *
 * Every submit adds to the same few counters (the school's submit rate, its day and month, the waiting
 * line's ticket), so one process's concurrent adds would otherwise queue behind each other's retries. Two
 * things keep that cheap without giving up exactness:
 * - Combining: adds to one counter that arrive while a write for it is out wait and go together in the
 *   next write, one read-modify-write for all of them instead of one each that collide.
 * - Remembering: after each read or write the store keeps the counter's ETag and count, and the next write
 *   goes straight from them. If another process wrote meanwhile the ETag no longer matches and the store
 *   reads and re-applies, so a stale memory costs a retry, never a wrong count.
 */
export interface CounterStore {
  /** Adds `amount` unless the count would pass `limit`; says whether it did and what the count is now. */
  tryAdd(name: string, amount: number, limit: number): Promise<{ added: boolean; count: number }>;
  /** The stored count, always read from storage (usage and status must see other processes' adds). */
  get(name: string): Promise<number>;
  /** Deletes every counter whose name starts with `prefix` (a student's, at their erasure); returns how many. */
  deletePrefix(prefix: string): Promise<number>;
}

interface Counter {
  readonly count: number;
  readonly updated?: string;
}

function parseCounter(value: unknown): Counter {
  const count = typeof value === 'object' && value !== null && 'count' in value ? value.count : undefined;
  return { count: typeof count === 'number' ? count : 0 };
}

/** A tryAdd waiting for its flight. */
interface PendingAdd {
  readonly amount: number;
  readonly limit: number;
  resolve(result: { added: boolean; count: number }): void;
  reject(error: unknown): void;
}

/** A counter as this process last read or wrote it; no ETag means the blob did not exist. */
interface Seen {
  readonly etag: string | undefined;
  readonly count: number;
}

/** Names are per minute and per day, so they roll over; old ones are simply forgotten, oldest first. */
const rememberedNames = 2000;

/**
 * With combining only processes compete for a counter, not each submit, so this is rarely reached; when it
 * is, the service is busy, not broken.
 */
const maxConflicts = 50;

/**
 * Full jitter, growing to 250 ms: processes that keep colliding on one counter spread out instead of
 * retrying in lockstep until their attempts run out.
 */
const backoff = (conflict: number) => new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(250, 5 * 2 ** conflict)));

/**
 * Applies the adds in arrival order, each against its own limit, exactly as one-at-a-time tryAdds would:
 * a refused add leaves the count as it is; a negative amount (a release or refund) is never refused and
 * never takes the count below 0.
 */
function applyInOrder(start: number, adds: readonly PendingAdd[]) {
  let count = start;
  const outcomes = adds.map((add) => {
    const next = Math.max(0, count + add.amount);
    const added = !(add.amount > 0 && next > add.limit);
    if (added) count = next;
    return { add, added, count };
  });
  return { count, outcomes };
}

export function createCounterStore(container: ContainerClient): CounterStore {
  const blobFor = (name: string) => container.getBlockBlobClient(`${name}.json`);
  /** Adds that arrived while their counter's flight was out: they all go in its next flight. */
  const waiting = new Map<string, PendingAdd[]>();
  const flying = new Set<string>();
  const seen = new LastVersions<Seen>(rememberedNames);

  async function read(name: string): Promise<Seen> {
    const found = await readJsonBlob(blobFor(name));
    return found ? { etag: found.etag, count: parseCounter(found.value).count } : { etag: undefined, count: 0 };
  }

  /** One conditional write for the whole flight, re-read and re-applied whenever another process got there first. */
  async function settle(name: string, adds: readonly PendingAdd[]) {
    // A name never seen starts as "absent": most are new this minute or day, and then creating it
    // (If-None-Match: *) is one call instead of a read and a create. If it exists, the create fails and we read.
    let state: Seen = seen.get(name) ?? { etag: undefined, count: 0 };
    let fresh = false;
    for (let conflicts = 0; ; ) {
      const { count, outcomes } = applyInOrder(state.count, adds);
      if (outcomes.some((outcome) => !outcome.added)) {
        // Refusing needs the stored count: another process may have released images since we last saw it.
        // Accepting does not, because the conditional write checks that what we saw is still there.
        if (!fresh) {
          state = await read(name);
          fresh = true;
          continue;
        }
        if (outcomes.every((outcome) => !outcome.added)) {
          seen.set(name, state);
          return outcomes;
        }
      }
      try {
        const written: Counter = { count, updated: new Date().toISOString() };
        const etag = await writeJsonBlob(blobFor(name), written, state.etag === undefined ? { ifNoneMatch: '*' } : { ifMatch: state.etag });
        seen.set(name, { etag, count });
        return outcomes;
      } catch (error) {
        // 412: changed since we saw it; 409: created since we saw it absent; 404: deleted since we saw it (a
        // student's erasure resets their counters). Read again and re-apply.
        if (!(isStatus(error, 412) || isStatus(error, 409) || isStatus(error, 404))) throw error;
        if (++conflicts >= maxConflicts) {
          throw new RateLimitError('ServiceBusy', 'Many requests are updating the same counter right now. Try again in a second.', { retryAfterInSeconds: 1 });
        }
        // A stale memory is expected (another process wrote): read at once. Losing after a fresh read means
        // processes are racing: pause first.
        if (fresh) await backoff(conflicts);
        state = await read(name);
        fresh = true;
      }
    }
  }

  /** Flies flights for one counter, one at a time, until no adds are waiting for it. */
  async function fly(name: string): Promise<void> {
    flying.add(name);
    try {
      for (let adds = waiting.get(name); adds; adds = waiting.get(name)) {
        waiting.delete(name);
        try {
          for (const { add, added, count } of await settle(name, adds)) add.resolve({ added, count });
        } catch (error) {
          // Nothing of this flight was counted; forget the counter so the next flight starts from a read.
          seen.forget(name);
          for (const add of adds) add.reject(error);
        }
      }
    } finally {
      flying.delete(name);
    }
  }

  return {
    tryAdd(name, amount, limit) {
      return new Promise((resolve, reject) => {
        const adds = waiting.get(name) ?? [];
        adds.push({ amount, limit, resolve, reject });
        waiting.set(name, adds);
        if (!flying.has(name)) void fly(name);
      });
    },
    async get(name) {
      return (await read(name)).count;
    },
    async deletePrefix(prefix) {
      let deleted = 0;
      for await (const blob of container.listBlobsFlat({ prefix })) {
        await deleteBlobAndSnapshots(container.getBlobClient(blob.name));
        seen.forget(blob.name.replace(/\.json$/, ''));
        deleted++;
      }
      return deleted;
    },
  };
}
