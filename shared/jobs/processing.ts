import { randomInt } from 'node:crypto';
import { APIError } from 'openai';
import { requestedRetryDelayInMs, type GenerationResult } from '../provider/imageProvider';
import { isTerminal, type JobError, type JobRecord } from './job';
import { encodeJobMessage, parseJobMessage } from './jobMessage';
import type { Logger } from '../logger';
import { findModel, parseSize } from '../provider/modelCatalogue';
import { addUsage, estimateCostUsd, noUsage, type JobUsage } from '../provider/pricing';
import { classifyProviderFailure } from '../provider/providerFailure';
import type { Services } from '../services';

/**
 * The queue worker's logic. Delivery is at least once, so every step is idempotent: a finished job ignores
 * its message, images that exist are not made again, and the job record only moves forward under an ETag.
 *
 * Retry policy (the openai client's own retries are off, so there is one policy, here):
 * - every call first takes a slot in the shared provider budget (pacing to IMAGE_REQUESTS_PER_MINUTE);
 * - a 429 is waited out as the provider asks (retry-after-ms, retry-after, else capped jittered back-off)
 *   inside the invocation: it never fails the job and never spends one of the message's dequeue attempts;
 * - 5xx, timeouts and resets are retried with capped jittered back-off, twice within an invocation; then
 *   the invocation throws, freeing its slot, and the host retries the message after visibilityTimeout.
 *   After maxDequeueCount attempts, or once failed calls and their back-offs add up to
 *   JOB_RETRY_DEADLINE_SECONDS (time waiting on the queue, e.g. after a crash, does not count), the job
 *   fails as ProviderUnavailable;
 * - content filter, auth and other 4xx answers end the job at once;
 * - an invocation that has waited too long hands the job to a fresh, delayed message, so no invocation
 *   comes near host.json's functionTimeout.
 * Anything else thrown (storage trouble, a crash) is retried by the host; after maxDequeueCount attempts
 * the message goes to the poison queue and failPoisonedJob ends the job.
 */

