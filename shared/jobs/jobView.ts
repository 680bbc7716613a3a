import type { Caller } from '../access/callers';
import type { JobError, JobRecord, JobStatus, JobUsage } from './job';
import type { JobRequest } from './jobRequest';
import type { Services } from '../services';

/** The job as clients see it: the status monitor of an Azure long-running operation. */
export interface JobResource {
  readonly id: string;
  readonly status: JobStatus;
  readonly createdDateTime: string;
  readonly lastUpdatedDateTime: string;
  readonly model: string;
  readonly request: JobRequest;
  /** For the LMS only: a URL a student's browser can poll without the API key (read-only, this job, expiring). */
  readonly statusUrl?: string;
  readonly statusUrlExpiresOn?: string;
  /** While NotStarted: place in line and when it should start, from the quota and the queue (approximate). */
  readonly queue?: { readonly position: number; readonly estimatedStartDateTime: string };
  /** While Running but waiting out the provider's rate limit: when the next try is due. */
  readonly nextAttemptDateTime?: string;
  readonly result?: { readonly images: readonly ImageResource[] };
  /** For the LMS only, once Succeeded: the tokens the provider reported and the estimated cost. */
  readonly usage?: JobUsage;
  readonly error?: JobError;
}

export interface ImageResource {
  /** A read-only SAS link to this one image file (PNG, JPEG or WebP: see contentType), valid until expiresOn. */
  readonly url: string;
  readonly expiresOn: string;
  readonly width: number;
  readonly height: number;
  readonly contentType: string;
  readonly revisedPrompt?: string;
  /** A small WebP (at most 256x256) for galleries, with its own read-only link. */
  readonly thumbnail?: { readonly url: string; readonly width: number; readonly height: number };
}

export interface RenderOptions {
  readonly caller: Caller;
  /** The job's own URL (Operation-Location), to which the status token is added. */
  readonly jobUrl: string;
  readonly now?: Date;
}

/** Retry-After for a job's status: the poll interval, longer while the job waits in line or out a rate limit. */
export function retryAfterSeconds(resource: JobResource, baseInSeconds: number, now: Date = new Date()): number | undefined {
  if (resource.status !== 'NotStarted' && resource.status !== 'Running') return undefined;
  const until = resource.queue?.estimatedStartDateTime ?? resource.nextAttemptDateTime;
  const wait = until ? Math.ceil((Date.parse(until) - now.getTime()) / 1000) : 0;
  // Poll a few times while waiting, never less often than every 30 s.
  return Math.min(30, Math.max(baseInSeconds, Math.ceil(wait / 3)));
}

export type ViewServices = Pick<Services, 'statusTokens' | 'waitingLine' | 'pacer' | 'config' | 'links' | 'images'>;

export async function renderJob(services: ViewServices, job: JobRecord, options: RenderOptions): Promise<JobResource> {
  const now = options.now ?? new Date();
  // A browser holding a status token sees the job, not the LMS's bookkeeping about the student.
  const { user: _user, metadata: _metadata, ...publicRequest } = job.request;
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
  };
  if (job.status === 'Failed' || job.status === 'Canceled') {
    return { ...base, error: job.error };
  }
  if (job.status === 'NotStarted' && job.ticket !== undefined) {
    const position = await services.waitingLine.position(job.ticket).catch(() => undefined);
    if (position !== undefined) {
      const startInMs = (position - 1) * services.pacer.secondsPerCall * 1000;
      return { ...base, queue: { position, estimatedStartDateTime: new Date(now.getTime() + startInMs).toISOString() } };
    }
  }
  if (job.status === 'Running' && job.waitingUntil && Date.parse(job.waitingUntil) > now.getTime()) {
    return { ...base, nextAttemptDateTime: job.waitingUntil };
  }
  if (job.status !== 'Succeeded') return base;

  const expiresOn = new Date(now.getTime() + services.config.sasExpiryInMinutes * 60_000);
  const images = await Promise.all(
    job.images.map(async (image) => ({
      url: await services.links.linkFor(services.images.containerName, image.blobName, expiresOn),
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
