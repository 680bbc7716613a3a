import { app, type InvocationContext } from '@azure/functions';
import { processJob } from '../shared/jobs/processing';
import { getServices } from '../shared/services';
import { storageNames } from '../shared/storage/storageNames';

const services = getServices();

/** The worker: one message per job on `image-jobs`. A thrown error makes the host retry the message. */
app.storageQueue('processJob', {
  queueName: storageNames.jobQueue,
  connection: 'AzureWebJobsStorage',
  handler: (message: unknown, context: InvocationContext) => {
    const messageId = context.triggerMetadata?.['id'];
    return processJob(services, message, { messageId: typeof messageId === 'string' ? messageId : '', log: context });
  },
});
