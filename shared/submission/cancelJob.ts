import { notFound } from '../access/callers';
import type { Quotas } from '../access/quotas';
import type { Tenant } from '../config/tenants';
import { ConflictError } from '../errors';
import type { JobRecord } from '../jobs/job';
import { cancel } from '../jobs/transitions';
import type { Logger } from '../logger';
import type { ImageStore } from '../storage/imageStore';
import type { JobStore } from '../storage/jobStore';

export interface CancelDeps {
  readonly jobs: Pick<JobStore, 'update'>;
  readonly images: Pick<ImageStore, 'deleteAll'>;
  readonly quotas: Pick<Quotas, 'refund'>;
}

/**
 * Cancels a job that has not finished. The change is made under the job's ETag, and the worker claims
 * every provider call under the same ETag, so no call starts after a cancel is accepted.
 */
export async function cancelJob(services: CancelDeps, tenant: Tenant, job: JobRecord, log: Logger): Promise<JobRecord> {
  let canceledNow = false;
  const current = await services.jobs.update(job.id, (found) => {
    const next = cancel(found, Date.now());
    canceledNow = next !== undefined;
    return next;
  });
  if (!current) throw notFound(job.id);
  if (current.status !== 'Canceled') {
    throw new ConflictError('NotCancelable', `The job has already finished (${current.status}).`, { target: 'id' });
  }
  if (canceledNow && !current.providerCalls) {
    // Nothing was spent on it (no provider call can start after the cancel): the quota is given back.
    const amount = { images: current.request.n, costUsd: current.reservedCostUsd ?? 0 };
    await services.quotas.refund(tenant, current.request.user, amount, new Date(current.createdDateTime)).catch((error: unknown) => {
      log.warn(`Job ${job.id}: its quota could not be given back: ${String(error)}`);
    });
  }
  // Images a running worker already saved are never returned; remove them now (the worker does too).
  await services.images.deleteAll(job.id);
  log.log(`Job ${job.id} canceled by tenant ${job.tenantId}.`);
  return current;
}
