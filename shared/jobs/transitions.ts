import { isTerminal, jobBaseSchema, type JobBase, type JobError, type JobRecord, type JobUsage, type RunningJob, type StoredImage, type WebhookAttempt, type WebhookDelivery } from './job';

/**
 * The job's state machine: every change of a job record is one of these named, pure transitions. Each
 * takes the current record and returns the next one, or undefined for "no change" (the store then saves
 * nothing and hands back the record as it is, so the caller can see why). The stores and the worker only
 * apply them, under the record's ETag (storage/jobStore.ts `update`).
 *
 *   NotStarted ─start─▶ Running ─finish─▶ Succeeded | Failed
 *        │                 │ claimCall, recordWait, recordCallSucceeded, handOver (stay Running)
 *        └──── cancel ─────┴──▶ Canceled          failPoisoned ─▶ Failed (from either)
 *
 * recordWebhookAttempt adds to a job's webhook delivery log, in any state (webhooks follow the job's end).
 *
 * Side effects of a change of status (the listing index entry, an ended job's webhook) follow the save, in
 * one place: storage/jobEvents.ts `followStatusChanges`, wired around the job store in functions/lib/services.ts.
 */

/** What a worker needs to say who it is and how long its claim lasts. */
export interface Worker {
  readonly messageId: string;
  readonly now: number;
  /** When a claim taken now runs out without renewal. */
  readonly claimUntil: number;
}

const iso = (time: number) => new Date(time).toISOString();

/** The fields every state has: a job leaving Running leaves its temporary fields behind here, and only here. */
function baseOf(job: JobRecord): JobBase {
  return jobBaseSchema.parse(job);
}

function running(job: JobRecord): RunningJob {
  return job.status === 'Running' ? job : { ...baseOf(job), status: 'Running' };
}

/** The claim of another worker that still holds, if any. */
export function liveClaimOfAnother(job: JobRecord, messageId: string, now: number): string | undefined {
  if (job.status !== 'Running' || !job.claim || job.claim.messageId === messageId) return undefined;
  return Date.parse(job.claim.until) > now ? job.claim.until : undefined;
}

/** A worker starts (or, for a redelivery of the same message, resumes) the job and claims it. */
export function start(job: JobRecord, worker: Worker): JobRecord | undefined {
  if (isTerminal(job.status) || liveClaimOfAnother(job, worker.messageId, worker.now)) return undefined;
  return {
    ...running(job),
    attempts: job.attempts + 1,
    claim: { messageId: worker.messageId, until: iso(worker.claimUntil) },
    lastUpdatedDateTime: iso(worker.now),
  };
}

/** Counts a provider call before it starts: after a cancel or a delete, no call starts. */
export function claimCall(job: JobRecord, worker: Worker): JobRecord | undefined {
  if (isTerminal(job.status)) return undefined;
  const { waitingUntil: _waitingUntil, ...current } = running(job);
  return { ...current, providerCalls: (job.providerCalls ?? 0) + 1, claim: { messageId: worker.messageId, until: iso(worker.claimUntil) } };
}

export interface Wait {
  readonly error: JobError;
  /** When the next try is due. */
  readonly until: number;
  /** For transient failures: the failed call and the back-off after it, counted against the retry deadline. */
  readonly failedForMs?: number;
  /** How long a claim lasts beyond `until`. */
  readonly claimTtlMs: number;
}

/** Records a failed call: the error, when to try again, and (for transient errors) the time it cost. */
export function recordWait(job: JobRecord, worker: Worker, wait: Wait): JobRecord | undefined {
  if (isTerminal(job.status)) return undefined;
  const current = running(job);
  return {
    ...current,
    lastError: wait.error,
    waitingUntil: iso(wait.until),
    ...(wait.failedForMs !== undefined ? { failingForMs: (current.failingForMs ?? 0) + wait.failedForMs } : {}),
    claim: { messageId: worker.messageId, until: iso(wait.until + wait.claimTtlMs) },
    lastUpdatedDateTime: iso(worker.now),
  };
}

/** A call succeeded: the transient failures before it no longer count against the retry deadline. */
export function recordCallSucceeded(job: JobRecord): JobRecord | undefined {
  if (job.status !== 'Running' || job.failingForMs === undefined) return undefined;
  const { failingForMs: _failingForMs, ...rest } = job;
  return rest;
}

