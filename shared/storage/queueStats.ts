import type { QueueServiceClient } from '@azure/storage-queue';
import { storageNames } from './storageNames';

/**
 * How full each of the service's queues is: the approximate count and the age of the message at the front.
 * The sweep records these as metrics once a run (an alert fires on an old job message or any poison), and
 * `npm run ops` shows them.
 */
export interface QueueStat {
  readonly queue: string;
  readonly depth: number;
  /** 0 when no message is visible. */
  readonly oldestAgeInSeconds: number;
}

export interface QueueStats {
  read(now?: Date): Promise<QueueStat[]>;
}

export const watchedQueues = [storageNames.jobQueue, storageNames.poisonQueue, storageNames.webhookQueue, storageNames.webhookPoisonQueue] as const;

export function createQueueStats(queueService: QueueServiceClient): QueueStats {
  return {
    async read(now = new Date()) {
      return Promise.all(
        watchedQueues.map(async (name) => {
          const queue = queueService.getQueueClient(name);
          try {
            const [properties, peeked] = await Promise.all([queue.getProperties(), queue.peekMessages({ numberOfMessages: 1 })]);
            const insertedOn = peeked.peekedMessageItems[0]?.insertedOn;
            return { queue: name, depth: properties.approximateMessagesCount ?? 0, oldestAgeInSeconds: insertedOn ? Math.max(0, (now.getTime() - insertedOn.getTime()) / 1000) : 0 };
          } catch (error) {
            // A poison queue exists only once the host has moved a message to it: absent means empty.
            if (error instanceof Error && Reflect.get(error, 'statusCode') === 404) return { queue: name, depth: 0, oldestAgeInSeconds: 0 };
            throw error;
          }
        }),
      );
    },
  };
}
