import type { IdempotencyStore } from '../access/idempotency';
import type { JobRecord } from '../jobs/job';
import type { Logger } from '../logger';
import type { ImageStore } from '../storage/imageStore';
import type { JobStore } from '../storage/jobStore';
import type { SafetyEventStore } from '../storage/safetyEventStore';
import type { UploadStore } from '../storage/uploadStore';

export interface DeleteDeps {
  readonly jobs: Pick<JobStore, 'delete'>;
  readonly images: Pick<ImageStore, 'deleteAll'>;
  readonly idempotency: Pick<IdempotencyStore, 'markErased'>;
  readonly uploads: Pick<UploadStore, 'delete'>;
  readonly safetyEvents: Pick<SafetyEventStore, 'deleteForJob'>;
}

/** Erases a job at once (right to erasure): its images first, its safety events, then its record. */
export async function deleteJob(services: DeleteDeps, job: JobRecord, log: Logger): Promise<void> {
  // The tombstone first: a retried Idempotency-Key must not re-create the job, however the delete ends.
  await services.idempotency.markErased(job.id);
  await services.images.deleteAll(job.id);
  // Uploads are children's pictures: they go with the job that used them.
  for (const uploadId of job.sources?.uploadIds ?? []) await services.uploads.delete(job.tenantId, uploadId);
  // The provider's refusals of this job (its prompt and student id); refusals at submit made no job and
  // are erased by retention (RETENTION_DAYS).
  await services.safetyEvents.deleteForJob(job.tenantId, job.id);
  await services.jobs.delete(job.id);
  // A worker that was generating when the record vanished removes what it saved (see processing.ts).
  log.log(`Job ${job.id} deleted by tenant ${job.tenantId}.`);
}

