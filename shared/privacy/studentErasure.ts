import { randomUUID } from 'node:crypto';
import type { Tenant } from '../config/tenants';
import type { JobIndexEntry } from '../storage/jobIndex';
import type { Logger } from '../logger';
import type { IdempotencyStore } from '../access/idempotency';
import type { Pseudonyms } from '../access/pseudonyms';
import type { PresenceStore } from '../storage/presenceStore';
import type { Quotas } from '../access/quotas';
import type { ImageStore } from '../storage/imageStore';
import type { JobIndex } from '../storage/jobIndex';
import type { JobStore } from '../storage/jobStore';
import type { SafetyEventStore } from '../storage/safetyEventStore';
import type { UploadStore } from '../storage/uploadStore';
import type { ErasureQueue } from './erasureQueue';
import type { OperationStore } from './operationStore';
import { isOperationTerminal, noErasures, type ErasureCounts, type OperationRecord } from './operation';

/**
 * A student's erasure (DELETE /api/students/{user}): everything the service keeps about one student of one
 * school, gone. It runs from a queue message (functions/runStudentErasure.ts), so a host that dies in the
 * middle leaves the message to come back, and a later delivery goes on where the first stopped: every step
 * is safe to repeat (a delete of what is gone is fine, counts only add what this run removed).
 *
 * What is erased, for the school's partition only (another school's student of the same id is untouched):
 * - the jobs created up to the request (a job the student submits later is a new job, kept): each job's
 *   record (with its webhook log), its pictures, thumbnails and previews, its uploads, its listing entry and
 *   its safety events. Jobs are found twice over, from the listing index (`user`) and from the job records'
 *   blob metadata (the student's pseudonym), so a job whose index entry a crash left out is found too.
 * - the Idempotency-Key records of those jobs, emptied to a tombstone first: a retried submit with an old key
 *   answers 410 and cannot re-create a job, and the tombstone names neither job nor student.
 * - the student's safety events, refusals at submit (which made no job) included, with their webhook logs;
 * - the student's quota and rate counters (the school's own totals keep what was used).
 * Then it looks again, and runs again while anything is found (a worker or submit that raced the first pass).
 *
 * Late writers cannot bring data back: a job record is never re-created by an update (storage/jobStore.ts),
 * so a running worker finds its job gone and deletes what it saved (worker/processing.ts, also after a crash);
 * webhooks of a gone job or event are not sent and their logs are not re-created (webhooks/delivery.ts).
 * Queue messages carry ids only (a job's, an event's), never the student: each is dropped when it comes up.
 */

/** What an erasure touches: its own operation record, and every store that holds the student's data. */
export interface ErasureDeps {
  readonly operations: OperationStore;
  readonly erasureQueue: ErasureQueue;
  readonly pseudonyms: Pseudonyms;
  readonly jobs: JobStore;
  readonly jobIndex: JobIndex;
  readonly images: ImageStore;
  readonly uploads: UploadStore;
  readonly safetyEvents: SafetyEventStore;
  readonly idempotency: IdempotencyStore;
  readonly quotas: Quotas;
  readonly presence: Pick<PresenceStore, 'remove'>;
  ensureStorage(): Promise<void>;
}

/** More passes than this means something keeps writing the student's data: the host retries the message. */
const maxPasses = 5;

/** Stores a new erasure operation (NotStarted) for the student; the caller sends its queue message. */
export async function createStudentErasure(services: Pick<ErasureDeps, 'operations' | 'pseudonyms' | 'ensureStorage'>, tenant: Tenant, user: string, now: Date = new Date()): Promise<OperationRecord> {
  await services.ensureStorage();
  const at = now.toISOString();
  const operation: OperationRecord = {
    id: randomUUID(),
    kind: 'studentErasure',
    tenantId: tenant.id,
    status: 'NotStarted',
    createdDateTime: at,
    lastUpdatedDateTime: at,
    studentKey: services.pseudonyms.studentKey(tenant.id, user),
    user,
    attempts: 0,
    result: noErasures,
  };
  await services.operations.create(operation);
  return operation;
}

