import { app, type InvocationContext, type StorageQueueHandler } from '@azure/functions';
import type { WorkerDeps } from '../shared/worker/jobRun';
import { processJob } from '../shared/worker/processing';
import { getServices } from './lib/services';
import { storageNames } from '../shared/storage/storageNames';

/** The worker: one message per job on `image-jobs`. A thrown error makes the host retry the message. */
export function processJobHandler(services: WorkerDeps): StorageQueueHandler {
  return (message: unknown, context: InvocationContext) => {
    const messageId = context.triggerMetadata?.['id'];
    return processJob(services, message, { messageId: typeof messageId === 'string' ? messageId : '', log: context });
  };
}

app.storageQueue('processJob', { queueName: storageNames.jobQueue, connection: 'AzureWebJobsStorage', handler: processJobHandler(getServices()) });
