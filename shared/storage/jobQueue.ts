import type { QueueClient } from '@azure/storage-queue';
import { encodeJobMessage } from '../jobs/jobMessage';

/**
 * The `image-jobs` queue, as the rest of the code sees it: put a job on it, now or later. Nothing outside
 * storage/ touches a QueueClient.
 */
export interface JobQueue {
  readonly name: string;
  /** A message for the job, visible after `delayInSeconds` (default at once). */
  enqueue(jobId: string, options?: { delayInSeconds?: number }): Promise<void>;
  createIfNotExists(): Promise<void>;
  /** Throws if the queue does not answer (health). */
  probe(): Promise<void>;
  /** Messages on the queue, visible or not (Azure's approximate count). */
  approximateLength(): Promise<number>;
}

/** Azure Storage allows a message to stay invisible for at most 7 days. */
const maxDelayInSeconds = 7 * 24 * 60 * 60;

export function createJobQueue(queue: QueueClient): JobQueue {
  return {
    name: queue.name,
    async enqueue(jobId, options = {}) {
      const delay = Math.min(maxDelayInSeconds, Math.max(0, Math.ceil(options.delayInSeconds ?? 0)));
      await queue.sendMessage(encodeJobMessage({ jobId }), delay > 0 ? { visibilityTimeout: delay } : {});
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
  };
}
