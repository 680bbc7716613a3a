import { randomUUID } from 'node:crypto';
import { RequestError, ServiceUnavailableError } from './errors';
import type { JobRecord } from './job';
import { encodeJobMessage } from './jobMessage';
import type { Logger } from './logger';
import type { Services } from './services';

/**
 * Accepts a job: validate, screen, store, enqueue. Nothing is stored or spent for a request that fails
 * validation or the screen. If the enqueue fails the record is removed again, so no job is left waiting
 * for a message that will never come.
 */
export async function submitJob(services: Services, body: unknown, log: Logger): Promise<JobRecord> {
  const request = services.requestParser.parse(body);
  const screen = services.promptScreen.screen(request.prompt);
  if (screen.blocked) {
    throw new RequestError(
      400,
      'PromptBlocked',
      `The prompt contains words that are not allowed for school pictures (${screen.matchedTerms.join(', ')}). Please describe the picture differently.`,
      'prompt',
    );
  }

  const now = new Date().toISOString();
  const job: JobRecord = {
    id: randomUUID(),
    status: 'NotStarted',
    createdDateTime: now,
    lastUpdatedDateTime: now,
    request,
    model: services.profile.name,
    metapromptVersion: services.metaprompt.version,
    attempts: 0,
  };

  try {
    await services.ensureStorage();
    await services.jobs.create(job);
  } catch (error) {
    throw new ServiceUnavailableError('The job could not be stored.', { cause: error });
  }
  try {
    await services.jobQueue.sendMessage(encodeJobMessage({ jobId: job.id }));
  } catch (error) {
    await services.jobs.delete(job.id).catch((cleanupError: unknown) => {
      log.error(`Job ${job.id}: enqueue failed and the record could not be removed: ${String(cleanupError)}`);
    });
    throw new ServiceUnavailableError('The job could not be queued.', { cause: error });
  }
  log.log(`Job ${job.id} accepted: n=${request.n} size=${request.size} model=${job.model}`);
  return job;
}
