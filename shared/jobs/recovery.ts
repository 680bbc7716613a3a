import type { Logger } from '../logger';
import type { Services } from '../services';
import type { JobRecord } from './job';
import { markEnqueued } from './transitions';

/**
 * Crash recovery, in one place: a crash between storing a job and enqueueing its message leaves a
 * NotStarted job without `enqueuedDateTime`. The sweepJobs timer finds such jobs from the blob listing
 * and enqueues them, and a client's Idempotency-Key retry of the same submit does the same at once.
 * A second message is harmless: the worker's claim lets one of them run the job.
 */

export type RecoveryServices = Pick<Services, 'jobs' | 'jobQueue' | 'ensureStorage'>;

/** A NotStarted job this old without `enqueuedDateTime` lost its message in a crash. */
const neverEnqueuedAfterInMs = 60_000;

/** Re-enqueues a job whose message was lost between storing and enqueueing; returns the job as it is now. */
export async function repairNeverEnqueued(services: RecoveryServices, job: JobRecord, log: Logger, now = Date.now()): Promise<JobRecord> {
  if (job.status !== 'NotStarted' || job.enqueuedDateTime || now - Date.parse(job.createdDateTime) < neverEnqueuedAfterInMs) {
    return job;
  }
  await services.jobQueue.enqueue(job.id);
  log.warn(`Job ${job.id}: was never enqueued (a crash during submit); enqueued it now.`);
  return (await services.jobs.update(job.id, (current) => markEnqueued(current, Date.now()))) ?? job;
}

/**
 * Finds jobs a crash stranded (NotStarted, never enqueued, older than a minute) and enqueues them, so an
 * accepted job ends even if nobody asks about it. It reads only the blob listing (status and enqueued are
 * blob metadata), so it is cheap to run every few minutes.
 */
export async function repairStrandedJobs(services: RecoveryServices, log: Logger, now: number = Date.now()): Promise<number> {
  await services.ensureStorage();
  let repaired = 0;
  for await (const listed of services.jobs.list()) {
    if (listed.status !== 'NotStarted' || listed.enqueued !== false) continue;
    const job = await services.jobs.get(listed.id);
    if (!job) continue;
    const after = await repairNeverEnqueued(services, job, log, now);
    if (after.enqueuedDateTime && !job.enqueuedDateTime) repaired++;
  }
  return repaired;
}
