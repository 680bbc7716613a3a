import type { QueueClient } from '@azure/storage-queue';
import { sendMessage } from './queueMessage';
import { encodeJobMessage, jobMessageFor } from './jobMessage';

/**
 * The `image-jobs` queue, as the rest of the code sees it: put a job on it, now or later. Nothing outside
 * storage/ touches a QueueClient.
 */
export interface JobQueue {
  readonly name: string;
  /** A message for the job, visible after `delayInSeconds` (default at once), with `ticket` as its ticket (default a new one). */
  enqueue(jobId: string, options?: { delayInSeconds?: number; ticket?: string }): Promise<void>;
  createIfNotExists(): Promise<void>;
  /** Throws if the queue does not answer (health). */
  probe(): Promise<void>;
  /** Messages on the queue, visible or not (Azure's approximate count). */
  approximateLength(): Promise<number>;
  /** When the message at the front of the queue was put there; undefined when no message is visible. */
  oldestVisibleInsertedOn(): Promise<Date | undefined>;
}

export function createJobQueue(queue: QueueClient): JobQueue {
  return {
    name: queue.name,
    async enqueue(jobId, options = {}) {
      // jobMessageFor adds the active trace, so a redelivery made by the worker or the sweep stays in the job's trace.
      await sendMessage(queue, encodeJobMessage(jobMessageFor(jobId, options.ticket)), options.delayInSeconds);
    },
    async createIfNotExists() {
      await queue.createIfNotExists();
    },
    async probe() {
      await queue.getProperties();
    },
    async approximateLength() {
      return (await queue.getProperties()).approximateMessagesCount ?? 0;
    },
    async oldestVisibleInsertedOn() {
      return (await queue.peekMessages({ numberOfMessages: 1 })).peekedMessageItems[0]?.insertedOn;
    },
  };
}