/** Runs (or resumes) an erasure; a thrown error leaves it Running for the host to retry the message. */
export async function runStudentErasure(services: ErasureDeps, operationId: string, log: Logger): Promise<OperationRecord | undefined> {
  await services.ensureStorage();
  const started = await services.operations.update(operationId, (operation) =>
    isOperationTerminal(operation.status) ? undefined : { ...operation, status: 'Running', attempts: operation.attempts + 1, lastUpdatedDateTime: new Date().toISOString() },
  );
  if (!started) {
    log.warn(`Erasure ${operationId}: no such operation; message dropped.`);
    return undefined;
  }
  if (isOperationTerminal(started.status)) {
    log.log(`Erasure ${operationId}: already ${started.status}; duplicate message ignored.`);
    return started;
  }
  const { tenantId, user } = started;
  if (user === undefined) {
    // Cannot happen for a Running record (the id is dropped only when it ends); end it rather than loop.
    return finish(services, operationId, { code: 'InternalError', message: 'The operation lost its student id before it ended.' });
  }
  const until = new Date(started.createdDateTime);
  for (let pass = 1; pass <= maxPasses; pass++) {
    const found = await eraseOnce(services, started, user, until, log);
    if (!found) {
      const done = await finish(services, operationId);
      log.log(`Erasure ${operationId} for tenant ${tenantId}: succeeded after ${pass} ${pass === 1 ? 'pass' : 'passes'} (${describe(done?.result ?? noErasures)}).`);
      return done;
    }
  }
  throw new Error(`Erasure ${operationId}: the student's data kept coming back after ${maxPasses} passes; the message will be retried.`);
}

/** One pass over everything of the student; true when it found (and erased) anything. */
async function eraseOnce(services: ErasureDeps, operation: OperationRecord, user: string, until: Date, log: Logger): Promise<boolean> {
  const { tenantId, studentKey, id } = operation;
  const jobs = await studentJobs(services, tenantId, user, studentKey, until);
  const add = (counts: Partial<ErasureCounts>) =>
    services.operations.update(id, (current) => ({
      ...current,
      lastUpdatedDateTime: new Date().toISOString(),
      result: {
        jobs: current.result.jobs + (counts.jobs ?? 0),
        safetyEvents: current.result.safetyEvents + (counts.safetyEvents ?? 0),
        idempotencyRecords: current.result.idempotencyRecords + (counts.idempotencyRecords ?? 0),
        counters: current.result.counters + (counts.counters ?? 0),
        listingEntries: current.result.listingEntries + (counts.listingEntries ?? 0),
      },
    }));

  // The keys' tombstones before the jobs go: a retry arriving in between must meet 410, not re-create the job.
  const idempotencyRecords = await services.idempotency.eraseRecordsOf(tenantId, new Set(jobs.keys()));
  if (idempotencyRecords > 0) await add({ idempotencyRecords });

  let erasedJobs = 0;
  let orphanEntries = 0;
  for (const [jobId, entry] of jobs) {
    const job = await services.jobs.get(jobId);
    await services.images.deleteAll(jobId);
    if (job) {
      for (const uploadId of job.sources?.uploadIds ?? []) await services.uploads.delete(tenantId, uploadId);
      await services.safetyEvents.deleteForJob(tenantId, jobId);
      // Removes its listing entry first (storage/jobEvents.ts), then the record with its webhook log.
      await services.jobs.delete(jobId);
      erasedJobs++;
      // Counted as it goes, so the operation shows progress and a resumed run does not count a job twice.
      await add({ jobs: 1 });
    } else if (entry) {
      await services.jobIndex.remove({ id: jobId, tenantId, createdDateTime: entry.createdDateTime });
      orphanEntries++;
    }
  }
  if (orphanEntries > 0) await add({ listingEntries: orphanEntries });

  const safetyEvents = await services.safetyEvents.deleteForUser(tenantId, user, until);
  const counters = await services.quotas.resetUser(tenantId, user);
  // The studio's presence mark, uncounted: it says only that the student opened the studio in the last minutes.
  await services.presence.remove([studentKey]);
  if (safetyEvents > 0 || counters > 0) await add({ safetyEvents, counters });
  if (erasedJobs + orphanEntries + safetyEvents + idempotencyRecords > 0) {
    log.log(`Erasure ${id}: a pass erased ${erasedJobs} jobs, ${safetyEvents} safety events, ${idempotencyRecords} key records, ${orphanEntries} listing entries.`);
  }
  // Counters alone do not call for another pass: a submit may count against them at any time.
  return erasedJobs + orphanEntries + safetyEvents + idempotencyRecords > 0;
}

