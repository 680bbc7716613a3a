import { app, type InvocationContext, type StorageQueueHandler } from '@azure/functions';
import { failPoisonedJob } from '../shared/worker/completion';
import { getServices, type Services } from './lib/services';
import { storageNames } from '../shared/storage/storageNames';

/** Messages the host gave up on (after maxDequeueCount) end their job as Failed, so nobody polls forever. */
export function failPoisonedJobHandler(services: Pick<Services, 'jobs' | 'images' | 'line' | 'jobQueue'>): StorageQueueHandler {
  return (message: unknown, context: InvocationContext) => failPoisonedJob(services, message, context);
}

app.storageQueue('failPoisonedJob', { queueName: storageNames.poisonQueue, connection: 'AzureWebJobsStorage', handler: failPoisonedJobHandler(getServices()) });
