import { app, type InvocationContext, type StorageQueueHandler } from '@azure/functions';
import { parseErasureMessage } from '../shared/privacy/operation';
import { failPoisonedErasure, type ErasureDeps } from '../shared/privacy/studentErasure';
import { getServices } from './lib/services';
import { storageNames } from '../shared/storage/storageNames';

/** An erasure the host gave up on (after maxDequeueCount) ends Failed, so the school knows to ask again. */
export function failPoisonedErasureHandler(services: Pick<ErasureDeps, 'operations'>): StorageQueueHandler {
  return async (input: unknown, context: InvocationContext) => {
    const message = parseErasureMessage(input);
    if (!message) return context.error('Dropped a poison queue message that is not an erasure message.');
    await failPoisonedErasure(services, message.operationId, context);
  };
}

app.storageQueue('failPoisonedErasure', { queueName: storageNames.erasurePoisonQueue, connection: 'AzureWebJobsStorage', handler: failPoisonedErasureHandler(getServices()) });
