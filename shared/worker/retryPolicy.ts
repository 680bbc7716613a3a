import type { ProviderFailure } from '../provider/providerFailure';
import type { JobError } from '../jobs/job';

/**
 * The worker's one retry policy, as pure decisions (the openai client's own retries are off):
 * - a 429 is waited out as the provider asks (at most a minute; else a short jittered back-off) inside the
 *   invocation: it never fails the job and spends none of the message's dequeue attempts;
 * - 5xx, timeouts and resets (of the image call, or of the output check's call to Content Safety) get
 *   capped, jittered back-off (1 s, 2 s, 4 s … at most 30 s), twice within an invocation; then the invocation ends with an error and the queue retries the message
 *   (`retryLater`). Once failed calls and their back-offs add up to the retry deadline (time spent waiting
 *   on the queue, e.g. after a crash, does not count), the job fails as ProviderUnavailable (or, for the
 *   output check, SafetyCheckUnavailable: its pictures are withheld);
 * - content filter, auth and other 4xx answers end the job at once;
 * - an invocation that would wait past `maxInvocationMs` hands the job to a fresh, delayed message, so no
 *   invocation comes near host.json's functionTimeout (30 minutes).
 */

export interface RetryPolicyOptions {
  /** JOB_RETRY_DEADLINE_SECONDS, in ms. */
  readonly deadlineMs: number;
  readonly maxInvocationMs: number;
  readonly transientTriesPerInvocation: number;
  readonly maxRateLimitWaitMs: number;
  readonly maxBackoffMs: number;
  /** A number in [0, 1): the jitter. */
  readonly random: () => number;
}

export const defaultRetryPolicy: Omit<RetryPolicyOptions, 'deadlineMs'> = {
  maxInvocationMs: 20 * 60_000,
  transientTriesPerInvocation: 2,
  maxRateLimitWaitMs: 60_000,
  maxBackoffMs: 30_000,
  random: Math.random,
};

/** Where the worker stands when a call fails. */
export interface RetryContext {
  readonly now: number;
  readonly invocationStartedAt: number;
  readonly callStartedAt: number;
  /** Transient failures in this invocation since the last success, this one included. */
  readonly transientFailures: number;
  /** The job's failingForMs before this failure. */
  readonly failingForMs: number;
}

/** What to record on the job before acting on a retryable decision. */
export interface WaitRecord {
  readonly error: JobError;
  readonly until: number;
  readonly failedForMs?: number;
}

export type Decision =
  | { readonly kind: 'wait'; readonly ms: number; readonly record: WaitRecord }
  | { readonly kind: 'handOver'; readonly at: number; readonly record: WaitRecord }
  | { readonly kind: 'retryLater'; readonly record: WaitRecord }
  | { readonly kind: 'fail'; readonly error: JobError };

/** Capped exponential back-off with full jitter over the upper half: 1 s, 2 s, 4 s … at most the cap. */
export function backoffMs(failures: number, options: Pick<RetryPolicyOptions, 'maxBackoffMs' | 'random'>): number {
  const ceiling = Math.min(options.maxBackoffMs, 1000 * 2 ** Math.max(0, failures - 1));
  return ceiling / 2 + Math.floor(options.random() * Math.max(1, Math.floor(ceiling / 2)));
}

export function decide(failure: ProviderFailure, context: RetryContext, options: RetryPolicyOptions): Decision {
  const error: JobError = {
    code: failure.code,
    message: failure.message,
    ...(!failure.retryable && failure.source ? { source: failure.source } : {}),
    ...(!failure.retryable && failure.categories ? { categories: [...failure.categories] } : {}),
  };
  if (!failure.retryable) return { kind: 'fail', error };
  const { now } = context;
  const overInvocation = (until: number) => until - context.invocationStartedAt > options.maxInvocationMs;

  if (failure.code === 'ProviderRateLimited') {
    const wait =
      failure.retryAfterMs !== undefined
        ? Math.min(Math.max(failure.retryAfterMs, 0), options.maxRateLimitWaitMs)
        : backoffMs(1, options);
    const record = { error, until: now + wait };
    return overInvocation(now + wait) ? { kind: 'handOver', at: now + wait, record } : { kind: 'wait', ms: wait, record };
  }

  const wait = backoffMs(context.transientFailures, options);
  const failedForMs = now - context.callStartedAt + wait;
  const failingFor = context.failingForMs + failedForMs;
  if (failingFor > options.deadlineMs) {
    // A picture the output check could not judge is withheld, never shown: the job ends saying which service failed.
    const check = failure.code === 'SafetyCheckUnavailable';
    return {
      kind: 'fail',
      error: {
        code: check ? 'SafetyCheckUnavailable' : 'ProviderUnavailable',
        message: `${check ? 'The safety check for pictures' : 'The image service'} kept failing for ${Math.round(failingFor / 1000)} s. ${failure.message}`,
      },
    };
  }
  const record = { error, until: now + wait, failedForMs };
  if (context.transientFailures >= options.transientTriesPerInvocation) return { kind: 'retryLater', record };
  return overInvocation(now + wait) ? { kind: 'handOver', at: now + wait, record } : { kind: 'wait', ms: wait, record };
}

/**
 * How much later than a window's start a ticket still looking for a job asks for its slot: 20 to 120 ms, so
 * the tickets waiting on every instance do not all ask at once, and a job already under way (a call the
 * provider answered 429, say) asks first and keeps its turn instead of losing it to them.
 */
export const ticketSlotJitterMs = { min: 20, spread: 100 } as const;

/**
 * No slot in the shared pacing budget yet: wait for the next window, or hand over if that would run long.
 * A ticket (`ticket: true`) waits a little longer than a job under way (ticketSlotJitterMs).
 */
export function decideSlotWait(
  retryAt: number,
  context: Pick<RetryContext, 'now' | 'invocationStartedAt'> & { readonly ticket?: boolean },
  options: Pick<RetryPolicyOptions, 'maxInvocationMs' | 'random'>,
):
  | { readonly kind: 'wait'; readonly ms: number }
  | { readonly kind: 'handOver'; readonly at: number } {
  const at = context.ticket ? retryAt + ticketSlotJitterMs.min + options.random() * ticketSlotJitterMs.spread : retryAt;
  return context.now - context.invocationStartedAt > options.maxInvocationMs
    ? { kind: 'handOver', at }
    : { kind: 'wait', ms: Math.max(0, at - context.now) };
}
