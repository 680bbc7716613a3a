import sharp from 'sharp';
import { cloudOf } from '../config/config';
import type { Logger } from '../logger';
import type { GenerationResult } from '../provider/imageProvider';
import { findModel, parseSize } from '../provider/modelCatalogue';
import { addUsage, estimateCostUsd, noUsage } from '../provider/pricing';
import { classifyProviderFailure, type ProviderFailure } from '../provider/providerFailure';
import type { Services } from '../services';
import { thumbnailBlobNameFor, type ListedImage } from '../storage/imageStore';
import { isTerminal, type JobError, type JobRecord, type JobUsage } from './job';
import { parseJobMessage } from './jobMessage';
import { loadSourcePictures } from './sources';
import { partialImagesFor } from './previews';
import { recordRefusal } from '../safety/refusals';
import { safetyOf } from '../access/tenants';
import type { SafetyCategory } from '../safety/classifierPolicy';
import { ClassifierUnavailableError } from '../safety/contentSafety';
import { outputCheckFailure, outputRefusal, picturesWithheld } from '../safety/outputCheck';
import { activeSpanEvent, annotateActiveSpan, SpanKind, withSpan } from '../telemetry/spans';
import { decide, decideSlotWait, defaultRetryPolicy, type RetryPolicyOptions } from './retryPolicy';
import { claimCall, failPoisoned, finish, handOver, liveClaimOfAnother, recordCallSucceeded, recordWait, start, type Outcome, type Worker } from './transitions';

/**
 * The queue worker. Delivery is at least once, so every step is idempotent: a finished job ignores its
 * message, images that exist are not made again (create-only blobs), and the job record only moves
 * forward, through the transitions in transitions.ts, under its ETag. Failed calls are handled by the pure
 * retry policy (retryPolicy.ts); this module carries out its decisions. Anything else thrown (storage
 * trouble, a crash) is retried by the host; after maxDequeueCount attempts the message goes to the poison
 * queue and failPoisonedJob ends the job.
 *
 * The output check (safety/outputCheck.ts), when on: every saved picture is read back and checked before the
 * job can succeed, and a pass is marked on the picture's blob; a job never becomes Succeeded with a picture
 * that lacks the mark (complete), so a redelivery after any crash checks what the crash left unchecked
 * instead of publishing it. Pictures are stored before their check, under `{jobId}/`, which no link points at
 * until the job is Succeeded (jobs/jobView.ts); a refused picture ends the job and every blob of it is
 * deleted. Previews are checked before they are stored, since a running job's status links to them at once.
 */

export type WorkerServices = Pick<
  Services,
  'config' | 'profile' | 'jobs' | 'images' | 'uploads' | 'jobQueue' | 'pacer' | 'waitingLine' | 'imageProvider' | 'pseudonyms' | 'quotas' | 'metapromptFor' | 'safetyEvents' | 'webhookQueue' | 'contentSafety'
>;

export interface ProcessContext {
  /** The queue message's id; the job's claim names it, so a redelivery of the same message may resume. */
  readonly messageId: string;
  readonly log: Logger;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly retryPolicy?: Partial<RetryPolicyOptions>;
}

/** Thrown to make the host retry the message later (the policy's `retryLater`). */
export class RetryableJobError extends Error {
  constructor(
    readonly jobId: string,
    readonly failure: JobError,
  ) {
    super(`Job ${jobId}: ${failure.code}: ${failure.message}`);
    this.name = 'RetryableJobError';
  }

  /** The failure's code, which a span records for the retried delivery. */
  get code(): string {
    return this.failure.code;
  }
}

/** A claim lasts one provider call (timeout) plus the longest wait between renewals, and some margin. */
const claimMarginInMs = 60_000;

/**
 * Handles one delivery of a job's message, in a span that continues the submit's trace (the message's
 * traceparent): each redelivery is another span of the same trace, and the job's end sets its outcome there.
 */
export async function processJob(services: WorkerServices, input: unknown, context: ProcessContext): Promise<void> {
  const message = parseJobMessage(input);
  if (!message) {
    // Retrying cannot make a malformed message valid, and it names no job to fail.
    context.log.error('Dropped a queue message that is not a job message.');
    return;
  }
  const deployment = services.config.imageProvider.kind === 'azure-openai' ? services.config.imageProvider.deployment : undefined;
  return withSpan('job.process', { jobId: message.jobId, model: services.profile.name, deployment, messageId: context.messageId || undefined }, () => runJob(services, message.jobId, context), {
    kind: SpanKind.CONSUMER,
    ...(message.traceparent ? { traceparent: message.traceparent } : {}),
  });
}