/** The worker gives its claim up because a new, delayed message will carry on. */
export function handOver(job: JobRecord, messageId: string): JobRecord | undefined {
  if (job.status !== 'Running' || job.claim?.messageId !== messageId) return undefined;
  const { claim: _claim, ...rest } = job;
  return rest;
}

export type Outcome =
  | { readonly status: 'Succeeded'; readonly images: readonly StoredImage[]; readonly usage: JobUsage }
  | { readonly status: 'Failed'; readonly error: JobError };

/** Ends the job once; a job that already ended keeps its first outcome. */
export function finish(job: JobRecord, outcome: Outcome, now: number): JobRecord | undefined {
  if (isTerminal(job.status)) return undefined;
  const base = { ...baseOf(job), lastUpdatedDateTime: iso(now) };
  return outcome.status === 'Succeeded'
    ? { ...base, status: 'Succeeded', images: [...outcome.images], usage: outcome.usage }
    : { ...base, status: 'Failed', error: outcome.error };
}

/** The tenant cancels a job that has not ended. Canceling a canceled job changes nothing. */
export function cancel(job: JobRecord, now: number): JobRecord | undefined {
  if (isTerminal(job.status)) return undefined;
  return { ...baseOf(job), status: 'Canceled', error: { code: 'Canceled', message: 'The job was canceled.' }, lastUpdatedDateTime: iso(now) };
}

/** The host gave up on the job's message: the job fails with the last reason the worker recorded. */
export function failPoisoned(job: JobRecord, now: number): JobRecord | undefined {
  if (isTerminal(job.status)) return undefined;
  const reason = job.status === 'Running' ? job.lastError : undefined;
  return finish(
    job,
    {
      status: 'Failed',
      error: reason
        ? { code: reason.code, message: `Gave up after ${job.attempts} attempts. ${reason.message}` }
        : { code: 'ProcessingFailed', message: `The job could not be processed after ${job.attempts} attempts.` },
    },
    now,
  );
}

/** The job's message is on the queue (set once). */
export function markEnqueued(job: JobRecord, now: number): JobRecord | undefined {
  return job.enqueuedDateTime ? undefined : { ...job, enqueuedDateTime: iso(now) };
}

/** How many attempts a delivery log keeps in full; older ones are only counted. */
const keptWebhookAttempts = 5;

export interface WebhookAttemptRecord {
  readonly id: string;
  readonly type: string;
  /** The attempt's number (1 for the first); an attempt already recorded changes nothing (a duplicate message). */
  readonly attempt: number;
  readonly result: WebhookAttempt;
  readonly state: WebhookDelivery['state'];
  readonly nextAttemptAt?: number;
}

/**
 * Ends a webhook's delivery as Failed without an attempt of ours: its message went to the poison queue (its
 * function kept failing), so no further attempt is coming. A delivered webhook stays delivered.
 */
export function failWebhookDelivery(job: JobRecord, failure: { readonly id: string; readonly type: string; readonly attempt: number; readonly at: number; readonly reason: string }): JobRecord | undefined {
  const log = job.webhooks ?? [];
  const existing = log.find((delivery) => delivery.id === failure.id);
  if (existing && existing.state !== 'Pending') return undefined;
  const delivery: WebhookDelivery = {
    id: failure.id,
    type: failure.type,
    state: 'Failed',
    attemptCount: Math.max(existing?.attemptCount ?? 0, failure.attempt),
    attempts: [...(existing?.attempts ?? []), { at: iso(failure.at), error: failure.reason, durationMs: 0 }].slice(-keptWebhookAttempts),
  };
  return { ...job, webhooks: [...log.filter((d) => d.id !== failure.id), delivery] };
}

/** Records one delivery attempt of a webhook in the job's log. */
export function recordWebhookAttempt(job: JobRecord, record: WebhookAttemptRecord): JobRecord | undefined {
  const log = job.webhooks ?? [];
  const existing = log.find((delivery) => delivery.id === record.id);
  if (existing && existing.attemptCount >= record.attempt) return undefined;
  const delivery: WebhookDelivery = {
    id: record.id,
    type: record.type,
    state: record.state,
    attemptCount: record.attempt,
    attempts: [...(existing?.attempts ?? []), record.result].slice(-keptWebhookAttempts),
    ...(record.nextAttemptAt !== undefined ? { nextAttemptDateTime: iso(record.nextAttemptAt) } : {}),
  };
  return { ...job, webhooks: [...log.filter((d) => d.id !== record.id), delivery] };
}
