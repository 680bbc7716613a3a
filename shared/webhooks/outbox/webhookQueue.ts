import type { QueueClient } from '@azure/storage-queue';
import { sendMessage } from '../../storage/queueMessage';
import { encodeDeliveryMessage, type DeliveryMessage } from './deliveryMessage';
import { activeTraceparent } from '../../telemetry/traceparent';

/** The `webhook-deliveries` queue: put an attempt on it, now or later. Nothing outside storage/ touches a QueueClient. */
export interface WebhookQueue {
  readonly name: string;
  enqueue(message: DeliveryMessage, options?: { delayInSeconds?: number }): Promise<void>;
  createIfNotExists(): Promise<void>;
}

export function createWebhookQueue(queue: QueueClient): WebhookQueue {
  return {
    name: queue.name,
    async enqueue(message, options = {}) {
      // The active span (the worker's, or the attempt before) becomes the delivery's parent: one trace per job.
      const traceparent = activeTraceparent() ?? message.traceparent;
      await sendMessage(queue, encodeDeliveryMessage(traceparent ? { ...message, traceparent } : message), options.delayInSeconds);
    },
    async createIfNotExists() {
      await queue.createIfNotExists();
    },
  };
}
