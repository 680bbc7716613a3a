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
import type { WaitingLine } from '../storage/waitingLine';
import { annotateActiveSpan } from '../telemetry/spans';
import type { RetryPolicyOptions } from './retryPolicy';

/** What the worker uses: the job and image stores, the queue, the deployments (each paced), the classifier and where refusals go. */
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
  readonly waitingLine: Pick<WaitingLine, 'markStarted'>;
  readonly pseudonyms: Pick<Pseudonyms, 'safetyIdentifier'>;
  readonly quotas: Pick<Quotas, 'recordSpend'>;
  /** The metaprompt a job was accepted with (its metapromptVersion). */
  metapromptFor(version: string): Pick<Metaprompt, 'compose'>;
  /** The classifier, for the output check; undefined when CONTENT_SAFETY_ENDPOINT is empty (local only). */
  readonly contentSafety: ContentSafety | undefined;
}

export interface ProcessContext {
  /** The queue message's id; the job's claim names it, so a redelivery of the same message may resume. */
  readonly messageId: string;
  readonly log: Logger;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly retryPolicy?: Partial<RetryPolicyOptions>;
}

/** A claim lasts one provider call (timeout) plus the longest wait between renewals, and some margin. */
const claimMarginInMs = 60_000;

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

/**
 * Starts this delivery's work on the job: the job moves to Running under this message's claim. Undefined when
 * there is nothing to do: the job is gone (what an earlier delivery saved is removed), it has ended (a
 * duplicate message), or another message's worker holds a live claim (looked at again when it runs out).
 */
export async function beginRun(services: WorkerDeps, jobId: string, context: ProcessContext, defaults: Omit<RetryPolicyOptions, 'deadlineMs'>): Promise<JobRun | undefined> {
  const { log, messageId } = context;
  const clock = runClock(services, context, defaults);
  const { now } = clock;
  const worker = workerFor(messageId, clock);
  const started = await services.jobs.update(jobId, (job) => start(job, worker()));
  if (!started) {
    // Erased (its student's erasure, or DELETE) while an earlier delivery was saving pictures and crashed before
    // it could remove them: remove them now, so a redelivery is what finishes the erasure, not what undoes it.
    await services.images.deleteAll(jobId);
    log.warn(`Job ${jobId}: no such job; message dropped.`);
    return undefined;
  }
  annotateActiveSpan({ schoolId: started.tenantId, attempt: started.attempts });
  if (isTerminal(started.status)) {
    // An earlier delivery may have ended the job and crashed before removing its previews, or the pictures it withheld.
    await (picturesWithheld(started) ? services.images.deleteAll(jobId) : services.images.deletePreviews(jobId)).catch(() => undefined);
    log.log(`Job ${jobId}: already ${started.status}; duplicate message ignored.`);
    return undefined;
  }
  const busyUntil = liveClaimOfAnother(started, messageId, now());
  if (busyUntil) {
    // Another message's worker holds a live claim (a duplicate message): look again when the claim runs
    // out, with a new delayed message, so the duplicate spends none of the job's dequeue attempts.
    await services.jobQueue.enqueue(jobId, { delayInSeconds: Math.min(600, Math.max(1, (Date.parse(busyUntil) - now()) / 1000)) });
    log.log(`Job ${jobId}: another worker holds it; looking again when its claim runs out.`);
    return undefined;
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

/** Hands the job to a new message that becomes visible at `at`, releasing our claim. */
export async function handOverAt(run: JobRun, at: number): Promise<void> {
  await run.services.jobQueue.enqueue(run.jobId, { delayInSeconds: (at - run.now()) / 1000 });
  await run.apply((job) => handOver(job, run.messageId));
  run.log.log(`Job ${run.jobId}: handed to a new message after a long wait.`);
}
