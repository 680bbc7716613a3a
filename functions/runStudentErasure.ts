import { app, type InvocationContext, type StorageQueueHandler } from '@azure/functions';
import { parseErasureMessage } from '../shared/privacy/operation';
import { runStudentErasure, type ErasureDeps } from '../shared/privacy/studentErasure';
import { getServices } from './lib/services';
import { storageNames } from '../shared/storage/storageNames';

/** One message per erasure on `student-erasures`; a thrown error (or a dead host) makes the host deliver it again, and the run resumes. */
export function runStudentErasureHandler(services: ErasureDeps): StorageQueueHandler {
  return async (input: unknown, context: InvocationContext) => {
    const message = parseErasureMessage(input);
    if (!message) return context.error('Dropped a queue message that is not an erasure message.');
    await runStudentErasure(services, message.operationId, context);
  };
}

app.storageQueue('runStudentErasure', { queueName: storageNames.erasureQueue, connection: 'AzureWebJobsStorage', handler: runStudentErasureHandler(getServices()) });
