import type { QueueClient } from '@azure/storage-queue';
import { encodeErasureMessage } from './operation';
import { sendMessage } from '../storage/queueMessage';

/** The `student-erasures` queue: one message per erasure operation (its id only). */
export interface ErasureQueue {
  readonly name: string;
  enqueue(operationId: string): Promise<void>;
  createIfNotExists(): Promise<void>;
}

export function createErasureQueue(queue: QueueClient): ErasureQueue {
  return {
    name: queue.name,
    async enqueue(operationId) {
      await sendMessage(queue, encodeErasureMessage({ operationId }));
    },
    async createIfNotExists() {
      await queue.createIfNotExists();
    },
  };
}
