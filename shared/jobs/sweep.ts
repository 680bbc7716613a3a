import { repairNeverEnqueued } from './submission';
import type { Logger } from '../logger';
import type { Services } from '../services';

/**
 * Finds jobs a crash stranded between storing and enqueueing (NotStarted, never enqueued, older than a
 * minute) and enqueues them, so an accepted job ends even if nobody reads its status. It reads only the
 * blob listing (status and enqueued are blob metadata), so it is cheap to run every few minutes.
 */
export async function repairStrandedJobs(services: Services, log: Logger, now: number = Date.now()): Promise<number> {
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
