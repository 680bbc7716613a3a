import { isTerminal, type JobError, type JobRecord } from './job';
import { parseJobMessage } from './jobMessage';
import type { Logger } from './logger';
import { parseSize } from './modelProfiles';
import { classifyProviderFailure } from './providerFailure';
import type { Services } from './services';

/**
 * The queue worker's logic. Delivery is at least once, so every step is idempotent: a finished job ignores
 * its message, images that exist are not made again, and the job record only moves forward under an ETag.
 * Retryable failures are thrown, so the Functions host makes the message visible again and, after
 * maxDequeueCount attempts, moves it to the poison queue (see failPoisonedJob).
 */

export class RetryableJobError extends Error {
  constructor(
    readonly jobId: string,
    readonly failure: JobError,
  ) {
    super(`Job ${jobId}: ${failure.code}: ${failure.message}`);
    this.name = 'RetryableJobError';
  }
}

export async function processJob(services: Services, input: unknown, log: Logger): Promise<void> {
  const message = parseJobMessage(input);
  if (!message) {
    // Retrying cannot make a malformed message valid, and it names no job to fail.
    log.error('Dropped a queue message that is not a job message.');
    return;
  }
  const { jobId } = message;
  const started = await services.jobs.update(jobId, (job) =>
    isTerminal(job.status) ? undefined : { ...job, status: 'Running', attempts: job.attempts + 1, lastUpdatedDateTime: new Date().toISOString() },
  );
  if (!started) {
    log.warn(`Job ${jobId}: no such job; message dropped.`);
    return;
  }
  if (isTerminal(started.status)) {
    log.log(`Job ${jobId}: already ${started.status}; duplicate message ignored.`);
    return;
  }

  const { request } = started;
  const prompt = services.metapromptFor(started.metapromptVersion).compose(request.prompt, request.orientation);
  const { width, height } = parseSize(request.size);
  const saved = new Set((await services.images.list(jobId)).map((image) => image.index));
  const missing = Array.from({ length: request.n }, (_, index) => index).filter((index) => !saved.has(index));

  for (const batch of chunk(missing, services.profile.maxImagesPerCall)) {
    // A job can end while we work (a cancel, or another delivery that finished it): stop spending.
    const current = await services.jobs.get(jobId);
    if (!current || isTerminal(current.status)) {
      log.log(`Job ${jobId}: ended as ${current?.status ?? 'deleted'} while running; stopping.`);
      return;
    }
    let generated;
    try {
      generated = await services.imageProvider.generate({
        prompt,
        n: batch.length,
        size: request.size,
        ...(request.quality ? { quality: request.quality } : {}),
        ...(request.style ? { style: request.style } : {}),
        ...(request.user ? { user: request.user } : {}),
      });
    } catch (error) {
      const failure = classifyProviderFailure(error);
      if (!failure.retryable) {
        if (failure.code === 'ProviderAuthFailed') {
          log.error(
            `Job ${jobId}: the image provider refused our credentials. Check AZURE_OPENAI_API_KEY, or the managed identity's ` +
              "'Cognitive Services OpenAI User' role on the Azure OpenAI resource (or OPENAI_API_KEY).",
          );
        }
        await finish(services, jobId, { status: 'Failed', error: { code: failure.code, message: failure.message } });
        log.warn(`Job ${jobId}: failed with ${failure.code}.`);
        return;
      }
      const lastError = { code: failure.code, message: failure.message };
      await services.jobs.update(jobId, (job) => (isTerminal(job.status) ? undefined : { ...job, lastError }));
      throw new RetryableJobError(jobId, lastError);
    }
    await Promise.all(
      generated.map((image, offset) =>
        services.images.save(jobId, batch[offset] as number, image.png, {
          width,
          height,
          ...(image.revisedPrompt ? { revisedPrompt: image.revisedPrompt } : {}),
        }),
      ),
    );
  }

  if (!(await services.jobs.get(jobId))) {
    // Deleted while we generated (right to erasure): leave nothing behind.
    await services.images.deleteAll(jobId);
    log.log(`Job ${jobId}: deleted while running; its images were removed.`);
    return;
  }
  const images = (await services.images.list(jobId)).filter((image) => image.index < request.n);
  const finished = await finish(services, jobId, { status: 'Succeeded', images });
  if (finished?.status === 'Succeeded') log.log(`Job ${jobId}: succeeded with ${images.length} images.`);
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
    return {
      ...job,
      status: 'Failed',
      lastUpdatedDateTime: new Date().toISOString(),
      error: reason
        ? { code: reason.code, message: `Gave up after ${job.attempts} attempts. ${reason.message}` }
        : { code: 'ProcessingFailed', message: `The job could not be processed after ${job.attempts} attempts.` },
    };
  });
  log.warn(`Job ${message.jobId}: moved to the poison queue; now ${ended?.status ?? 'missing'}.`);
}

type Outcome = { status: 'Succeeded'; images: JobRecord['images'] } | { status: 'Failed'; error: JobError };

/** Moves a job to its terminal state once; a job that already ended keeps its first outcome. */
async function finish(services: Services, jobId: string, outcome: Outcome): Promise<JobRecord | undefined> {
  return services.jobs.update(jobId, (job) => {
    if (isTerminal(job.status)) return undefined;
    const { lastError: _lastError, ...rest } = job;
    return { ...rest, ...outcome, lastUpdatedDateTime: new Date().toISOString() };
  });
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}