async function runJob(services: WorkerServices, jobId: string, context: ProcessContext): Promise<void> {
  const { log, messageId } = context;
  const now = context.now ?? Date.now;
  const sleep = context.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const policy: RetryPolicyOptions = { ...defaultRetryPolicy, deadlineMs: services.config.jobRetryDeadlineInSeconds * 1000, ...context.retryPolicy };
  const invocationStartedAt = now();
  const claimTtlMs = services.config.imageRequestTimeoutInSeconds * 1000 + claimMarginInMs;
  const worker = (): Worker => ({ messageId, now: now(), claimUntil: now() + claimTtlMs });
  const apply = (change: (job: JobRecord) => JobRecord | undefined) => services.jobs.update(jobId, change);

  const started = await apply((job) => start(job, worker()));
  if (!started) {
    // Erased (its student's erasure, or DELETE) while an earlier delivery was saving pictures and crashed before
    // it could remove them: remove them now, so a redelivery is what finishes the erasure, not what undoes it.
    await services.images.deleteAll(jobId);
    return log.warn(`Job ${jobId}: no such job; message dropped.`);
  }
  annotateActiveSpan({ schoolId: started.tenantId, attempt: started.attempts });
  if (isTerminal(started.status)) {
    // An earlier delivery may have ended the job and crashed before removing its previews, or the pictures it withheld.
    await (picturesWithheld(started) ? services.images.deleteAll(jobId) : services.images.deletePreviews(jobId)).catch(() => undefined);
    return log.log(`Job ${jobId}: already ${started.status}; duplicate message ignored.`);
  }
  const busyUntil = liveClaimOfAnother(started, messageId, now());
  if (busyUntil) {
    // Another message's worker holds a live claim (a duplicate message): look again when the claim runs
    // out, with a new delayed message, so the duplicate spends none of the job's dequeue attempts.
    await services.jobQueue.enqueue(jobId, { delayInSeconds: Math.min(600, Math.max(1, (Date.parse(busyUntil) - now()) / 1000)) });
    return log.log(`Job ${jobId}: another worker holds it; looking again when its claim runs out.`);
  }

  /** Hands the job to a new message that becomes visible at `at`, releasing our claim. */
  async function handOverAt(at: number): Promise<void> {
    await services.jobQueue.enqueue(jobId, { delayInSeconds: (at - now()) / 1000 });
    await apply((job) => handOver(job, messageId));
    log.log(`Job ${jobId}: handed to a new message after a long wait.`);
  }

  const { request, tenantId } = started;
  const prompt = services.metapromptFor(started.metapromptVersion).compose(request.prompt, request.orientation);
  const { width, height } = parseSize(request.size);
  // The waiting line's count (for estimates only) is written beside the listing, not before it.
  const [stored] = await Promise.all([services.images.list(jobId), started.attempts === 1 ? services.waitingLine.markStarted().catch(() => undefined) : undefined]);
  const saved = new Set(stored.map((image) => image.index));
  const missing = Array.from({ length: request.n }, (_, index) => index).filter((index) => !saved.has(index));
  let transientFailures = 0;
  // Edits and variations: their pictures, checked by content before anything is spent on them.
  const pictures = started.sources ? await loadSourcePictures(services, started.sources) : undefined;
  if (pictures && 'code' in pictures) {
    await apply((job) => finish(job, { status: 'Failed', error: pictures }, now()));
    return log.warn(`Job ${jobId}: failed with ${pictures.code} (its input pictures).`);
  }

  const outputCheck = services.config.outputCheck && services.contentSafety ? { client: services.contentSafety, ...services.config.outputCheck } : undefined;
  // A school removed from TENANTS since the submit is judged by the strict defaults.
  const safety = safetyOf(services.config.tenants.find((tenant) => tenant.id === tenantId) ?? {});

  /**
   * Ends the job as Failed, and removes the previews its calls left (the status no longer shows them), or,
   * when the output check withheld its pictures, every blob of the job. The end is recorded first: a crash
   * before the deletion leaves pictures no link points at, and the next delivery of the message deletes them.
   */
  async function fail(error: JobError): Promise<JobRecord | undefined> {
    const ended = await apply((job) => finish(job, { status: 'Failed', error }, now()));
    await (ended && picturesWithheld(ended) ? services.images.deleteAll(jobId) : services.images.deletePreviews(jobId)).catch(() => undefined);
    return ended;
  }

  /**
   * Carries out the retry policy's decision on a failed call, the image call's or an output check's: true to
   * try again now, false when this invocation is done with the job (it ended, or a later message goes on).
   */
  async function afterFailure(failure: ProviderFailure, callStartedAt: number, failingForMs: number): Promise<boolean> {
    if (failure.code === 'ProviderRateLimited') transientFailures = 0;
    else if (failure.retryable) transientFailures++;
    const decision = decide(failure, { now: now(), invocationStartedAt, callStartedAt, transientFailures, failingForMs }, policy);
    activeSpanEvent(`job.${decision.kind}`, { errorCode: failure.code });
    if (decision.kind === 'fail') {
      if (failure.code === 'ProviderAuthFailed') {
        log.error(
          `Job ${jobId}: the image provider refused our credentials. Check AZURE_OPENAI_API_KEY, or the managed identity's ` +
            "'Cognitive Services OpenAI User' role on the Azure OpenAI resource (or OPENAI_API_KEY).",
        );
      }
      const ended = await fail(decision.error);
      // A job erased meanwhile gets no event: it would be the only trace of it (as in withhold).
      if (ended && !failure.retryable && failure.code === 'ContentFiltered') {
        await recordRefusal(
          services,
          {
            tenantId,
            layer: failure.source === 'output' ? 'providerOutput' : 'providerPrompt',
            // The providers' snake case (self_harm) in the names the other layers use (selfHarm).
            categories: (failure.categories ?? []).map((category) => category.replace(/_(\w)/g, (_, letter: string) => letter.toUpperCase())),
            request,
            jobId,
          },
          log,
        );
      }
      log.warn(`Job ${jobId}: failed with ${decision.error.code}.`);
      return false;
    }
    const waiting = await apply((job) => recordWait(job, worker(), { ...decision.record, claimTtlMs }));
    if (!waiting || isTerminal(waiting.status)) {
      await services.images.deletePreviews(jobId).catch(() => undefined);
      log.log(`Job ${jobId}: ended as ${waiting?.status ?? 'deleted'} while waiting; stopping.`);
      return false;
    }
    if (decision.kind === 'retryLater') throw new RetryableJobError(jobId, decision.record.error);
    if (decision.kind === 'handOver') {
      await handOverAt(decision.at);
      return false;
    }
    log.log(`Job ${jobId}: ${failure.code}; trying again in ${Math.round(decision.ms / 1000)} s.`);
    await sleep(decision.ms);
    return true;
  }

  /** A refused picture: the job ends ContentFiltered (source output), its blobs go, and the school's teachers get a safety event. */
  async function withhold(index: number, categories: readonly SafetyCategory[]): Promise<void> {
    const ended = await fail(outputRefusal(categories));
    // A job erased meanwhile (right to erasure) gets no event: it would be the only trace of it.
    if (ended) await recordRefusal(services, { tenantId, layer: 'outputCheck', categories, request, jobId }, log);
    log.warn(`Job ${jobId}: failed with ContentFiltered: the output check refused picture ${index} (${categories.join(', ')}).`);
  }

  /**
   * The output check of every saved picture that lacks the mark: read back from storage (so what is checked
   * is what a link would serve), checked, and marked. True when all are checked; false when the job ended or
   * this invocation is done with it. Checked one at a time: a resized copy of a 3840x2160 picture is made in
   * memory, and several at once would add up as thumbnails did (see below).
   */
  async function checkSavedPictures(): Promise<boolean> {
    if (!outputCheck) return true;
    for (let again = true; again; ) {
      again = false;
      const unchecked = (await services.images.list(jobId)).filter((image) => image.index < request.n && !image.outputChecked);
      for (const image of unchecked) {
        const bytes = await services.images.read(image.blobName);
        // Gone: the job was deleted or canceled meanwhile; complete() finds out which.
        if (!bytes) continue;
        const callStartedAt = now();
        try {
          const verdict = await outputCheck.client.checkImage(bytes, safety, { timeoutInMs: outputCheck.timeoutInMs });
          if (verdict.refused) {
            await withhold(image.index, verdict.categories);
            return false;
          }
          await services.images.markChecked(image.blobName);
          log.log(`Job ${jobId}: picture ${image.index} passed the output check (${verdict.durationMs} ms${verdict.resized ? ', a resized copy' : ''}).`);
        } catch (error) {
          if (!(error instanceof ClassifierUnavailableError)) throw error;
          const { failure, misconfigured } = outputCheckFailure(error.fault);
          if (misconfigured) log.error(`Job ${jobId}: ${failure.message} Check CONTENT_SAFETY_ENDPOINT and the managed identity's 'Cognitive Services User' role.`);
          const current = await services.jobs.get(jobId);
          if (!(await afterFailure(failure, callStartedAt, current?.status === 'Running' ? (current.failingForMs ?? 0) : 0))) return false;
          again = true;
          break;
        }
      }
    }
    if (transientFailures > 0) {
      transientFailures = 0;
      await apply(recordCallSucceeded);
    }
    return true;
  }

  /** A partial image is shown the moment it is stored, so it is checked first; one that fails or cannot be checked is not shown. */
  async function previewPasses(bytes: Buffer): Promise<boolean> {
    if (!outputCheck) return true;
    try {
      const verdict = await outputCheck.client.checkImage(bytes, safety, { timeoutInMs: outputCheck.timeoutInMs });
      if (verdict.refused) log.warn(`Job ${jobId}: the output check refused a preview (${verdict.categories.join(', ')}); it is not shown.`);
      return !verdict.refused;
    } catch (error) {
      // A preview is a nicety: an unchecked one is withheld, and neither the (paid) call nor the job fails for it.
      log.warn(`Job ${jobId}: a preview could not be checked, so it is not shown: ${String(error)}`);
      return false;
    }
  }

  for (const batch of chunk(missing, services.profile.maxImagesPerCall)) {
    let generated: GenerationResult | undefined;
    // Live previews: a one-picture call streams, and each partial replaces the picture's preview blob.
    const partialImages = partialImagesFor(services.config.partialImages, services.profile, cloudOf(services.config.imageProvider), batch.length);
    const previewIndex = batch[0] ?? 0;
    const previews =
      partialImages > 0
        ? {
            partialImages,
            onPartialImage: async (partial: { bytes: Buffer }) => {
              // The stream waits while a preview is checked (OUTPUT_CHECK_TIMEOUT_MS at most), within the call's timeout.
              if (!(await previewPasses(partial.bytes))) return;
              // A preview is a nicety: failing to store one must not fail or repeat the (paid) call.
              await services.images.savePreview(jobId, previewIndex, partial.bytes, request.outputFormat).catch((error: unknown) => {
                log.warn(`Job ${jobId}: a preview could not be stored: ${String(error)}`);
              });
            },
          }
        : {};
    while (!generated) {
      // A slot in the shared budget first, so the instances together stay within the quota.
      let slot = await services.pacer.tryAcquire(new Date(now()));
      while (!slot.granted) {
        const decision = decideSlotWait(slot.retryAt.getTime(), { now: now(), invocationStartedAt }, policy);
        if (decision.kind === 'handOver') return handOverAt(decision.at);
        await sleep(decision.ms);
        slot = await services.pacer.tryAcquire(new Date(now()));
      }
      const untilSlot = slot.startAt.getTime() - now();
      if (untilSlot > 0) await sleep(untilSlot);
      const claimed = await apply((job) => claimCall(job, worker()));
      if (!claimed || isTerminal(claimed.status)) {
        await services.images.deleteAll(jobId).catch(() => undefined);
        return log.log(`Job ${jobId}: ${claimed?.status ?? 'deleted'}; no further calls.`);
      }
      const callStartedAt = now();
      try {
        const call = {
          prompt,
          n: batch.length,
          size: request.size,
          ...(request.quality ? { quality: request.quality } : {}),
          ...(request.style ? { style: request.style } : {}),
          outputFormat: request.outputFormat,
          ...(request.outputCompression !== undefined ? { outputCompression: request.outputCompression } : {}),
          safetyIdentifier: services.pseudonyms.safetyIdentifier(started.tenantId, request.user),
          ...previews,
        };
        generated = pictures
          ? await services.imageProvider.edit({ ...call, images: pictures.images, ...(pictures.mask ? { mask: pictures.mask } : {}) })
          : await services.imageProvider.generate(call);
      } catch (error) {
        if (!(await afterFailure(classifyProviderFailure(error), callStartedAt, claimed.status === 'Running' ? (claimed.failingForMs ?? 0) : 0))) return;
      }
    }
    const { usage } = generated;
    const firstIndex = batch[0] ?? 0;
    const indexOf = (offset: number) => batch[offset] ?? firstIndex + offset;
    await Promise.all(
      generated.images.map((image, offset) =>
        services.images.save(jobId, indexOf(offset), image.bytes, {
          width,
          height,
          format: request.outputFormat,
          ...(image.revisedPrompt ? { revisedPrompt: image.revisedPrompt } : {}),
          ...(usage ? { call: { firstIndex, usage } } : {}),
        }),
      ),
    );
    // Before thumbnails: a refused picture gets none, and the rest of a multi-call job is not paid for.
    if (!(await checkSavedPictures())) return;
    // Thumbnails one at a time: sharp decodes a 3840x2160 picture into 33 MB, and ten at once took a host's
    // peak RSS to 374 MB (npm run bench -- --only=memory). A crash in between is repaired by thumbnailFor.
    for (const [offset, image] of generated.images.entries()) {
      const thumbnail = await makeThumbnail(image.bytes);
      await services.images.saveThumbnail(jobId, indexOf(offset), thumbnail.data, thumbnail);
    }
    if (transientFailures > 0) {
      transientFailures = 0;
      await apply(recordCallSucceeded);
    }
  }
  // A redelivery with nothing left to make checks what an earlier delivery saved but did not get to check;
  // otherwise each batch's check above has already covered every saved picture (it lists them all).
  if (missing.length === 0 && !(await checkSavedPictures())) return;
  await complete(services, started, log, now, outputCheck !== undefined);
}

