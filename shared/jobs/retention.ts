import type { Logger } from '../logger';
import type { Services } from '../services';
import { failureReason, type DeletionFailure } from '../storage/deletions';
import { uploadLifetimeInMs } from '../storage/uploadStore';

/** What a retention run deleted, and what it could not (it goes on past each, so one cannot shield the rest). */
export interface RetentionReport {
  readonly jobs: number;
  readonly uploads: number;
  readonly safetyEvents: number;
  readonly failures: readonly DeletionFailure[];
}

/**
 * Deletes job records and their images, safety events after RETENTION_DAYS, (and uploads after a day) once they are older than the retention period (by last change,
 * as the Azure lifecycle rule counts). In Azure the storage lifecycle rule does this; locally `npm start`
 * runs it hourly, and `npm run cleanup` on demand. A job or upload that cannot be deleted is logged and
 * reported, and the run goes on: stopping at the first would keep every later child's data past its time.
 */
export async function deleteExpiredJobs(services: Pick<Services, 'ensureStorage' | 'config' | 'jobs' | 'images' | 'idempotency' | 'uploads' | 'safetyEvents'>, log: Logger, now: Date = new Date()): Promise<RetentionReport> {
  await services.ensureStorage();
  const cutoff = now.getTime() - services.config.retentionDays * 24 * 60 * 60_000;
  let jobs = 0;
  const failures: DeletionFailure[] = [];
  for await (const job of services.jobs.list()) {
    if (job.lastModified.getTime() >= cutoff) continue;
    try {
      await services.idempotency.markErased(job.id);
      await services.images.deleteAll(job.id);
      await services.jobs.delete(job.id);
      jobs++;
    } catch (error) {
      failures.push({ item: `job ${job.id}`, reason: failureReason(error) });
    }
  }
  if (jobs > 0) log.log(`Retention: deleted ${jobs} jobs older than ${services.config.retentionDays} days, with their images.`);
  // Uploads (children's photos) live a day, used or not, as the Azure lifecycle rule keeps them.
  const uploads = await services.uploads.deleteOlderThan(new Date(now.getTime() - uploadLifetimeInMs));
  failures.push(...uploads.failures);
  if (uploads.deleted > 0) log.log(`Retention: deleted ${uploads.deleted} uploads older than a day.`);
  const safetyEvents = await deleteExpiredSafetyEvents(services, log, now);
  // Each is named (a job id or an upload's blob name, no content), so an operator can look at it.
  for (const failure of failures) log.error(`Retention: could not delete ${failure.item}: ${failure.reason}.`);
  return { jobs, uploads: uploads.deleted, safetyEvents, failures };
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
