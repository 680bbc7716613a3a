import type { Caller } from '../access/callers';
import { z } from 'zod';
import { jobErrorSchema, jobStatuses, jobUsageSchema, webhookDeliverySchema, type JobRecord } from '../jobs/job';
import { jobRequestSchema } from '../jobs/jobRequest';
import type { StatusTokens } from '../access/statusTokens';
import { cloudOf, type AppConfig } from '../config/config';
import type { ModelEntry } from '../models/modelCatalogue';
import type { ProviderPacer } from '../provider/pacer';
import type { ImageStore } from '../storage/imageStore';
import type { SasLinkSigner } from '../storage/sasLinks';
import type { LinePositions } from '../storage/linePositions';
import { previewLinkLifetimeInMinutes, previewsExpected } from '../jobs/previews';
import { maxPartialImages } from '../models/modelCatalogue';

/**
 * The job as clients see it: the status monitor of an Azure long-running operation. A schema, not only a
 * type: the OpenAPI document (api/openapi.ts) is generated from it, and the type is derived from it.
 */
export const imageResourceSchema = z
  .object({
    url: z.string().meta({ description: 'A read-only SAS link to this one image file (PNG, JPEG or WebP: see contentType), valid until expiresOn.' }),
    expiresOn: z.string(),
    width: z.number(),
    height: z.number(),
    contentType: z.string(),
    revisedPrompt: z.string().optional(),
    downloadUrl: z.string().optional().meta({ description: 'The same picture as an attachment (picture-1.png, …): a link a browser saves instead of showing.' }),
    thumbnail: z
      .object({ url: z.string(), width: z.number(), height: z.number() })
      .optional()
      .meta({ description: 'A small WebP (at most 256x256) for galleries, with its own read-only link.' }),
  })
  .meta({ id: 'Image' });

export const previewResourceSchema = z
  .object({
    index: z.int().meta({ description: 'The picture (0 to n-1) this is a preview of.' }),
    url: z.string().meta({ description: 'A read-only SAS link to the latest partial image of this picture: the whole picture at an earlier, blurrier stage, in the job\'s outputFormat. Valid for a few minutes; each poll gives a fresh link.' }),
    receivedDateTime: z.string().meta({ description: 'When this partial image arrived.' }),
  })
  .meta({ id: 'Preview' });

export const jobResourceSchema = z
  .object({
    id: z.string(),
    status: z.enum(jobStatuses),
    createdDateTime: z.string(),
    lastUpdatedDateTime: z.string(),
    model: z.string(),
    request: jobRequestSchema.meta({ description: 'The request as accepted (with the size it got). Through a status URL, without user and metadata.' }),
    statusUrl: z.string().optional().meta({ description: 'For the LMS only: a URL a student\'s browser can poll without the API key (read-only, this job, expiring).' }),
    statusUrlExpiresOn: z.string().optional(),
    queue: z
      .object({ position: z.int(), estimatedStartDateTime: z.string() })
      .optional()
      .meta({ description: 'While NotStarted: place in line and when it should start, from the quota and the queue (approximate).' }),
    nextAttemptDateTime: z.string().optional().meta({ description: 'While Running but waiting out the provider\'s rate limit: when the next try is due.' }),
    previews: z
      .array(previewResourceSchema)
      .optional()
      .meta({
        description:
          'While Running, where the model streams partial images (PARTIAL_IMAGES): the latest partial of each picture that has one. ' +
          'Absent otherwise; the final images replace them. Retry-After is 1 s while they are coming.',
      }),
    result: z.object({ images: z.array(imageResourceSchema) }).optional(),
    usage: jobUsageSchema.optional().meta({ description: 'For the LMS only, once Succeeded: the tokens the provider reported and the estimated cost.' }),
    error: jobErrorSchema.optional(),
    webhooks: z
      .array(webhookDeliverySchema)
      .optional()
      .meta({ description: 'For the LMS only: the delivery log of this job\'s webhooks (attempts, status codes, next try).' }),
  })
  .meta({ id: 'Job' });

export type JobResource = z.infer<typeof jobResourceSchema>;
export type ImageResource = z.infer<typeof imageResourceSchema>;
export type PreviewResource = z.infer<typeof previewResourceSchema>;

export interface RenderOptions {
  readonly caller: Caller;
  /** The job's own URL (Operation-Location), to which the status token is added. */
  readonly jobUrl: string;
  readonly now?: Date;
  /** False for a submit's answer: the output binding sends the job's message after it is made. */
  readonly messageSent?: boolean;
}

/**
 * Retry-After for a job's status: the poll interval, longer while the job waits in line or out a rate limit,
 * and 1 s while previews are coming (so a browser sees each partial soon after it arrives).
 */
export function retryAfterSeconds(resource: JobResource, baseInSeconds: number, now: Date = new Date(), options: { previewsComing?: boolean } = {}): number | undefined {
  if (resource.status !== 'NotStarted' && resource.status !== 'Running') return undefined;
  const until = resource.queue?.estimatedStartDateTime ?? resource.nextAttemptDateTime;
  if (resource.status === 'Running' && !until && (options.previewsComing || resource.previews !== undefined)) return 1;
  const wait = until ? Math.ceil((Date.parse(until) - now.getTime()) / 1000) : 0;
  // Poll a few times while waiting, never less often than every 30 s.
  return Math.min(30, Math.max(baseInSeconds, Math.ceil(wait / 3)));
}

