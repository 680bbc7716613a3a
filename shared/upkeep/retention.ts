import { retentionDaysOf, type AppConfig } from '../config/config';
import type { IdempotencyStore } from '../access/idempotency';
import type { ImageStore } from '../storage/imageStore';
import type { JobStore } from '../storage/jobStore';
import type { SafetyEventStore } from '../storage/safetyEventStore';
import type { UploadStore } from '../storage/uploadStore';
import type { Logger } from '../logger';
import { failureReason, type DeletionFailure } from '../storage/deletions';
import { uploadLifetimeInMs } from '../storage/uploadStore';

/** What a retention run deleted, and what it could not (it goes on past each, so one cannot shield the rest). */
export interface RetentionReport {
  readonly jobs: number;
  readonly uploads: number;
  readonly safetyEvents: number;
  readonly failures: readonly DeletionFailure[];
}

const dayInMs = 24 * 60 * 60_000;

/**
 * Retention per school: each school's jobs (records and pictures) and safety events are deleted once older
 * than its TENANTS `retentionDays` (RETENTION_DAYS when it sets none), counted from the last change as the
 * Azure lifecycle rule counts. Blob names are not prefixed by school (`{jobId}/…`, `{jobId}.json`), so a
 * lifecycle rule cannot tell schools apart: in Azure the rule is the backstop at the longest retention of
 * any school (infra/main.bicep), and the sweepJobs timer runs this for the per-school part, locally as in
 * Azure. A job record names its school in blob metadata (storage/jobStore.ts), so only the
 * records of jobs old enough for the shortest retention and written before that metadata are read.
 */
/** What retention deletes from: every store that holds a job's data, and the schools' retention settings. */
export interface RetentionDeps {
  readonly config: Pick<AppConfig, 'retentionDays' | 'tenants'>;
  readonly jobs: JobStore;
  readonly images: ImageStore;
  readonly idempotency: IdempotencyStore;
  readonly uploads: UploadStore;
  readonly safetyEvents: SafetyEventStore;
  ensureStorage(): Promise<void>;
}

export async function deleteExpiredJobs(services: RetentionDeps, log: Logger, now: Date = new Date()): Promise<RetentionReport> {
  await services.ensureStorage();
  const { config } = services;
  const days = new Map(config.tenants.map((tenant) => [tenant.id, retentionDaysOf(config, tenant)]));
  const daysOf = (tenantId: string | undefined) => (tenantId === undefined ? undefined : days.get(tenantId)) ?? config.retentionDays;
  const shortest = Math.min(config.retentionDays, ...days.values());
  let jobs = 0;
  const failures: DeletionFailure[] = [];
  for await (const listed of services.jobs.list()) {
    const age = now.getTime() - listed.lastModified.getTime();
    if (age <= shortest * dayInMs) continue;
    try {
      // A school removed from TENANTS keeps the default retention.
      const tenantId = listed.tenantId ?? (await services.jobs.get(listed.id))?.tenantId;
      if (age <= daysOf(tenantId) * dayInMs) continue;
      await services.idempotency.markErased(listed.id);
      await services.images.deleteAll(listed.id);
      await services.jobs.delete(listed.id);
      jobs++;
    } catch (error) {
      failures.push({ item: `job ${listed.id}`, reason: failureReason(error) });
    }
  }
  if (jobs > 0) log.log(`Retention: deleted ${jobs} jobs past their school's retention, with their images.`);
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
 * Deletes safety events (a student id and the prompt they wrote) older than their school's retention. Table
 * entities have no lifecycle rule in Azure, so the sweepJobs timer runs this there, and deleteExpiredJobs
 * locally. Each school's partition at its own age, then every partition at the longest (schools removed from
 * TENANTS since).
 */
export async function deleteExpiredSafetyEvents(services: Pick<RetentionDeps, 'ensureStorage' | 'config' | 'safetyEvents'>, log: Logger, now: Date = new Date()): Promise<number> {
  await services.ensureStorage();
  const { config } = services;
  const before = (days: number) => new Date(now.getTime() - days * dayInMs);
  let deleted = 0;
  for (const tenant of config.tenants) deleted += await services.safetyEvents.deleteOlderThan(before(retentionDaysOf(config, tenant)), tenant.id);
  deleted += await services.safetyEvents.deleteOlderThan(before(longestRetentionDays(config)));
  if (deleted > 0) log.log(`Retention: deleted ${deleted} safety events past their school's retention.`);
  return deleted;
}

/** The longest any school keeps its data: where the Azure lifecycle rule must sit (it cannot tell schools apart). */
function longestRetentionDays(config: Pick<AppConfig, 'retentionDays' | 'tenants'>): number {
  return Math.max(config.retentionDays, ...config.tenants.map((tenant) => retentionDaysOf(config, tenant)));
}
