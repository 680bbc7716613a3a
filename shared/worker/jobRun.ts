import { randomUUID } from 'node:crypto';
import type { Pseudonyms } from '../access/pseudonyms';
import type { Quotas } from '../access/quotas';
import type { AppConfig } from '../config/config';
import { isTerminal, type JobError, type JobRecord } from '../jobs/job';
import { finish, handOver, liveClaimOfAnother, start, type Worker } from '../jobs/transitions';
import type { Logger } from '../logger';
import type { ModelEntry } from '../models/modelCatalogue';
import type { DeploymentPool } from '../provider/deploymentPool';
import type { ImageProvider } from '../provider/imageProvider';
import type { ContentSafety } from '../safety/contentSafety';
import type { Metaprompt } from '../safety/metaprompt';
import { picturesWithheld } from '../safety/outputCheck';
import type { RefusalDeps } from '../safety/refusals';
import type { ImageStore } from '../storage/imageStore';
import type { JobQueue } from '../storage/jobQueue';
import type { JobStore } from '../storage/jobStore';
import type { UploadStore } from '../storage/uploadStore';
import type { LineStore } from '../storage/lineStore';
import { annotateActiveSpan } from '../telemetry/spans';
import { defaultRetryPolicy, type RetryPolicyOptions } from './retryPolicy';

/** What the worker uses: the job and image stores, the line and the queue, the deployments (each paced), the classifier and where refusals go. */
export interface WorkerDeps extends RefusalDeps {
  readonly config: Pick<AppConfig, 'imageProvider' | 'jobRetryDeadlineInSeconds' | 'imageRequestTimeoutInSeconds' | 'outputCheck' | 'tenants' | 'partialImages' | 'maxEditInputBytes'>;
  /** The configured model's catalogue entry. */
  readonly profile: ModelEntry;
  readonly jobs: JobStore;
  readonly images: ImageStore;
  readonly uploads: Pick<UploadStore, 'containerName' | 'read'>;
  readonly jobQueue: Pick<JobQueue, 'enqueue'>;
  /** The deployments of the image model, each with its pace and circuit breaker. */
  readonly imagePool: Pick<DeploymentPool<Pick<ImageProvider, 'generate' | 'edit'>>, 'acquire' | 'report' | 'hasOtherThan'>;
  /** The jobs waiting for their calls; each message is a ticket to run the fairest of them (tickets.ts). */
  readonly line: Pick<LineStore, 'list' | 'claim' | 'hold' | 'release' | 'markDone' | 'remove'>;
  readonly pseudonyms: Pick<Pseudonyms, 'safetyIdentifier'>;
  readonly quotas: Pick<Quotas, 'recordSpend'>;
  /** The metaprompt a job was accepted with (its metapromptVersion). */
  metapromptFor(version: string): Pick<Metaprompt, 'compose'>;
  /** The classifier, for the output check; undefined when CONTENT_SAFETY_ENDPOINT is empty (local only). */
  readonly contentSafety: ContentSafety | undefined;
}

export interface ProcessContext {
  /**
   * The ticket: the message's own `ticket`, else the queue message's id. The job's claim (and its entry's in
   * the line) names it, so a redelivery of the same message resumes.
   */
  readonly messageId: string;
  readonly log: Logger;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly retryPolicy?: Partial<RetryPolicyOptions>;
}

/** A claim lasts one provider call (timeout) plus the longest wait between renewals, and some margin. */
const claimMarginInMs = 60_000;

/**
 * How long a ticket's claim on a job's entry in the line lasts: the longest an invocation runs before it
 * hands the job over (retryPolicy.ts maxInvocationMs), and a margin. A claim is not renewed during a run (a
 * write per call); a redelivered message resumes its claim whatever the time, so the claim only has to run
 * out for a ticket that is gone for good, which then costs its job this long.
 */
export const lineClaimInMs = defaultRetryPolicy.maxInvocationMs + claimMarginInMs;

/**
 * One delivery's work on one job, shared by the worker's steps (processing.ts, providerCall.ts,
 * outputChecks.ts, completion.ts): the clock, the policy, the claim it renews, and the transient failures
 * counted since the last call that worked.
 */
export interface JobRun {
  readonly services: WorkerDeps;
  readonly jobId: string;
  /** The job as this delivery started it. */
  readonly job: JobRecord;
  readonly messageId: string;
  readonly log: Logger;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly policy: RetryPolicyOptions;
  readonly invocationStartedAt: number;
  readonly claimTtlMs: number;
  /** Transient failures since the last call that worked (the policy's backoff counts them). */
  transientFailures: number;
  /** This delivery as the claim's holder, now. */
  worker(): Worker;
  /** A change of the job record, under its ETag (transitions.ts). */
  apply(change: (job: JobRecord) => JobRecord | undefined): Promise<JobRecord | undefined>;
}

export interface RunClock {
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly policy: RetryPolicyOptions;
  readonly invocationStartedAt: number;
  readonly claimTtlMs: number;
}