/** What rendering a job reads: links and tokens to sign, the waiting line and pace for an estimate, its previews. */
export interface ViewDeps {
  readonly config: Pick<AppConfig, 'partialImages' | 'imageProvider' | 'sasExpiryInMinutes'>;
  /** The configured model's catalogue entry. */
  readonly profile: ModelEntry;
  readonly statusTokens: StatusTokens;
  /** The job's place in the fair order (storage/linePositions.ts). */
  readonly linePositions: Pick<LinePositions, 'position'>;
  /** The seconds between calls, for the estimate: the position times this. */
  readonly pacer: Pick<ProviderPacer, 'secondsPerCall'>;
  readonly links: SasLinkSigner;
  readonly images: Pick<ImageStore, 'containerName' | 'listPreviews'>;
}

/** Whether a running job's status should expect previews, for its Retry-After (see jobs/previews.ts). */
export function previewsComing(services: Pick<ViewDeps, 'config' | 'profile'>, job: JobRecord): boolean {
  return previewsExpected(services.config.partialImages, services.profile, cloudOf(services.config.imageProvider), job);
}

/** The latest partial image of each picture of a running job, with short-lived read-only links. */
async function previewsOf(services: ViewDeps, job: JobRecord, now: Date): Promise<{ previews?: PreviewResource[] }> {
  // No listing on every poll where nothing streams (the setting is 0, or the model cannot stream here).
  if (services.config.partialImages === 0 || maxPartialImages(services.profile, cloudOf(services.config.imageProvider)) === 0) return {};
  const stored = await services.images.listPreviews(job.id);
  if (stored.length === 0) return {};
  const expiresOn = new Date(now.getTime() + Math.min(previewLinkLifetimeInMinutes, services.config.sasExpiryInMinutes) * 60_000);
  const previews = await Promise.all(
    stored
      .filter((preview) => preview.index < job.request.n)
      .map(async (preview) => ({
        index: preview.index,
        url: await services.links.linkFor(services.images.containerName, preview.blobName, expiresOn),
        receivedDateTime: preview.receivedDateTime,
      })),
  );
  return previews.length > 0 ? { previews } : {};
}

export async function renderJob(services: ViewDeps, job: JobRecord, options: RenderOptions): Promise<JobResource> {
  const now = options.now ?? new Date();
  // A browser holding a status token sees the job, not the LMS's bookkeeping about the student.
  const { user: _user, metadata: _metadata, callbackUrl: _callbackUrl, ...publicRequest } = job.request;
  const statusToken = options.caller.kind === 'tenant' ? services.statusTokens.create(job.id, now) : undefined;
  const base = {
    id: job.id,
    status: job.status,
    createdDateTime: job.createdDateTime,
    lastUpdatedDateTime: job.lastUpdatedDateTime,
    model: job.model,
    request: options.caller.kind === 'tenant' ? job.request : publicRequest,
    ...(statusToken
      ? { statusUrl: `${options.jobUrl}?token=${statusToken.token}`, statusUrlExpiresOn: statusToken.expiresOn.toISOString() }
      : {}),
    ...(job.webhooks && options.caller.kind === 'tenant' ? { webhooks: job.webhooks } : {}),
  };
  if (job.status === 'Failed' || job.status === 'Canceled') {
    return { ...base, error: job.error };
  }
  if (job.status === 'NotStarted') {
    const position = await services.linePositions.position(job, { messageSent: options.messageSent ?? true }).catch(() => undefined);
    if (position !== undefined) {
      // The jobs ahead each take a slot of the pace, and the next slot opens on average half a spacing from
      // now: the pace's windows are fixed, and after a quiet spell a worker must first poll the queue.
      const startInMs = (position - 0.5) * services.pacer.secondsPerCall * 1000;
      return { ...base, queue: { position, estimatedStartDateTime: new Date(now.getTime() + startInMs).toISOString() } };
    }
  }
  if (job.status === 'Running') {
    const previews = await previewsOf(services, job, now);
    if (job.waitingUntil && Date.parse(job.waitingUntil) > now.getTime()) {
      return { ...base, ...previews, nextAttemptDateTime: job.waitingUntil };
    }
    return { ...base, ...previews };
  }
  if (job.status !== 'Succeeded') return base;

  const expiresOn = new Date(now.getTime() + services.config.sasExpiryInMinutes * 60_000);
  const images = await Promise.all(
    job.images.map(async (image) => ({
      url: await services.links.linkFor(services.images.containerName, image.blobName, expiresOn),
      downloadUrl: await services.links.linkFor(services.images.containerName, image.blobName, expiresOn, { downloadAs: `picture-${image.index + 1}.${image.format}` }),
      expiresOn: expiresOn.toISOString(),
      width: image.width,
      height: image.height,
      contentType: image.contentType,
      ...(image.revisedPrompt ? { revisedPrompt: image.revisedPrompt } : {}),
      ...(image.thumbnail
        ? {
            thumbnail: {
              url: await services.links.linkFor(services.images.containerName, image.thumbnail.blobName, expiresOn),
              width: image.thumbnail.width,
              height: image.thumbnail.height,
            },
          }
        : {}),
    })),
  );
  return { ...base, result: { images }, ...(job.usage && options.caller.kind === 'tenant' ? { usage: job.usage } : {}) };
}
