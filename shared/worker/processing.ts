import { cloudOf } from '../config/config';
import { safetyOf } from '../config/tenants';
import { partialImagesFor } from '../jobs/previews';
import { finish } from '../jobs/transitions';
import { parseSize } from '../models/modelCatalogue';
import type { ImageGenerationRequest } from '../provider/imageProvider';
import { parseJobMessage } from '../storage/jobMessage';
import { loadSourcePictures } from '../submission/sources';
import { SpanKind, withSpan } from '../telemetry/spans';
import { complete, saveGenerated } from './completion';
import { beginRun, type JobRun, type ProcessContext, type WorkerDeps } from './jobRun';
import { useTicket, type RunOutcome } from './tickets';
import { checkSavedPictures, previewPasses, recordSuccessAfterFailures, type OutputCheck } from './outputChecks';
import { callProvider } from './providerCall';
import { defaultRetryPolicy } from './retryPolicy';
import { saveThumbnails } from './thumbnails';

/**
 * The queue worker. Delivery is at least once, so every step is idempotent: a finished job ignores its
 * message, images that exist are not made again (create-only blobs), and the job record only moves
 * forward, through the transitions in transitions.ts, under its ETag. Failed calls are handled by the pure
 * retry policy (retryPolicy.ts); providerCall.ts carries out its decisions. Anything else thrown (storage
 * trouble, a crash) is retried by the host; after maxDequeueCount attempts the message goes to the poison
 * queue and failPoisonedJob (completion.ts) ends the job.
 *
 * A message is a ticket to run one waiting job, the fairest when its call can start (tickets.ts).
 *
 * The steps of a delivery: pick the job (tickets.ts); start it (this file); per call, a slot, the claim and the call
 * (providerCall.ts); save the pictures (completion.ts), check them (outputChecks.ts), make their thumbnails
 * (thumbnails.ts); and finish the job with its usage and cost (completion.ts).
 *
 * The output check (safety/outputCheck.ts), when on: every saved picture is read back and checked before the
 * job can succeed, and a pass is marked on the picture's blob; a job never becomes Succeeded with a picture
 * that lacks the mark (complete), so a redelivery after any crash checks what the crash left unchecked
 * instead of publishing it. Pictures are stored before their check, under `{jobId}/`, which no link points at
 * until the job is Succeeded (views/jobView.ts); a refused picture ends the job and every blob of it is
 * deleted. Previews are checked before they are stored, since a running job's status links to them at once.
 */

/**
 * Handles one delivery of a job's message, in a span that continues the submit's trace (the message's
 * traceparent): each redelivery is another span of the same trace, and the job's end sets its outcome there.
 */
export async function processJob(services: WorkerDeps, input: unknown, context: ProcessContext): Promise<void> {
  const message = parseJobMessage(input);
  if (!message) {
    // Retrying cannot make a malformed message valid, and it names no job to fail.
    context.log.error('Dropped a queue message that is not a job message.');
    return;
  }
  const deployment = services.config.imageProvider.kind === 'azure-openai' ? services.config.imageProvider.deployment : undefined;
  return withSpan('job.process', { jobId: message.jobId, model: services.profile.name, deployment, messageId: context.messageId || undefined }, () => useTicket(services, message, context, runJob), {
    kind: SpanKind.CONSUMER,
    ...(message.traceparent ? { traceparent: message.traceparent } : {}),
  });
}

/** Runs one job the ticket chose: makes what is missing of its pictures and ends it. */
async function runJob(services: WorkerDeps, jobId: string, context: ProcessContext): Promise<RunOutcome> {
  const run = await beginRun(services, jobId, context, defaultRetryPolicy);
  if ('kind' in run) return run;
  await makePictures(run);
  return { kind: 'ran' };
}

async function makePictures(run: JobRun): Promise<void> {
  const { services, jobId, job: started, log, now } = run;
  const { request } = started;
  const prompt = services.metapromptFor(started.metapromptVersion).compose(request.prompt, request.orientation);
  const size = parseSize(request.size);
  const stored = await services.images.list(jobId);
  const saved = new Set(stored.map((image) => image.index));
  const missing = Array.from({ length: request.n }, (_, index) => index).filter((index) => !saved.has(index));
  // Edits and variations: their pictures, checked by content before anything is spent on them.
  const pictures = started.sources ? await loadSourcePictures(services, started.sources) : undefined;
  if (pictures && 'code' in pictures) {
    await run.apply((job) => finish(job, { status: 'Failed', error: pictures }, now()));
    return log.warn(`Job ${jobId}: failed with ${pictures.code} (its input pictures).`);
  }

  // A school removed from TENANTS since the submit is judged by the strict defaults.
  const safety = safetyOf(services.config.tenants.find((tenant) => tenant.id === started.tenantId) ?? {});
  const outputCheck: OutputCheck | undefined = services.config.outputCheck && services.contentSafety ? { client: services.contentSafety, ...services.config.outputCheck, safety } : undefined;

  for (const batch of chunk(missing, services.profile.maxImagesPerCall)) {
    const generated = await callProvider(run, requestFor(run, prompt, batch, outputCheck), pictures);
    if (!generated) return;
    const made = await saveGenerated(services.images, started, batch, generated, size);
    // Before thumbnails: a refused picture gets none, and the rest of a multi-call job is not paid for.
    if (!(await checkSavedPictures(run, outputCheck))) return;
    await saveThumbnails(services.images, jobId, made);
    await recordSuccessAfterFailures(run);
  }
  // A redelivery with nothing left to make checks what an earlier delivery saved but did not get to check;
  // otherwise each batch's check above has already covered every saved picture (it lists them all).
  if (missing.length === 0 && !(await checkSavedPictures(run, outputCheck))) return;
  await complete(services, started, log, now, outputCheck !== undefined);
}

/**
 * The provider request of one batch: the job's parameters, its safety identifier, and for a call of one
 * picture live previews, each checked (outputChecks.ts) before it replaces the picture's preview blob.
 */
function requestFor(run: JobRun, prompt: string, batch: readonly number[], outputCheck: OutputCheck | undefined): ImageGenerationRequest {
  const { services, jobId, log } = run;
  const { request } = run.job;
  // Live previews: a one-picture call streams, and each partial replaces the picture's preview blob.
  const partialImages = partialImagesFor(services.config.partialImages, services.profile, cloudOf(services.config.imageProvider), batch.length);
  const previewIndex = batch[0] ?? 0;
  const previews =
    partialImages > 0
      ? {
          partialImages,
          onPartialImage: async (partial: { bytes: Buffer }) => {
            // The stream waits while a preview is checked (OUTPUT_CHECK_TIMEOUT_MS at most), within the call's timeout.
            if (!(await previewPasses(run, outputCheck, partial.bytes))) return;
            // A preview is a nicety: failing to store one must not fail or repeat the (paid) call.
            await services.images.savePreview(jobId, previewIndex, partial.bytes, request.outputFormat).catch((error: unknown) => {
              log.warn(`Job ${jobId}: a preview could not be stored: ${String(error)}`);
            });
          },
        }
      : {};
  return {
    prompt,
    n: batch.length,
    size: request.size,
    ...(request.quality ? { quality: request.quality } : {}),
    ...(request.style ? { style: request.style } : {}),
    outputFormat: request.outputFormat,
    ...(request.outputCompression !== undefined ? { outputCompression: request.outputCompression } : {}),
    safetyIdentifier: services.pseudonyms.safetyIdentifier(run.job.tenantId, request.user),
    ...previews,
  };
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}