/** The clock, policy and claim length of a delivery, from its context (a test passes a fake clock). */
export function runClock(services: Pick<WorkerDeps, 'config'>, context: ProcessContext, defaults: Omit<RetryPolicyOptions, 'deadlineMs'>): RunClock {
  const now = context.now ?? Date.now;
  return {
    now,
    sleep: context.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))),
    policy: { ...defaults, deadlineMs: services.config.jobRetryDeadlineInSeconds * 1000, ...context.retryPolicy },
    invocationStartedAt: now(),
    claimTtlMs: services.config.imageRequestTimeoutInSeconds * 1000 + claimMarginInMs,
  };
}

export function workerFor(messageId: string, clock: Pick<RunClock, 'now' | 'claimTtlMs'>): () => Worker {
  return () => ({ messageId, now: clock.now(), claimUntil: clock.now() + clock.claimTtlMs });
}

export function createJobRun(services: WorkerDeps, job: JobRecord, context: ProcessContext, clock: RunClock): JobRun {
  return {
    services,
    jobId: job.id,
    job,
    messageId: context.messageId,
    log: context.log,
    ...clock,
    transientFailures: 0,
    worker: workerFor(context.messageId, clock),
    apply: (change) => services.jobs.update(job.id, change),
  };
}

/** Why a delivery did not begin work on a job. */
export type NotBegun =
  /** No such job (erased); what an earlier delivery saved of it is removed. */
  | { readonly kind: 'gone' }
  /** It has ended (a duplicate message, or canceled while it waited). */
  | { readonly kind: 'ended' }
  /** Another message's worker holds a live claim on it, until `until`. */
  | { readonly kind: 'busy'; readonly holder: string; readonly until: number };

/**
 * Starts this delivery's work on the job: the job moves to Running under this message's claim. Or why there
 * is nothing to do: the job is gone, it has ended, or another message's worker holds a live claim.
 */
export async function beginRun(services: WorkerDeps, jobId: string, context: ProcessContext, defaults: Omit<RetryPolicyOptions, 'deadlineMs'>): Promise<JobRun | NotBegun> {
  const { log, messageId } = context;
  const clock = runClock(services, context, defaults);
  const { now } = clock;
  const worker = workerFor(messageId, clock);
  const started = await services.jobs.update(jobId, (job) => start(job, worker()));
  if (!started) {
    // Erased (its student's erasure, or DELETE) while an earlier delivery was saving pictures and crashed before
    // it could remove them: remove them now, so a redelivery is what finishes the erasure, not what undoes it.
    await services.images.deleteAll(jobId);
    log.warn(`Job ${jobId}: no such job.`);
    return { kind: 'gone' };
  }
  annotateActiveSpan({ schoolId: started.tenantId, attempt: started.attempts });
  if (isTerminal(started.status)) {
    // An earlier delivery may have ended the job and crashed before removing its previews, or the pictures it withheld.
    await (picturesWithheld(started) ? services.images.deleteAll(jobId) : services.images.deletePreviews(jobId)).catch(() => undefined);
    log.log(`Job ${jobId}: already ${started.status}.`);
    return { kind: 'ended' };
  }
  const busyUntil = liveClaimOfAnother(started, messageId, now());
  if (busyUntil && started.status === 'Running' && started.claim) {
    log.log(`Job ${jobId}: another worker holds it.`);
    return { kind: 'busy', holder: started.claim.messageId, until: Date.parse(busyUntil) };
  }
  return createJobRun(services, started, context, clock);
}

/**
 * Ends the job as Failed, and removes the previews its calls left (the status no longer shows them), or,
 * when the output check withheld its pictures, every blob of the job. The end is recorded first: a crash
 * before the deletion leaves pictures no link points at, and the next delivery of the message deletes them.
 */
export async function failRun(run: JobRun, error: JobError): Promise<JobRecord | undefined> {
  const ended = await run.apply((job) => finish(job, { status: 'Failed', error }, run.now()));
  await (ended && picturesWithheld(ended) ? run.services.images.deleteAll(run.jobId) : run.services.images.deletePreviews(run.jobId)).catch(() => undefined);
  return ended;
}

/**
 * Hands the job to a new message that becomes visible at `at`, releasing our claim. Its entry in the line
 * passes to the new message's ticket, so no other ticket starts it before `at` (the wait the provider or the
 * pace asked for), and the new message resumes it then; should that message be lost, the entry's claim
 * runs out and any ticket takes the job in its turn.
 */
export async function handOverAt(run: JobRun, at: number): Promise<void> {
  const ticket = randomUUID();
  await run.services.jobQueue.enqueue(run.jobId, { delayInSeconds: (at - run.now()) / 1000, ticket });
  await run.apply((job) => handOver(job, run.messageId));
  await run.services.line.hold(run.jobId, ticket, at + lineClaimInMs);
  run.log.log(`Job ${run.jobId}: handed to a new message after a long wait.`);
}
