import type { Logger } from '../logger';
import type { JobEvents } from '../storage/jobEvents';
import type { JobIndex } from '../storage/jobIndex';
import type { JobQueue } from '../storage/jobQueue';
import type { JobStore } from '../storage/jobStore';
import type { JobRecord } from '../jobs/job';
import { markEnqueued } from '../jobs/transitions';
import { fairOrder, finishedToRemove, lineEntryFor } from '../jobs/turns';
import { isTerminal } from '../jobs/job';
import { isPresenceOver } from '../jobs/lineForecast';
import type { PresenceStore } from '../storage/presenceStore';
import type { LineStore } from '../storage/lineStore';
import type { Pseudonyms } from '../access/pseudonyms';

/**
 * Crash recovery, in one place. Submit stores the job and its function's queue output binding sends the
 * message after the function returns (functions/submitJob.ts); a crash or a storage failure in between
 * leaves a NotStarted job whose message is not on the queue. The sweepJobs timer finds such jobs and
 * enqueues them (and marks `enqueuedDateTime`), and a client's Idempotency-Key retry of the same submit
 * sends the message again at once (submission.ts). A second message is harmless: the worker's claim lets
 * one of them run the job.
 */

/** What the sweep's repairs read and write: the records, the queue, the listing index, and what follows a status change. */
export interface RecoveryDeps {
  readonly jobs: JobStore;
  readonly jobQueue: JobQueue;
  readonly line: LineStore;
  readonly presence: PresenceStore;
  readonly pseudonyms: Pick<Pseudonyms, 'studentKey'>;
  readonly jobIndex: JobIndex;
  readonly jobEvents: JobEvents;
  ensureStorage(): Promise<void>;
}

/** A NotStarted job must be this old before its message can count as lost (its send takes milliseconds). */
const neverEnqueuedAfterInMs = 60_000;

/**
 * Both times are the storage service's, to the second (HTTP dates): a message sent just after its record
 * can carry the next second, so a record this close to the front of the queue may still have its message there.
 */
const sendSlackInMs = 5_000;

/** Re-enqueues a job whose message was lost between storing and enqueueing; returns the job as it is now. */
async function repairNeverEnqueued(services: Pick<RecoveryDeps, 'jobs' | 'jobQueue'>, job: JobRecord, log: Logger, now = Date.now()): Promise<JobRecord> {
  if (job.status !== 'NotStarted' || job.enqueuedDateTime || now - Date.parse(job.createdDateTime) < neverEnqueuedAfterInMs) {
    return job;
  }
  await services.jobQueue.enqueue(job.id);
  log.warn(`Job ${job.id}: its message was not on the queue (lost between storing the job and sending it); enqueued it now.`);
  return (await services.jobs.update(job.id, (current) => markEnqueued(current, Date.now()))) ?? job;
}

/**
 * Finds jobs a crash stranded and enqueues them, so an accepted job ends even if nobody asks about it.
 * Submit records no "sent" mark (that would be a second write per submit), so the queue itself is asked:
 * the queue is first in, first out, so a NotStarted job whose record was last written before the message
 * at the front of the queue was put there has no message waiting (a job being worked on is Running). Waiting
 * jobs behind a long queue are left alone, so a backlog is never doubled. The rare wrong guess (the queue
 * does not promise strict order) costs one duplicate message, which is harmless. It reads the blob listing
 * (status and enqueued are blob metadata), one peek, and only the records of jobs it repairs, so it is
 * cheap to run every few minutes.
 */
export async function repairStrandedJobs(services: RecoveryDeps, log: Logger, now: number = Date.now()): Promise<number> {
  await services.ensureStorage();
  const frontOfQueue = await services.jobQueue.oldestVisibleInsertedOn();
  let repaired = 0;
  for await (const listed of services.jobs.list()) {
    if (listed.status !== 'NotStarted' || listed.enqueued === true) continue;
    if (frontOfQueue && listed.lastModified.getTime() + sendSlackInMs >= frontOfQueue.getTime()) continue;
    const job = await services.jobs.get(listed.id);
    if (!job) continue;
    const after = await repairNeverEnqueued(services, job, log, now);
    if (after.enqueuedDateTime && !job.enqueuedDateTime) repaired++;
  }
  return repaired;
}