/**
 * Ends a job whose images are all saved: Succeeded with its usage, or cleaned up if it was canceled or deleted
 * meanwhile. With the output check on, a picture without its mark stops the job short of Succeeded (the host
 * retries the message, whose worker checks it): the last guard before a link can point at a picture.
 */
async function complete(services: WorkerServices, job: JobRecord, log: Logger, now: () => number, outputChecked: boolean): Promise<void> {
  const saved = (await services.images.list(job.id)).filter((image) => image.index < job.request.n);
  const unchecked = outputChecked ? saved.filter((image) => !image.outputChecked) : [];
  if (unchecked.length > 0) throw new Error(`Job ${job.id}: pictures ${unchecked.map((image) => image.index).join(', ')} have not passed the output check; not finishing.`);
  const listed = await Promise.all(saved.map(async (image) => (image.thumbnail ? image : { ...image, thumbnail: await thumbnailFor(services, job.id, image) })));
  const images = listed.map(({ call: _call, outputChecked: _outputChecked, ...image }) => image);
  const usage = jobUsage(services, job, listed);
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

/** Handles a message the host gave up on: its job fails with the last reason we recorded. */
export async function failPoisonedJob(services: Pick<Services, 'jobs' | 'images'>, input: unknown, log: Logger): Promise<void> {
  const message = parseJobMessage(input);
  if (!message) {
    log.error('Dropped a poison queue message that is not a job message.');
    return;
  }
  const ended = await withSpan('job.poisoned', { jobId: message.jobId, queue: 'image-jobs-poison' }, () => services.jobs.update(message.jobId, (job) => failPoisoned(job, Date.now())), {
    kind: SpanKind.CONSUMER,
    ...(message.traceparent ? { traceparent: message.traceparent } : {}),
  });
  // A job that gave up on the output check keeps no picture (safety/outputCheck.ts).
  await (ended && picturesWithheld(ended) ? services.images.deleteAll(message.jobId) : services.images.deletePreviews(message.jobId)).catch(() => undefined);
  log.warn(`Job ${message.jobId}: moved to the poison queue; now ${ended?.status ?? 'missing'}.`);
}

/** The job's tokens (each provider call counted once, from its images' metadata) and estimated cost. */
function jobUsage(services: Pick<Services, 'profile'>, job: JobRecord, images: readonly ListedImage[]): JobUsage {
  const calls = new Map(images.flatMap((image) => (image.call ? [[image.call.firstIndex, image.call.usage] as const] : [])));
  const tokens = [...calls.values()].reduce(addUsage, noUsage);
  const cost = estimateCostUsd(
    findModel(job.model) ?? services.profile,
    { count: images.length, size: job.request.size, ...(job.request.quality ? { quality: job.request.quality } : {}) },
    calls.size > 0 ? tokens : undefined,
  );
  return { ...tokens, ...(cost !== undefined ? { estimatedCostUsd: cost } : {}) };
}

/** A thumbnail a crash kept from being made with its image (a redelivery does not make the image again). */
async function thumbnailFor(services: WorkerServices, jobId: string, image: ListedImage): Promise<ListedImage['thumbnail']> {
  const bytes = await services.images.read(image.blobName);
  if (!bytes) return undefined;
  const thumbnail = await makeThumbnail(bytes);
  await services.images.saveThumbnail(jobId, image.index, thumbnail.data, thumbnail);
  return { blobName: thumbnailBlobNameFor(jobId, image.index), width: thumbnail.width, height: thumbnail.height };
}

/** Thumbnails fit in 256x256: enough for a gallery or a class overview, a few KiB each. */
async function makeThumbnail(bytes: Buffer): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(bytes).resize(256, 256, { fit: 'inside' }).webp({ quality: 70 }).toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}
