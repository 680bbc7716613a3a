import { app, type InvocationContext, type StorageQueueHandler } from '@azure/functions';
import { deliverWebhook, type DeliveryDeps } from '../shared/webhooks/delivery';
import { getServices } from './lib/services';
import { storageNames } from '../shared/storage/storageNames';

/** One webhook attempt per message on `webhook-deliveries`; a retry is a new, delayed message (not a thrown error). */
export function deliverWebhookHandler(services: DeliveryDeps): StorageQueueHandler {
  return (message: unknown, context: InvocationContext) => deliverWebhook(services, message, { log: context });
}

app.storageQueue('deliverWebhook', { queueName: storageNames.webhookQueue, connection: 'AzureWebJobsStorage', handler: deliverWebhookHandler(getServices()) });
