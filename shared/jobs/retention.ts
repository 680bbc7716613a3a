import type { Logger } from '../logger';
import type { Services } from '../services';
import { uploadLifetimeInMs } from '../storage/uploadStore';

/**
 * Deletes job records and their images, safety events after RETENTION_DAYS, (and uploads after a day) once they are older than the retention period (by last change,
 * as the Azure lifecycle rule counts). In Azure the storage lifecycle rule does this; locally `npm start`
 * runs it hourly, and `npm run cleanup` on demand.
 */
export async function deleteExpiredJobs(services: Pick<Services, 'ensureStorage' | 'config' | 'jobs' | 'images' | 'idempotency' | 'uploads' | 'safetyEvents'>, log: Logger, now: Date = new Date()): Promise<number> {
  await services.ensureStorage();
  const cutoff = now.getTime() - services.config.retentionDays * 24 * 60 * 60_000;
  let deleted = 0;
  for await (const job of services.jobs.list()) {
    if (job.lastModified.getTime() >= cutoff) continue;
    await services.idempotency.markErased(job.id);
    await services.images.deleteAll(job.id);
    await services.jobs.delete(job.id);
    deleted++;
  }
  if (deleted > 0) log.log(`Retention: deleted ${deleted} jobs older than ${services.config.retentionDays} days, with their images.`);
  // Uploads (children's photos) live a day, used or not, as the Azure lifecycle rule keeps them.
  const uploads = await services.uploads.deleteOlderThan(new Date(now.getTime() - uploadLifetimeInMs));
  if (uploads > 0) log.log(`Retention: deleted ${uploads} uploads older than a day.`);
  await deleteExpiredSafetyEvents(services, log, now);
  return deleted;
}

/**
 * Deletes safety events (a student id and the prompt they wrote) older than RETENTION_DAYS. Table entities
 * have no lifecycle rule in Azure, so the sweepJobs timer runs this there, and deleteExpiredJobs locally.
 */
export async function deleteExpiredSafetyEvents(services: Pick<Services, 'ensureStorage' | 'config' | 'safetyEvents'>, log: Logger, now: Date = new Date()): Promise<number> {
  await services.ensureStorage();
  const deleted = await services.safetyEvents.deleteOlderThan(new Date(now.getTime() - services.config.retentionDays * 24 * 60 * 60_000));
  if (deleted > 0) log.log(`Retention: deleted ${deleted} safety events older than ${services.config.retentionDays} days.`);
  return deleted;
}
