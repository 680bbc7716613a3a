import { randomUUID } from 'node:crypto';
import { notFound } from '../access/callers';
import { RequestError, ServiceUnavailableError } from '../errors';
import { hashRequest } from '../access/idempotency';
import { isTerminal, type JobRecord } from './job';
import { encodeJobMessage } from './jobMessage';
import type { Logger } from '../logger';
import type { Services } from '../services';
import type { Tenant } from '../access/tenants';

/**
 * Accepting, cancelling and deleting jobs.
 *
 * Submit: validate, screen, reserve quota, store, enqueue. Nothing is stored or spent for a request that
 * fails validation, the screen or the quota. If storing or enqueueing fails the record is removed and the
 * quota given back, so the client's 5xx means "no job". A crash between storing and enqueueing leaves a
 * NotStarted job without `enqueuedDateTime`, which `repairNeverEnqueued` re-enqueues (status reads,
 * Idempotency-Key retries and the sweepJobs timer call it). Duplicate messages are harmless: the worker's claim lets one run the job.
 */

export interface SubmitOptions {
  readonly readBody: () => Promise<unknown>;
  /** The Idempotency-Key header, already checked. */
  readonly idempotencyKey?: string;
  readonly log: Logger;
}

/** A NotStarted job this old without `enqueuedDateTime` lost its message in a crash. */
export const neverEnqueuedAfterInMs = 60_000;

/** Returns the accepted job; with an Idempotency-Key that was seen before, the job it named. */
export async function submitJob(services: Services, tenant: Tenant, options: SubmitOptions): Promise<JobRecord> {
  const { log } = options;
  try {
    await services.ensureStorage();
  } catch (error) {
    throw new ServiceUnavailableError('The job could not be stored.', { cause: error });
  }
  await services.quotas.countSubmit(tenant);
  const request = services.requestParser.parse(await options.readBody());
  const screen = services.promptScreen.screen(request.prompt);
  if (screen.blocked) {
    throw new RequestError(
      400,
      'PromptBlocked',
      `The prompt contains words that are not allowed for school pictures (${screen.matchedTerms.join(', ')}). Please describe the picture differently.`,
      'prompt',
    );
  }

  let id: string = randomUUID();
  if (options.idempotencyKey) {
    const requestHash = hashRequest(request);
    const record = await services.idempotency.claim(tenant.id, options.idempotencyKey, requestHash, id);
    if (!record.fresh) {
      if (record.requestHash !== requestHash) {
        throw new RequestError(409, 'IdempotencyKeyReused', 'This Idempotency-Key was already used with a different request.', 'Idempotency-Key');
      }
      const existing = await services.jobs.get(record.jobId);
      if (existing) {
        // The client retries because it never saw an answer: the first attempt may have stopped before
        // its enqueue. A second message is harmless (the worker's claim lets one of them run the job).
        return existing.enqueuedDateTime ? existing : repairNeverEnqueued(services, existing, log, Number.MAX_SAFE_INTEGER);
      }
      // The first attempt failed before its job was stored: finish it now, under the same id.
      id = record.jobId;
    }
  }

  const reservation = await services.quotas.reserveImages(tenant, request.user, request.n);
  const ticket = await services.waitingLine.join().catch(() => undefined);
  const now = new Date().toISOString();
  const job: JobRecord = {
    id,
    tenantId: tenant.id,
    status: 'NotStarted',
    createdDateTime: now,
    lastUpdatedDateTime: now,
    request,
    model: services.profile.name,
    metapromptVersion: services.metaprompt.version,
    attempts: 0,
    ...(ticket !== undefined ? { ticket } : {}),
  };
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
  const enqueued = await markEnqueued(services, job.id).catch(() => job);
  log.log(`Job ${job.id} accepted for tenant ${tenant.id}: n=${request.n} size=${request.size} model=${job.model}`);
  return enqueued ?? job;
}

function markEnqueued(services: Services, jobId: string): Promise<JobRecord | undefined> {
  return services.jobs.update(jobId, (job) =>
    job.enqueuedDateTime ? undefined : { ...job, enqueuedDateTime: new Date().toISOString() },
  );
}

/** Re-enqueues a job whose message was lost between storing and enqueueing; returns the job as it is now. */
export async function repairNeverEnqueued(services: Services, job: JobRecord, log: Logger, now = Date.now()): Promise<JobRecord> {
  if (job.status !== 'NotStarted' || job.enqueuedDateTime || now - Date.parse(job.createdDateTime) < neverEnqueuedAfterInMs) {
    return job;
  }
  await services.jobQueue.sendMessage(encodeJobMessage({ jobId: job.id }));
  log.warn(`Job ${job.id}: was never enqueued (a crash during submit); enqueued it now.`);
  return (await markEnqueued(services, job.id)) ?? job;
}

/**
 * Cancels a job that has not finished. The change is made under the job's ETag, and the worker claims
 * every provider call under the same ETag, so no call starts after a cancel is accepted.
 */
export async function cancelJob(services: Services, job: JobRecord, log: Logger): Promise<JobRecord> {
  let finishedFirst: JobRecord | undefined;
  const canceled = await services.jobs.update(job.id, (current) => {
    finishedFirst = undefined;
    if (current.status === 'Canceled') return undefined;
    if (isTerminal(current.status)) {
      finishedFirst = current;
      return undefined;
    }
    const { claim: _claim, waitingUntil: _waitingUntil, ...rest } = current;
    return {
      ...rest,
      status: 'Canceled',
      error: { code: 'Canceled', message: 'The job was canceled.' },
      lastUpdatedDateTime: new Date().toISOString(),
    };
  });
  if (finishedFirst) {
    throw new RequestError(409, 'NotCancelable', `The job has already finished (${finishedFirst.status}).`, 'id');
  }
  if (!canceled) throw notFound(job.id);
  // Images a running worker already saved are never returned; remove them now (the worker does too).
  await services.images.deleteAll(job.id);
  log.log(`Job ${job.id} canceled by tenant ${job.tenantId}.`);
  return canceled;
}

/** Erases a job at once (right to erasure): its images first, then its record. */
export async function deleteJob(services: Services, job: JobRecord, log: Logger): Promise<void> {
  await services.images.deleteAll(job.id);
  await services.jobs.delete(job.id);
  // A worker that was generating when the record vanished removes what it saved (see processJob).
  log.log(`Job ${job.id} deleted by tenant ${job.tenantId}.`);
}
