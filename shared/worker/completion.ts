import type { JobRecord, JobUsage } from '../jobs/job';
import { failPoisoned, finish, type Outcome } from '../jobs/transitions';
import type { Logger } from '../logger';
import { findModel, type ModelEntry } from '../models/modelCatalogue';
import { addUsage, estimateCostUsd, noUsage } from '../models/pricing';
import type { GenerationResult } from '../provider/imageProvider';
import { picturesWithheld } from '../safety/outputCheck';
import type { ImageStore, ListedImage } from '../storage/imageStore';
import { parseJobMessage } from '../storage/jobMessage';
import type { JobStore } from '../storage/jobStore';
import type { JobQueue } from '../storage/jobQueue';
import type { LineStore } from '../storage/lineStore';
import { fairOrder, isOrphaned } from '../jobs/turns';
import { SpanKind, withSpan } from '../telemetry/spans';
import type { WorkerDeps } from './jobRun';
import { thumbnailFor } from './thumbnails';

/**
 * Saves a call's pictures under their indexes (create-only blobs: a redelivery does not pay twice), each with
 * the call's usage on the first, so the job's usage counts every call once.
 */
export async function saveGenerated(images: Pick<ImageStore, 'save'>, job: JobRecord, batch: readonly number[], generated: GenerationResult, size: { width: number; height: number }): Promise<{ index: number; bytes: Buffer }[]> {
  const { usage } = generated;
  const firstIndex = batch[0] ?? 0;
  const indexOf = (offset: number) => batch[offset] ?? firstIndex + offset;
  await Promise.all(
    generated.images.map((image, offset) =>
      images.save(job.id, indexOf(offset), image.bytes, {
        ...size,
        format: job.request.outputFormat,
        ...(image.revisedPrompt ? { revisedPrompt: image.revisedPrompt } : {}),
        ...(usage ? { call: { firstIndex, usage } } : {}),
      }),
    ),
  );
  return generated.images.map((image, offset) => ({ index: indexOf(offset), bytes: image.bytes }));
}

/**
 * Ends a job whose images are all saved: Succeeded with its usage, or cleaned up if it was canceled or deleted
 * meanwhile. With the output check on, a picture without its mark stops the job short of Succeeded (the host
 * retries the message, whose worker checks it): the last guard before a link can point at a picture.
 */
export async function complete(services: Pick<WorkerDeps, 'images' | 'jobs' | 'quotas' | 'profile'>, job: JobRecord, log: Logger, now: () => number, outputChecked: boolean): Promise<void> {
  const saved = (await services.images.list(job.id)).filter((image) => image.index < job.request.n);
  const unchecked = outputChecked ? saved.filter((image) => !image.outputChecked) : [];
  if (unchecked.length > 0) throw new Error(`Job ${job.id}: pictures ${unchecked.map((image) => image.index).join(', ')} have not passed the output check; not finishing.`);
  const listed = await Promise.all(saved.map(async (image) => (image.thumbnail ? image : { ...image, thumbnail: await thumbnailFor(services.images, job.id, image) })));
  const images = listed.map(({ call: _call, outputChecked: _outputChecked, ...image }) => image);
  const usage = jobUsage(services.profile, job, listed);
  const outcome: Outcome = { status: 'Succeeded', images, usage };
  const finished = await services.jobs.update(job.id, (current) => finish(current, outcome, now()));
  if (!finished) {
    // Deleted while we generated (right to erasure): leave nothing behind.
    await services.images.deleteAll(job.id);
    log.log(`Job ${job.id}: deleted while running; its images were removed.`);
  } else if (finished.status === 'Succeeded') {
    // The final pictures replace the previews (the status shows no previews once Succeeded).
    await services.images.deletePreviews(job.id).catch((error: unknown) => log.warn(`Job ${job.id}: its previews could not be removed: ${String(error)}`));
    log.log(`Job ${job.id}: succeeded with ${images.length} ${images.length === 1 ? 'image' : 'images'}.`);
    if (usage.estimatedCostUsd) {
      await services.quotas.recordSpend(job.tenantId, usage.estimatedCostUsd).catch((error: unknown) => {
        log.warn(`Job ${job.id}: its cost could not be added to the tenant's spend: ${String(error)}`);
      });
    }
  } else if (finished.status === 'Canceled') {
    await services.images.deleteAll(job.id);
    log.log(`Job ${job.id}: canceled while running; its images were removed.`);
  } else {
    // Failed by another path meanwhile (the poison handler): its status shows no previews.
    await services.images.deletePreviews(job.id).catch(() => undefined);
  }
}