/**
 * Brings the listing index in line with the job records: a job without an entry, or whose entry shows
 * another status than its record, gets its status change replayed (jobEvents.statusChanged: the webhook it
 * may not have queued, then the entry); an entry without a record (erased, or deleted by retention) is
 * removed. The index is read before the blob listing, so a job created in between is only ever added, never
 * removed. Reads the records of mismatched jobs only.
 */
export async function repairJobIndex(services: RecoveryDeps, log: Logger): Promise<number> {
  await services.ensureStorage();
  const indexed = new Map<string, { tenantId: string; status: string; createdDateTime: string }>();
  for await (const entry of services.jobIndex.listAll()) indexed.set(entry.id, entry);
  let repaired = 0;
  for await (const listed of services.jobs.list()) {
    const entry = indexed.get(listed.id);
    indexed.delete(listed.id);
    if (entry && (listed.status === undefined || entry.status === listed.status)) continue;
    const job = await services.jobs.get(listed.id);
    if (!job) continue;
    await services.jobEvents.statusChanged(job);
    log.warn(`Job ${job.id}: its listing entry ${entry ? `showed ${entry.status}, not ${job.status}` : 'was missing'}; repaired.`);
    repaired++;
  }
  for (const [id, entry] of indexed) {
    // Not in the listing: check once more, so a job stored after the listing began keeps its entry.
    if (await services.jobs.get(id)) continue;
    await services.jobIndex.remove({ id, tenantId: entry.tenantId, createdDateTime: entry.createdDateTime });
    repaired++;
  }
  return repaired;
}

/** Tickets the sweep sends at most in one run, for a line whose tickets were all lost. */
const maxTicketsPerSweep = 100;

/**
 * Brings the line in step with the job records (worker/tickets.ts takes jobs from it): a waiting job that
 * is not in it (its submit could not add it) joins; an entry whose job has ended is marked done; one whose
 * job is gone, or that ended within removalBatchInMs of the fairness window's end (jobs/turns.ts), is
 * removed, so no pupil's key outstays the window even when no ticket comes; and a line with waiting jobs but
 * no message on the queue at all (every ticket lost) gets a ticket per waiting job. A claim whose ticket died
 * needs nothing: it runs out, and the next ticket takes the job. The line is read before the blob listing,
 * so a job that joins in between is never removed. One line read, one blob listing, the records of jobs that
 * join, and the queue's length when something waits. Studio presence marks past their window go too.
 */
export async function repairLine(services: Pick<RecoveryDeps, 'jobs' | 'jobQueue' | 'line' | 'presence' | 'pseudonyms' | 'ensureStorage'>, log: Logger, now: number = Date.now()): Promise<number> {
  await services.ensureStorage();
  const entries = await services.line.list();
  const inLine = new Map(entries.map((entry) => [entry.jobId, entry]));
  const gone = new Set(inLine.keys());
  let repaired = 0;
  for await (const listed of services.jobs.list()) {
    gone.delete(listed.id);
    const entry = inLine.get(listed.id);
    if (!entry && listed.status === 'NotStarted' && now - listed.lastModified.getTime() >= neverEnqueuedAfterInMs) {
      const job = await services.jobs.get(listed.id);
      if (job?.status !== 'NotStarted') continue;
      await services.line.add(lineEntryFor(job, services.pseudonyms.studentKey));
      log.warn(`Job ${job.id}: it was not in the line; added it.`);
      repaired++;
    } else if (entry && entry.state !== 'done' && listed.status !== undefined && isTerminal(listed.status)) {
      await services.line.markDone(entry.jobId, listed.lastModified.getTime());
      repaired++;
    }
  }
  const removable = [...gone, ...finishedToRemove(entries, now, { always: true }).map((entry) => entry.jobId)];
  await services.line.remove([...new Set(removable)]);
  const waiting = fairOrder(await services.line.list(), now);
  if (waiting.length > 0 && (await services.jobQueue.approximateLength()) === 0) {
    for (const entry of waiting.slice(0, maxTicketsPerSweep)) await services.jobQueue.enqueue(entry.jobId);
    log.warn(`The line had ${waiting.length} waiting jobs and no message on the queue; sent ${Math.min(waiting.length, maxTicketsPerSweep)} tickets.`);
    repaired++;
  }
  // Last, and never in the way of the rest of the sweep: a mark left for the next run costs only a forecast.
  try {
    await services.presence.removeIfUnchanged((await services.presence.list()).filter((mark) => isPresenceOver(mark, now)));
  } catch (error) {
    log.warn(`The studio's presence marks past their window could not be removed: ${String(error)}`);
  }
  return repaired;
}
