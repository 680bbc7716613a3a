import sharp from 'sharp';
import type { Tenant } from '../config/tenants';
import { BadRequestError } from '../errors';
import type { AppConfig } from '../config/config';
import type { ImageStore } from '../storage/imageStore';
import type { JobStore } from '../storage/jobStore';
import type { UploadStore } from '../storage/uploadStore';
import { maxUploadBytes, uploadLifetimeInMs } from '../storage/uploadStore';
import type { JobBase, JobError } from '../jobs/job';
import { imageFormatOf } from '../provider/imageProvider';
import type { OutputFormat } from '../models/modelCatalogue';
import type { ImageRef, ParsedJobRequest } from '../jobs/jobRequest';

/**
 * The pictures an edit or a variation starts from, checked when the job is accepted: an earlier image must
 * be one of this tenant's succeeded jobs' (another tenant's looks the same as a missing one), an upload must
 * have been written, be younger than a day and not used by another job. All of them together (mask
 * included) must fit in MAX_EDIT_INPUT_MIB: the worker holds them in memory while the job's calls run. The
 * pictures' content (type, dimensions, the mask's alpha) is checked by the worker before any provider call.
 */

/** Where the pictures come from: earlier jobs' images, and uploads. */
export interface SourceDeps {
  readonly config: Pick<AppConfig, 'maxEditInputBytes'>;
  readonly jobs: Pick<JobStore, 'get'>;
  readonly uploads: Pick<UploadStore, 'containerName' | 'blobName' | 'describe' | 'claim' | 'read'>;
  readonly images: Pick<ImageStore, 'sizeOf' | 'read'>;
}
type Sources = NonNullable<JobBase['sources']>;

/** A variation of an upload with no prompt of its own gets this one. */
const variationPrompt = 'A new version of this picture, in the same style.';

export interface ResolvedSources {
  readonly sources: Sources;
  /** The prompt to use: the request's, or for a variation without one, its source job's. */
  readonly prompt: string;
  /** Marks the uploads as used by the job; throws if another job has one. */
  claim(jobId: string): Promise<void>;
}

export async function resolveSources(services: SourceDeps, tenant: Tenant, request: ParsedJobRequest, now = Date.now()): Promise<ResolvedSources | undefined> {
  if (!request.images) return undefined;
  // Targets are dotted paths, as the request parser writes them (images.0.uploadId, metadata.classId).
  const field = (i: number) => (request.kind === 'variation' ? 'image' : `images.${i}`);
  const uploadIds: string[] = [];
  let inheritedPrompt: string | undefined;
  let totalBytes = 0;

  async function upload(uploadId: string, target: string) {
    const found = await services.uploads.describe(tenant.id, uploadId);
    if (!found) throw new BadRequestError('UploadNotFound', `${target}: upload ${uploadId} was not written, or it expired and was deleted. PUT the file to its uploadUrl first.`, { target });
    if (now - found.lastModified.getTime() > uploadLifetimeInMs) throw new BadRequestError('UploadExpired', `${target}: upload ${uploadId} is older than a day; upload the picture again.`, { target });
    if (found.sizeInBytes > maxUploadBytes) throw new BadRequestError('UploadTooLarge', `${target}: the upload is ${found.sizeInBytes} bytes; at most ${maxUploadBytes} are allowed.`, { target });
    if (uploadIds.includes(uploadId)) throw new BadRequestError('UploadAlreadyUsed', `${target}: upload ${uploadId} is named twice; each upload serves once.`, { target });
    uploadIds.push(uploadId);
    totalBytes += found.sizeInBytes;
    return { container: services.uploads.containerName, blobName: services.uploads.blobName(tenant.id, uploadId) };
  }

  async function resolve(ref: ImageRef, target: string) {
    if ('uploadId' in ref) return upload(ref.uploadId, `${target}.uploadId`);
    const job = await services.jobs.get(ref.jobId);
    const image = job?.tenantId === tenant.id && job.status === 'Succeeded' ? job.images.find((candidate) => candidate.index === ref.index) : undefined;
    if (!job || !image) {
      throw new BadRequestError('ImageNotFound', `${target}: job ${ref.jobId} has no picture ${ref.index} that this school can use (it must be one of its succeeded jobs).`, { target });
    }
    inheritedPrompt ??= job.request.prompt;
    // Gone since the job succeeded (erased a moment ago): the worker ends the job with InputImageGone.
    totalBytes += (await services.images.sizeOf(image.blobName)) ?? 0;
    return { container: 'images', blobName: image.blobName };
  }

  const images = [];
  for (const [i, ref] of request.images.entries()) images.push(await resolve(ref, field(i)));
  const mask = request.mask ? await upload(request.mask.uploadId, 'mask.uploadId') : undefined;
  const maxBytes = services.config.maxEditInputBytes;
  if (totalBytes > maxBytes) {
    const target = request.kind === 'variation' ? 'image' : 'images';
    throw new BadRequestError(
      'EditInputTooLarge',
      `${target}: the pictures${mask ? ' and the mask' : ''} add up to ${mebibytes(totalBytes)} MiB; one job may start from at most ${mebibytes(maxBytes)} MiB in all. Use fewer or smaller pictures.`,
      { target },
    );
  }
  return {
    sources: { images, ...(mask ? { mask } : {}), uploadIds },
    prompt: request.prompt ?? inheritedPrompt ?? variationPrompt,
    async claim(jobId) {
      for (const uploadId of uploadIds) {
        if (!(await services.uploads.claim(tenant.id, uploadId, jobId))) {
          const at = (request.images ?? []).findIndex((ref) => 'uploadId' in ref && ref.uploadId === uploadId);
          const target = at >= 0 ? `${field(at)}.uploadId` : 'mask.uploadId';
          throw new BadRequestError('UploadAlreadyUsed', `Upload ${uploadId} is used by another job already; each upload serves one job.`, { target });
        }
      }
    },
  };
}