/**
 * The student's jobs created up to `until`: from the listing index by student id, and from the job records'
 * blob metadata by pseudonym (records whose index entry a crash left out). The value is the index entry
 * where there is one (to remove an entry whose record is already gone).
 */
async function studentJobs(services: ErasureDeps, tenantId: string, user: string, studentKey: string, until: Date): Promise<Map<string, JobIndexEntry | undefined>> {
  const found = new Map<string, JobIndexEntry | undefined>();
  let continuationToken: string | undefined;
  do {
    const page = await services.jobIndex.list(tenantId, { user }, { top: 1000, ...(continuationToken ? { continuationToken } : {}) });
    for (const entry of page.entries) if (Date.parse(entry.createdDateTime) <= until.getTime()) found.set(entry.id, entry);
    continuationToken = page.continuationToken;
  } while (continuationToken);
  for await (const listed of services.jobs.list()) {
    if (listed.studentKey !== studentKey || listed.tenantId !== tenantId || found.has(listed.id)) continue;
    // The listing has no creation time: a job made after the request is the student's new job, kept.
    const job = await services.jobs.get(listed.id);
    if (job && Date.parse(job.createdDateTime) <= until.getTime()) found.set(listed.id, undefined);
  }
  return found;
}

/** Ends the operation: Succeeded, or Failed with `error`; the student id goes, the pseudonym and counts stay. */
async function finish(services: Pick<ErasureDeps, 'operations'>, operationId: string, error?: { code: string; message: string }): Promise<OperationRecord | undefined> {
  return services.operations.update(operationId, (current) => {
    const { user: _user, ...rest } = current;
    return { ...rest, status: error ? 'Failed' : 'Succeeded', lastUpdatedDateTime: new Date().toISOString(), ...(error ? { error } : {}) };
  });
}

/** Ends an erasure the host gave up on (its poison message): Failed, without the student id. The school may ask again. */
export async function failPoisonedErasure(services: Pick<ErasureDeps, 'operations'>, operationId: string, log: Logger): Promise<void> {
  const ended = await services.operations.update(operationId, (current) => {
    if (isOperationTerminal(current.status)) return undefined;
    const { user: _user, ...rest } = current;
    return { ...rest, status: 'Failed', lastUpdatedDateTime: new Date().toISOString(), error: { code: 'ErasureFailed', message: 'The erasure could not be completed. Send the DELETE again: every step is safe to repeat.' } };
  });
  log.error(`Erasure ${operationId}: moved to the poison queue; now ${ended?.status ?? 'missing'}.`);
}

/**
 * The sweep's part: an erasure whose message never made it onto the queue (the send failed after the record
 * was stored) is queued again once it has waited this long. A second message for one that is only slow is
 * harmless: the steps are safe to repeat.
 */
const strandedAfterInMs = 2 * 60_000;

export async function resumeStrandedErasures(services: Pick<ErasureDeps, 'operations' | 'erasureQueue' | 'ensureStorage'>, log: Logger, now: number = Date.now()): Promise<number> {
  await services.ensureStorage();
  let resumed = 0;
  for await (const listed of services.operations.list()) {
    if (listed.status !== 'NotStarted' || now - listed.lastModified.getTime() < strandedAfterInMs) continue;
    await services.erasureQueue.enqueue(listed.id);
    log.warn(`Erasure ${listed.id}: still NotStarted after ${Math.round(strandedAfterInMs / 60_000)} minutes; queued again.`);
    resumed++;
  }
  return resumed;
}

function describe(counts: ErasureCounts): string {
  return `${counts.jobs} jobs, ${counts.safetyEvents} safety events, ${counts.idempotencyRecords} key records, ${counts.counters} counters, ${counts.listingEntries} listing entries`;
}