export interface ProcessContext {
  /** The queue message's id; the job's claim names it, so a redelivery of the same message may resume. */
  readonly messageId: string;
  readonly log: Logger;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export class RetryableJobError extends Error {
  constructor(
    readonly jobId: string,
    readonly failure: JobError,
  ) {
    super(`Job ${jobId}: ${failure.code}: ${failure.message}`);
    this.name = 'RetryableJobError';
  }
}

/** A claim lasts one provider call (timeout) plus the longest wait between renewals, and some margin. */
const claimMarginInMs = 60_000;
const maxRateLimitWaitInMs = 60_000;
const maxBackoffInMs = 30_000;
/** Transient failures one invocation absorbs before it hands the retry to the queue. */
const transientTriesPerInvocation = 2;
/** Past this an invocation hands its job to a new message (host.json functionTimeout is 30 minutes). */
const maxInvocationInMs = 20 * 60_000;

type Step = { kind: 'call' } | { kind: 'stop'; reason: string };

export async function processJob(services: Services, input: unknown, context: ProcessContext): Promise<void> {
  const { log, messageId } = context;
  const now = context.now ?? Date.now;
  const sleep = context.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const invocationStart = now();
  const message = parseJobMessage(input);
  if (!message) {
    // Retrying cannot make a malformed message valid, and it names no job to fail.
    log.error('Dropped a queue message that is not a job message.');
    return;
  }
  const { jobId } = message;
  const claimTtl = services.config.imageRequestTimeoutInSeconds * 1000 + claimMarginInMs;
  const claimUntil = () => new Date(now() + claimTtl).toISOString();

  let busy: string | undefined;
  const started = await services.jobs.update(jobId, (job) => {
    busy = undefined;
    if (isTerminal(job.status)) return undefined;
    if (job.claim && job.claim.messageId !== messageId && Date.parse(job.claim.until) > now()) {
      busy = job.claim.until;
      return undefined;
    }
    return {
      ...job,
      status: 'Running',
      attempts: job.attempts + 1,
      claim: { messageId, until: claimUntil() },
      lastUpdatedDateTime: new Date(now()).toISOString(),
    };
  });
  if (!started) {
    log.warn(`Job ${jobId}: no such job; message dropped.`);
    return;
  }
  if (isTerminal(started.status)) {
    log.log(`Job ${jobId}: already ${started.status}; duplicate message ignored.`);
    return;
  }
  if (busy) {
    // Another message's worker holds a live claim (a duplicate message): look again when the claim runs
    // out, with a new delayed message, so the duplicate spends none of the job's dequeue attempts.
    await sendDelayedMessage(services, jobId, Math.min(600, Math.max(1, Math.ceil((Date.parse(busy) - now()) / 1000))));
    log.log(`Job ${jobId}: another worker holds it; looking again when its claim runs out.`);
    return;
  }
  if (started.attempts === 1) await services.waitingLine.markStarted().catch(() => undefined);

  /** Claims the next provider call under the job's ETag: after a cancel or a delete, no call starts. */
  async function claimCall(): Promise<Step> {
    let stop: string | undefined;
    const claimed = await services.jobs.update(jobId, (job) => {
      stop = undefined;
      if (isTerminal(job.status)) {
        stop = job.status;
        return undefined;
      }
      const { waitingUntil: _waitingUntil, ...rest } = job;
      return { ...rest, providerCalls: (job.providerCalls ?? 0) + 1, claim: { messageId, until: claimUntil() } };
    });
    if (!claimed) return { kind: 'stop', reason: 'deleted' };
    return stop ? { kind: 'stop', reason: stop } : { kind: 'call' };
  }

  /** Records a failed call: the error, when to try again, and (for transient errors) the time it cost. */
  async function recordWait(error: JobError, until: number, failedForMs: number | undefined): Promise<JobRecord | undefined> {
    return services.jobs.update(jobId, (job) =>
      isTerminal(job.status)
        ? undefined
        : {
            ...job,
            lastError: error,
            waitingUntil: new Date(until).toISOString(),
            ...(failedForMs !== undefined ? { failingForMs: (job.failingForMs ?? 0) + failedForMs } : {}),
            claim: { messageId, until: new Date(until + claimTtl).toISOString() },
            lastUpdatedDateTime: new Date(now()).toISOString(),
          },
    );
  }

  /** Hands the job to a new message that becomes visible at `at`, releasing our claim. */
  async function handOver(at: number): Promise<void> {
    await sendDelayedMessage(services, jobId, Math.max(0, Math.ceil((at - now()) / 1000)));
    await services.jobs.update(jobId, (job) => {
      if (isTerminal(job.status) || job.claim?.messageId !== messageId) return undefined;
      const { claim: _claim, ...rest } = job;
      return rest;
    });
    log.log(`Job ${jobId}: handed to a new message after a long wait.`);
  }

  const { request } = started;
  const prompt = services.metapromptFor(started.metapromptVersion).compose(request.prompt, request.orientation);
  const { width, height } = parseSize(request.size);
  const saved = new Set((await services.images.list(jobId)).map((image) => image.index));
  const missing = Array.from({ length: request.n }, (_, index) => index).filter((index) => !saved.has(index));
  let transientFailures = 0;

  const outputFormat = request.outputFormat;
  for (const batch of chunk(missing, services.profile.maxImagesPerCall)) {
    let generated: GenerationResult | undefined;
    while (!generated) {
      // Wait for a slot in the shared budget, so the instances together stay within the quota.
      for (;;) {
        const slot = await services.pacer.tryAcquire(new Date(now()));
        if (slot.granted) break;
        if (now() - invocationStart > maxInvocationInMs) return handOver(slot.retryAt.getTime());
        await sleep(Math.max(0, slot.retryAt.getTime() - now()));
      }
      const step = await claimCall();
      if (step.kind === 'stop') {
        await services.images.deleteAll(jobId).catch(() => undefined);
        log.log(`Job ${jobId}: ${step.reason}; no further calls.`);
        return;
      }
      const callStarted = now();
      try {
        generated = await services.imageProvider.generate({
          prompt,
          n: batch.length,
          size: request.size,
          ...(request.quality ? { quality: request.quality } : {}),
          ...(request.style ? { style: request.style } : {}),
          outputFormat,
          ...(request.outputCompression !== undefined ? { outputCompression: request.outputCompression } : {}),
          safetyIdentifier: services.pseudonyms.safetyIdentifier(started.tenantId, request.user),
        });
      } catch (error) {
        const failure = classifyProviderFailure(error);
        const jobError: JobError = {
          code: failure.code,
          message: failure.message,
          ...(!failure.retryable && failure.source ? { source: failure.source } : {}),
          ...(!failure.retryable && failure.categories ? { categories: failure.categories } : {}),
        };
        if (!failure.retryable) {
          if (failure.code === 'ProviderAuthFailed') {
            log.error(
              `Job ${jobId}: the image provider refused our credentials. Check AZURE_OPENAI_API_KEY, or the managed identity's ` +
                "'Cognitive Services OpenAI User' role on the Azure OpenAI resource (or OPENAI_API_KEY).",
            );
          }
          await finish(services, jobId, { status: 'Failed', error: jobError });
          log.warn(`Job ${jobId}: failed with ${failure.code}.`);
          return;
        }
        const rateLimited = failure.code === 'ProviderRateLimited';
        if (rateLimited) transientFailures = 0;
        else transientFailures++;
        const headers = error instanceof APIError ? (error.headers as Headers | undefined) : undefined;
        const asked = headers ? requestedRetryDelayInMs(headers) : undefined;
        const wait = rateLimited && asked !== undefined ? Math.min(Math.max(asked, 0), maxRateLimitWaitInMs) : backoff(rateLimited ? 1 : transientFailures);
        const job = await recordWait(jobError, now() + wait, rateLimited ? undefined : now() - callStarted + wait);
        if (!job || isTerminal(job.status)) {
          log.log(`Job ${jobId}: ended as ${job?.status ?? 'deleted'} while waiting; stopping.`);
          return;
        }
        const failingFor = job.failingForMs ?? 0;
        if (!rateLimited && failingFor > services.config.jobRetryDeadlineInSeconds * 1000) {
          await finish(services, jobId, {
            status: 'Failed',
            error: { code: 'ProviderUnavailable', message: `The image service kept failing for ${Math.round(failingFor / 1000)} s. ${failure.message}` },
          });
          log.warn(`Job ${jobId}: failed with ProviderUnavailable after the retry deadline.`);
          return;
        }
        if (!rateLimited && transientFailures >= transientTriesPerInvocation) throw new RetryableJobError(jobId, jobError);
        if (now() + wait - invocationStart > maxInvocationInMs) return handOver(now() + wait);
        log.log(`Job ${jobId}: ${failure.code}; trying again in ${Math.round(wait / 1000)} s.`);
        await sleep(wait);
      }
    }
    const { usage } = generated;
    const firstIndex = batch[0] as number;
    await Promise.all(
      generated.images.map((image, offset) =>
        services.images.save(jobId, batch[offset] as number, image.bytes, {
          width,
          height,
          format: outputFormat,
          ...(image.revisedPrompt ? { revisedPrompt: image.revisedPrompt } : {}),
          ...(usage ? { call: { firstIndex, usage } } : {}),
        }),
      ),
    );
    if (transientFailures > 0) {
      transientFailures = 0;
      await services.jobs.update(jobId, (job) => {
        if (isTerminal(job.status) || job.failingForMs === undefined) return undefined;
        const { failingForMs: _failingForMs, ...rest } = job;
        return rest;
      });
    }
  }

  const listed = (await services.images.list(jobId)).filter((image) => image.index < request.n);
  const images = listed.map(({ call: _call, ...image }) => image);
  const usage = jobUsage(services, started, listed);
  const finished = await finish(services, jobId, { status: 'Succeeded', images, usage });
  if (!finished) {
    // Deleted while we generated (right to erasure): leave nothing behind.
    await services.images.deleteAll(jobId);
    log.log(`Job ${jobId}: deleted while running; its images were removed.`);
  } else if (finished.status === 'Succeeded') {
    if (usage.estimatedCostUsd) {
      await services.quotas.recordSpend(started.tenantId, usage.estimatedCostUsd).catch((error: unknown) => {
        log.warn(`Job ${jobId}: its cost could not be added to the tenant's spend: ${String(error)}`);
      });
    }
    log.log(`Job ${jobId}: succeeded with ${images.length} ${images.length === 1 ? 'image' : 'images'}.`);
  } else if (finished.status === 'Canceled') {
    await services.images.deleteAll(jobId);
    log.log(`Job ${jobId}: canceled while running; its images were removed.`);
  }
}

/** Handles a message the host gave up on: its job fails with the last reason we recorded. */
export async function failPoisonedJob(services: Services, input: unknown, log: Logger): Promise<void> {
  const message = parseJobMessage(input);
  if (!message) {
    log.error('Dropped a poison queue message that is not a job message.');
    return;
  }
  const ended = await services.jobs.update(message.jobId, (job) => {
    if (isTerminal(job.status)) return undefined;
    const reason = job.lastError;
    const { claim: _claim, waitingUntil: _waitingUntil, ...rest } = job;
    return {
      ...rest,
      status: 'Failed',
      lastUpdatedDateTime: new Date().toISOString(),
      error: reason
        ? { code: reason.code, message: `Gave up after ${job.attempts} attempts. ${reason.message}` }
        : { code: 'ProcessingFailed', message: `The job could not be processed after ${job.attempts} attempts.` },
    };
  });
  log.warn(`Job ${message.jobId}: moved to the poison queue; now ${ended?.status ?? 'missing'}.`);
}

type Outcome = { status: 'Succeeded'; images: JobRecord['images']; usage: JobUsage } | { status: 'Failed'; error: JobError };

/** The job's tokens (each provider call counted once, from its images' metadata) and estimated cost. */
function jobUsage(services: Services, job: JobRecord, images: Awaited<ReturnType<Services['images']['list']>>): JobUsage {
  const calls = new Map(images.flatMap((image) => (image.call ? [[image.call.firstIndex, image.call.usage] as const] : [])));
  const tokens = [...calls.values()].reduce(addUsage, noUsage);
  const cost = estimateCostUsd(
    findModel(job.model) ?? services.profile,
    { count: images.length, size: job.request.size, ...(job.request.quality ? { quality: job.request.quality } : {}) },
    calls.size > 0 ? tokens : undefined,
  );
  return { ...tokens, ...(cost !== undefined ? { estimatedCostUsd: cost } : {}) };
}

/** Moves a job to its terminal state once; a job that already ended keeps its first outcome. */
async function finish(services: Services, jobId: string, outcome: Outcome): Promise<JobRecord | undefined> {
  return services.jobs.update(jobId, (job) => {
    if (isTerminal(job.status)) return undefined;
    const { lastError: _lastError, claim: _claim, waitingUntil: _waitingUntil, failingForMs: _failingForMs, ...rest } = job;
    return { ...rest, ...outcome, lastUpdatedDateTime: new Date().toISOString() };
  });
}

/** A new message for the job that becomes visible after `delayInSeconds`. */
async function sendDelayedMessage(services: Services, jobId: string, delayInSeconds: number): Promise<void> {
  await services.jobQueue.sendMessage(encodeJobMessage({ jobId }), { visibilityTimeout: delayInSeconds });
}

/** Capped exponential back-off with full jitter: 1 s, 2 s, 4 s … at most 30 s. */
function backoff(failures: number): number {
  const ceiling = Math.min(maxBackoffInMs, 1000 * 2 ** Math.max(0, failures - 1));
  return ceiling / 2 + randomInt(Math.max(1, Math.floor(ceiling / 2)));
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}
