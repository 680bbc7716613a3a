import { app, type InvocationContext } from '@azure/functions';
import { failPoisonedJob } from '../shared/jobProcessor';
import { getServices } from '../shared/services';
import { storageNames } from '../shared/storageNames';

const services = getServices();

/** Messages the host gave up on (after maxDequeueCount) end their job as Failed, so nobody polls forever. */
app.storageQueue('failPoisonedJob', {
  queueName: storageNames.poisonQueue,
  connection: 'AzureWebJobsStorage',
  handler: (message: unknown, context: InvocationContext) => failPoisonedJob(services, message, context),
});
