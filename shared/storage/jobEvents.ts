import type { Logger } from '../logger';
import type { JobStore } from './jobStore';
import type { JobIndex } from './jobIndex';
import { isTerminal, type JobRecord } from '../jobs/job';
import type { LineStore } from './lineStore';

/**
 * What follows a job's status change, outside its record: the listing index is brought up to date, and a job
 * that has ended leaves the waiting line (its entry is marked done: its start still counts in the turns for
 * a while, jobs/turns.ts) and gets its webhook queued (`queueWebhook`: webhooks/outbox/outbox.ts `queueWebhookFor`, wired in
 * functions/lib/services.ts). `followStatusChanges` runs it after every saved change of status, so
 * the worker, cancel and the poison handler need not know; the sweep runs the same `statusChanged` to repair
 * what a crash in between left undone. The webhook is queued before the index is updated, so an index that
 * shows the new status means the webhook was queued (the sweep compares the index with the records).
 */
export interface JobEvents {
  statusChanged(job: JobRecord): Promise<void>;
  /** Before a job is erased: its index entry and its place in line go first (they name the student). */
  erasing(job: JobRecord): Promise<void>;
}

export function createJobEvents(parts: {
  readonly index: JobIndex;
  readonly line: Pick<LineStore, 'markDone' | 'remove'>;
  readonly queueWebhook: (job: JobRecord) => Promise<void>;
}): JobEvents {
  return {
    async statusChanged(job) {
      // Whichever path ended the job (the worker, a cancel, the poison handler), this is where it leaves the line.
      if (isTerminal(job.status)) await parts.line.markDone(job.id, Date.parse(job.lastUpdatedDateTime));
      await parts.queueWebhook(job);
      await parts.index.upsert(job);
    },
    async erasing(job) {
      await parts.index.remove(job);
      await parts.line.remove([job.id]);
    },
  };
}

/**
 * The job store, with `events` run after each saved change of status (and after create). A failure there
 * does not undo or fail the change: it is logged, and the sweep repairs it within minutes. Deleting runs
 * `erasing` first, and fails if it fails, so an erased job does not linger in the index.
 */
export function followStatusChanges(store: JobStore, events: JobEvents, log: Logger): JobStore {
  const followUp = (job: JobRecord) =>
    events.statusChanged(job).catch((error: unknown) => {
      log.warn(`Job ${job.id}: the index or webhook could not follow its status ${job.status} (the sweep will repair it): ${String(error)}`);
    });
  return {
    ...store,
    async create(job) {
      await store.create(job);
      await followUp(job);
    },
    async update(id, change) {
      let before: string | undefined;
      let after: string | undefined;
      const saved = await store.update(id, (current) => {
        // Runs again on a lost ETag race; the last run is the one that was saved.
        const next = change(current);
        before = current.status;
        after = next?.status;
        return next;
      });
      if (saved && after !== undefined && after !== before) await followUp(saved);
      return saved;
    },
    async delete(id) {
      const job = await store.get(id);
      if (job) await events.erasing(job);
      await store.delete(id);
    },
  };
}
