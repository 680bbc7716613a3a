import type { QueueClient } from '@azure/storage-queue';
import { encodeDeliveryMessage, type DeliveryMessage } from '../webhooks/deliveryMessage';

/** The `webhook-deliveries` queue: put an attempt on it, now or later. Nothing outside storage/ touches a QueueClient. */
export interface WebhookQueue {
  readonly name: string;
  enqueue(message: DeliveryMessage, options?: { delayInSeconds?: number }): Promise<void>;
  createIfNotExists(): Promise<void>;
}

/** Azure Storage allows a message to stay invisible for at most 7 days; our longest wait is an hour. */
const maxDelayInSeconds = 7 * 24 * 60 * 60;

export function createWebhookQueue(queue: QueueClient): WebhookQueue {
  return {
    name: queue.name,
    async enqueue(message, options = {}) {
      const delay = Math.min(maxDelayInSeconds, Math.max(0, Math.ceil(options.delayInSeconds ?? 0)));
      await queue.sendMessage(encodeDeliveryMessage(message), delay > 0 ? { visibilityTimeout: delay } : {});
    },
    async createIfNotExists() {
      await queue.createIfNotExists();
    },
  };
}
