import { app, type InvocationContext, type StorageQueueHandler } from '@azure/functions';
import { getServices, type Services } from './lib/services';
import { storageNames } from '../shared/storage/storageNames';
import { failPoisonedDelivery } from '../shared/webhooks/poisonedDelivery';

/** Delivery messages the host gave up on (after maxDequeueCount) end their webhook as Failed, counted and logged as an error. */
export function failPoisonedDeliveryHandler(services: Pick<Services, 'jobs' | 'safetyEvents' | 'webhookQueue'>): StorageQueueHandler {
  return (message: unknown, context: InvocationContext) => failPoisonedDelivery(services, message, context);
}

app.storageQueue('failPoisonedDelivery', { queueName: storageNames.webhookPoisonQueue, connection: 'AzureWebJobsStorage', handler: failPoisonedDeliveryHandler(getServices()) });