/** The job's tokens (each provider call counted once, from its images' metadata) and estimated cost. */
export function jobUsage(profile: ModelEntry, job: JobRecord, images: readonly ListedImage[]): JobUsage {
  const calls = new Map(images.flatMap((image) => (image.call ? [[image.call.firstIndex, image.call.usage] as const] : [])));
  const tokens = [...calls.values()].reduce(addUsage, noUsage);
  const cost = estimateCostUsd(
    findModel(job.model) ?? profile,
    { count: images.length, size: job.request.size, ...(job.request.quality ? { quality: job.request.quality } : {}) },
    calls.size > 0 ? tokens : undefined,
  );
  return { ...tokens, ...(cost !== undefined ? { estimatedCostUsd: cost } : {}) };
}

export interface PoisonedJobDeps {
  readonly jobs: Pick<JobStore, 'update'>;
  readonly images: Pick<ImageStore, 'deleteAll' | 'deletePreviews'>;
  readonly line: Pick<LineStore, 'list'>;
  readonly jobQueue: Pick<JobQueue, 'enqueue'>;
}

/**
 * Handles a message the host gave up on. The message is a ticket (tickets.ts): the job it had claimed in
 * the line fails with the last reason we recorded (its end takes it out of the line). A ticket that had
 * claimed none fails the job it names, if that still waits (or is not in the line at all: a message from
 * before the line, whose worker ran its own job). If that job is another ticket's now, this ticket's turn
 * is not lost: a fresh ticket takes it, when anything waits.
 */
export async function failPoisonedJob(services: PoisonedJobDeps, input: unknown, log: Logger): Promise<void> {
  const message = parseJobMessage(input);
  if (!message) {
    log.error('Dropped a poison queue message that is not a job message.');
    return;
  }
  const now = Date.now();
  const entries = await services.line.list();
  const claimed = message.ticket === undefined ? undefined : entries.find((entry) => entry.state === 'started' && entry.claimedBy === message.ticket);
  const named = entries.find((entry) => entry.jobId === message.jobId);
  const jobId = claimed?.jobId ?? (!named || named.state === 'waiting' || isOrphaned(named, now) ? message.jobId : undefined);
  if (jobId === undefined) {
    if (fairOrder(entries, now).length > 0) await services.jobQueue.enqueue(message.jobId);
    log.warn(`Job ${message.jobId}: its ticket moved to the poison queue holding no job; ${fairOrder(entries, now).length > 0 ? 'a fresh ticket takes its turn' : 'nothing waits'}.`);
    return;
  }
  const ended = await withSpan('job.poisoned', { jobId, queue: 'image-jobs-poison' }, () => services.jobs.update(jobId, (job) => failPoisoned(job, Date.now())), {
    kind: SpanKind.CONSUMER,
    ...(message.traceparent ? { traceparent: message.traceparent } : {}),
  });
  // A job that gave up on the output check keeps no picture (safety/outputCheck.ts).
  await (ended && picturesWithheld(ended) ? services.images.deleteAll(jobId) : services.images.deletePreviews(jobId)).catch(() => undefined);
  log.warn(`Job ${jobId}: its ticket moved to the poison queue; now ${ended?.status ?? 'missing'}.`);
}
