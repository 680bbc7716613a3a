import { repairNeverEnqueued } from './jobSubmission';
import type { Logger } from './logger';
import type { Services } from './services';

/**
 * Finds jobs a crash stranded between storing and enqueueing (NotStarted, never enqueued, older than a
 * minute) and enqueues them, so an accepted job ends even if nobody reads its status. It reads only the
 * blob listing (status and enqueued are blob metadata), so it is cheap to run every few minutes.
 */
export async function repairStrandedJobs(services: Services, log: Logger, now: number = Date.now()): Promise<number> {
  await services.ensureStorage();
  const container = services.blobService.getContainerClient(services.jobsContainerName);
  let repaired = 0;
  for await (const blob of container.listBlobsFlat({ includeMetadata: true })) {
    if (blob.metadata?.['status'] !== 'NotStarted' || blob.metadata['enqueued'] !== 'no') continue;
    const job = await services.jobs.get(blob.name.replace(/\.json$/, ''));
    if (!job) continue;
    const after = await repairNeverEnqueued(services, job, log, now);
    if (after.enqueuedDateTime && !job.enqueuedDateTime) repaired++;
  }
  return repaired;
}
