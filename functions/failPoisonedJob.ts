import { app, type InvocationContext } from '@azure/functions';
import { failPoisonedJob } from '../shared/jobs/processing';
import { getServices } from '../shared/services';
import { storageNames } from '../shared/storage/storageNames';

const services = getServices();

/** Messages the host gave up on (after maxDequeueCount) end their job as Failed, so nobody polls forever. */
app.storageQueue('failPoisonedJob', {
  queueName: storageNames.poisonQueue,
  connection: 'AzureWebJobsStorage',
  handler: (message: unknown, context: InvocationContext) => failPoisonedJob(services, message, context),
});