const mebibytes = (bytes: number) => (bytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, '');

/** The inputs of an edit, checked by content before any provider call. */
export interface SourcePictures {
  readonly images: { readonly bytes: Buffer; readonly format: OutputFormat }[];
  readonly mask?: Buffer;
}

/** Input pictures smaller or larger than this on a side are refused (the model works from 64 px up; 4096 is far above any school photo). */
const minSide = 64;
const maxSide = 4096;

/**
 * Reads the job's input pictures and checks them by content, not name: a PNG, JPEG or WebP within the
 * size and dimension limits; a mask must be a PNG with an alpha channel, the size of the first image.
 * Returns the pictures, or the error that ends the job (a bad upload never reaches the provider).
 */
export async function loadSourcePictures(
  services: { readonly uploads: Pick<UploadStore, 'containerName' | 'read'>; readonly images: Pick<ImageStore, 'read'>; readonly config: SourceDeps['config'] },
  sources: Sources,
): Promise<SourcePictures | JobError> {
  const read = (ref: { container: string; blobName: string }) =>
    ref.container === services.uploads.containerName ? services.uploads.read(ref.blobName) : services.images.read(ref.blobName);
  const images: SourcePictures['images'][number][] = [];
  const sizes: { width: number; height: number }[] = [];
  // Checked at submit; again here for a job accepted before MAX_EDIT_INPUT_MIB was lowered.
  let totalBytes = 0;
  const overTotal = () => totalBytes > services.config.maxEditInputBytes;
  const tooLarge: JobError = { code: 'InputImageTooLarge', message: `The input pictures add up to more than ${mebibytes(services.config.maxEditInputBytes)} MiB, the most one job may start from.` };
  for (const [i, ref] of sources.images.entries()) {
    const bytes = await read(ref);
    if (!bytes) return { code: 'InputImageGone', message: `Input picture ${i + 1} is no longer stored (deleted, or the upload expired).` };
    if (bytes.length > maxUploadBytes) return { code: 'InputImageTooLarge', message: `Input picture ${i + 1} is ${bytes.length} bytes; at most ${maxUploadBytes} are allowed.` };
    totalBytes += bytes.length;
    if (overTotal()) return tooLarge;
    const format = imageFormatOf(bytes);
    if (!format) return { code: 'UnsupportedImageType', message: `Input picture ${i + 1} is not a PNG, JPEG or WebP image (checked by its content).` };
    const metadata = await sharp(bytes).metadata().catch(() => undefined);
    const width = metadata?.width ?? 0;
    const height = metadata?.height ?? 0;
    if (!metadata) return { code: 'UnsupportedImageType', message: `Input picture ${i + 1} cannot be read as an image.` };
    if (Math.min(width, height) < minSide || Math.max(width, height) > maxSide) {
      return { code: 'InvalidImageDimensions', message: `Input picture ${i + 1} is ${width}x${height}; each side must be from ${minSide} to ${maxSide} pixels.` };
    }
    images.push({ bytes, format });
    sizes.push({ width, height });
  }
  if (!sources.mask) return { images };
  const mask = await read(sources.mask);
  if (!mask) return { code: 'InputImageGone', message: 'The mask is no longer stored (deleted, or the upload expired).' };
  totalBytes += mask.length;
  if (overTotal()) return tooLarge;
  const metadata = imageFormatOf(mask) === 'png' ? await sharp(mask).metadata().catch(() => undefined) : undefined;
  if (!metadata) return { code: 'InvalidMask', message: 'The mask must be a PNG image (checked by its content).' };
  if (!metadata.hasAlpha) return { code: 'InvalidMask', message: 'The mask must have an alpha channel: transparent where the picture may change.' };
  const first = sizes[0];
  if (first && (metadata.width !== first.width || metadata.height !== first.height)) {
    return { code: 'MaskSizeMismatch', message: `The mask is ${metadata.width}x${metadata.height}; it must be the size of the first picture, ${first.width}x${first.height}.` };
  }
  return { images, mask };
}
