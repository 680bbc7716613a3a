import { isTerminal, type JobRecord } from '../../shared/jobs/job';
import type { JobStore } from '../../shared/storage/jobStore';
import { jobMetrics } from '../../shared/telemetry/metrics';
import { activeSpanEvent, annotateActiveSpan } from '../../shared/telemetry/spans';

/**
 * The job store, with every saved change of status measured: the first start gives the queue wait, and the
 * end (from the worker, a cancel or the poison handler alike) counts the job by outcome and error code, with
 * its pictures and estimated cost, and writes the outcome on the active span (the worker's, in its trace).
 * Watching the store, like storage/jobEvents.ts does, means no path that ends a job can forget to count it.
 */
export function measureJobStore(store: JobStore, now: () => number = Date.now): JobStore {
  return {
    ...store,
    async update(id, change) {
      let before: JobRecord | undefined;
      let after: JobRecord | undefined;
      const saved = await store.update(id, (current) => {
        // Runs again on a lost ETag race; the last run is the one that was saved.
        before = current;
        after = change(current);
        return after;
      });
      if (saved && before && after && saved.status === after.status) measureChange(before, after, now());
      return saved;
    },
  };
}

function measureChange(before: JobRecord, after: JobRecord, at: number): void {
  if (before.status === after.status) return;
  const createdAt = Date.parse(after.createdDateTime);
  if (before.status === 'NotStarted' && after.status === 'Running') {
    const queueWaitMs = at - Date.parse(after.enqueuedDateTime ?? after.createdDateTime);
    jobMetrics.queueWait({ model: after.model, ms: queueWaitMs });
    annotateActiveSpan({ queueWaitMs: Math.round(queueWaitMs) });
  }
  if (!isTerminal(after.status) || isTerminal(before.status)) return;
  const images = after.status === 'Succeeded' ? after.images.length : 0;
  const costUsd = after.status === 'Succeeded' ? after.usage?.estimatedCostUsd : undefined;
  const errorCode = after.status === 'Failed' || after.status === 'Canceled' ? after.error.code : undefined;
  jobMetrics.finished({ school: after.tenantId, model: after.model, status: after.status, ...(errorCode ? { errorCode } : {}), durationMs: at - createdAt, images, ...(costUsd !== undefined ? { costUsd } : {}) });
  annotateActiveSpan({ outcome: after.status, errorCode, images, costUsd });
  activeSpanEvent('job.finished', { outcome: after.status, errorCode });
}
