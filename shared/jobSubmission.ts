import { randomUUID } from 'node:crypto';
import { RequestError, ServiceUnavailableError } from './errors';
import type { JobRecord } from './job';
import { encodeJobMessage } from './jobMessage';
import type { Logger } from './logger';
import type { Services } from './services';
import type { Tenant } from './tenants';

/**
 * Accepts a job: validate, screen, reserve quota, store, enqueue. Nothing is stored or spent for a request
 * that fails validation, the screen or the quota. If storing or enqueueing fails the record is removed and
 * the quota given back, so no job is left waiting for a message that will never come.
 * `readBody` is called after the rate limit, so a flood of bodies is refused before it is parsed.
 */
export async function submitJob(services: Services, tenant: Tenant, readBody: () => Promise<unknown>, log: Logger): Promise<JobRecord> {
  try {
    await services.ensureStorage();
  } catch (error) {
    throw new ServiceUnavailableError('The job could not be stored.', { cause: error });
  }
  await services.quotas.countSubmit(tenant);
  const request = services.requestParser.parse(await readBody());
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
    tenantId: tenant.id,
    status: 'NotStarted',
    createdDateTime: now,
    lastUpdatedDateTime: now,
    request,
    model: services.profile.name,
    metapromptVersion: services.metaprompt.version,
    attempts: 0,
  };

  const reservation = await services.quotas.reserveImages(tenant, request.user, request.n);
  try {
    await services.jobs.create(job);
  } catch (error) {
    await reservation.release().catch(() => undefined);
    throw new ServiceUnavailableError('The job could not be stored.', { cause: error });
  }
  try {
    await services.jobQueue.sendMessage(encodeJobMessage({ jobId: job.id }));
  } catch (error) {
    await services.jobs.delete(job.id).catch((cleanupError: unknown) => {
      log.error(`Job ${job.id}: enqueue failed and the record could not be removed: ${String(cleanupError)}`);
    });
    await reservation.release().catch(() => undefined);
    throw new ServiceUnavailableError('The job could not be queued.', { cause: error });
  }
  log.log(`Job ${job.id} accepted for tenant ${tenant.id}: n=${request.n} size=${request.size} model=${job.model}`);
  return job;
}

/** Erases a job at once (right to erasure): its images first, then its record. */
export async function deleteJob(services: Services, job: JobRecord, log: Logger): Promise<void> {
  await services.images.deleteAll(job.id);
  await services.jobs.delete(job.id);
  // A worker that was generating when the record vanished removes what it saved (see processJob).
  log.log(`Job ${job.id} deleted by tenant ${job.tenantId}.`);
}
