import type { Logger } from './logger';
import type { Services } from './services';

/**
 * Deletes job records and their images once they are older than the retention period (by last change,
 * as the Azure lifecycle rule counts). In Azure the storage lifecycle rule does this; locally `npm start`
 * runs it hourly, and `npm run cleanup` on demand.
 */
export async function deleteExpiredJobs(services: Services, log: Logger, now: Date = new Date()): Promise<number> {
  await services.ensureStorage();
  const cutoff = now.getTime() - services.config.retentionDays * 24 * 60 * 60_000;
  const container = services.blobService.getContainerClient(services.jobsContainerName);
  let deleted = 0;
  for await (const blob of container.listBlobsFlat()) {
    const jobId = blob.name.replace(/\.json$/, '');
    if (blob.properties.lastModified.getTime() >= cutoff) continue;
    await services.images.deleteAll(jobId);
    await services.jobs.delete(jobId);
    deleted++;
  }
  if (deleted > 0) log.log(`Retention: deleted ${deleted} jobs older than ${services.config.retentionDays} days, with their images.`);
  return deleted;
}
