import type { ContainerClient } from '@azure/storage-blob';
import { createIfAbsent, downloadIfExists, isStatus } from './blobJson';
import { deleteBlobAndSnapshots } from './deletions';
import type { TokenUsage } from '../models/pricing';
import type { StoredImage } from '../jobs/job';
import { contentTypes, fileExtensions, outputFormats, type OutputFormat } from '../models/modelCatalogue';

/**
 * The images of a job, as blobs `{jobId}/{index}.{png|jpg|webp}` in the images container. Writes are
 * create-only, so a redelivered message never replaces (or pays twice for) an image that already exists.
 * What a redelivery needs to rebuild the result from the blobs alone rides along as blob metadata: size,
 * the model's revised prompt, and the usage the provider reported for the call that made the image (on
 * every image of that call, with the call's first index, so it is counted once).
 */
export interface ImageDetails {
  readonly width: number;
  readonly height: number;
  readonly format: OutputFormat;
  readonly revisedPrompt?: string;
  /** The first index of the provider call that made this image, and that call's usage. */
  readonly call?: { readonly firstIndex: number; readonly usage: TokenUsage };
}

export interface ListedImage extends StoredImage {
  readonly call?: ImageDetails['call'];
  /** The output check passed this picture (markChecked); never part of the job record. */
  readonly outputChecked?: boolean;
}

/** The latest partial image of one picture while its job runs (a live preview). */
export interface StoredPreview {
  readonly index: number;
  readonly blobName: string;
  /** When the partial arrived: the blob's last write. */
  readonly receivedDateTime: string;
}

export interface ImageStore {
  readonly containerName: string;
  /** Saves one image unless it already exists. */
  save(jobId: string, index: number, bytes: Buffer, details: ImageDetails): Promise<void>;
  /** Saves an image's thumbnail (a small WebP) unless it exists. */
  saveThumbnail(jobId: string, index: number, webp: Buffer, size: { width: number; height: number }): Promise<void>;
  /**
   * Notes on the picture's blob that the output check passed it. The mark lives with the bytes it vouches for,
   * so a redelivered message knows which stored pictures still need a check, whatever crashed in between.
   */
  markChecked(blobName: string): Promise<void>;
  /** The images saved for a job so far, by index, with their thumbnails where made. */
  list(jobId: string): Promise<ListedImage[]>;
  /** One image's bytes (an earlier job's picture an edit starts from), or undefined if it is gone. */
  read(blobName: string): Promise<Buffer | undefined>;
  /** One image's size in bytes, or undefined if it is gone (an edit's inputs are counted at submit). */
  sizeOf(blobName: string): Promise<number | undefined>;
  /** Saves a picture's latest partial image, replacing the one before (a retried call just overwrites it). */
  savePreview(jobId: string, index: number, bytes: Buffer, format: OutputFormat): Promise<void>;
  /** The latest partial image of each picture that has one, by index. */
  listPreviews(jobId: string): Promise<StoredPreview[]>;
  /** Removes a job's previews (once it has ended); gone already is fine. */
  deletePreviews(jobId: string): Promise<void>;
  /** The pictures, their thumbnails and any previews. */
  deleteAll(jobId: string): Promise<void>;
}

// Blob metadata must be ASCII header text of at most 8 KiB in all; a revised prompt is URI-encoded and,
// in the rare case it would not fit, cut (it is informational).
const maxMetadataValueChars = 7_000;
/** Links are short-lived and per-user; browsers may keep the bytes for the hour a link lives at most. */
const cacheControl = 'private, max-age=3600';
const formatByExtension = new Map(outputFormats.map((format) => [fileExtensions[format], format]));
const imageBlobName = /\/(\d+)\.([a-z]+)$/;
/**
 * Thumbnails sit beside the job's folder (`{jobId}.thumbs/{index}.webp`), not in it, so `{jobId}/` holds
 * exactly the job's pictures; a listing by the bare job id (a UUID, so no other job shares the prefix)
 * finds both.
 */
const thumbnailBlobName = /\.thumbs\/(\d+)\.webp$/;
export const thumbnailBlobNameFor = (jobId: string, index: number) => `${jobId}.thumbs/${index}.webp`;
/**
 * Previews sit beside them too (`{jobId}.previews/{index}.{ext}`), one blob per picture overwritten by each
 * later partial, so deleteAll (by the job id prefix) removes them with the job, and a status read finds the
 * latest with one listing of the prefix: no job-record write per partial, so no ETag contention with a
 * cancel or the worker's own writes, and the blob's last-modified time says when it came.
 */
const previewsPrefixFor = (jobId: string) => `${jobId}.previews/`;
const previewBlobName = /\.previews\/(\d+)\.[a-z]+$/;
/** Blob metadata on a picture the output check passed (markChecked). */
const outputCheckedKey = 'outputcheck';
/** A preview link is fetched at once and replaced on the next poll: nothing should keep it. */
const previewCacheControl = 'private, no-store';

export function createImageStore(container: ContainerClient): ImageStore {
  return {
    containerName: container.containerName,
    async save(jobId, index, bytes, details) {
      const metadata: Record<string, string> = { width: String(details.width), height: String(details.height) };
      if (details.revisedPrompt) {
        metadata['revisedprompt'] = encodeURIComponent(details.revisedPrompt).slice(0, maxMetadataValueChars);
      }
      if (details.call) {
        const { usage } = details.call;
        metadata['call'] = String(details.call.firstIndex);
        metadata['usage'] = `${usage.textInputTokens},${usage.imageInputTokens},${usage.outputTokens}`;
      }
      // Create-only: an earlier delivery of the same job may have saved this image already.
      await createIfAbsent(container.getBlockBlobClient(`${jobId}/${index}.${fileExtensions[details.format]}`), bytes, {
        contentType: contentTypes[details.format],
        cacheControl,
        metadata,
      });
    },
    async saveThumbnail(jobId, index, webp, size) {
      await createIfAbsent(container.getBlockBlobClient(thumbnailBlobNameFor(jobId, index)), webp, {
        contentType: 'image/webp',
        cacheControl,
        metadata: { width: String(size.width), height: String(size.height) },
      });
    },
    async markChecked(blobName) {
      const blob = container.getBlobClient(blobName);
      try {
        const { metadata, etag } = await blob.getProperties();
        // Set Blob Metadata replaces all of it: keep what save wrote (size, usage), under the ETag just read.
        await blob.setMetadata({ ...metadata, [outputCheckedKey]: 'passed' }, etag ? { conditions: { ifMatch: etag } } : {});
      } catch (error) {
        // Gone: the job was deleted or canceled meanwhile, and its pictures with it.
        if (!isStatus(error, 404)) throw error;
      }
    },
    read: (blobName) => downloadIfExists(container.getBlobClient(blobName)),
    async sizeOf(blobName) {
      try {
        return (await container.getBlobClient(blobName).getProperties()).contentLength ?? 0;
      } catch (error) {
        if (isStatus(error, 404)) return undefined;
        throw error;
      }
    },
    async savePreview(jobId, index, bytes, format) {
      // An ordinary (overwriting) upload: each partial replaces the one before.
      await container.getBlockBlobClient(`${previewsPrefixFor(jobId)}${index}.${fileExtensions[format]}`).uploadData(bytes, {
        blobHTTPHeaders: { blobContentType: contentTypes[format], blobCacheControl: previewCacheControl },
      });
    },
    async listPreviews(jobId) {
      const previews = new Map<number, StoredPreview>();
      for await (const blob of container.listBlobsFlat({ prefix: previewsPrefixFor(jobId) })) {
        const match = previewBlobName.exec(blob.name);
        if (!match) continue;
        const preview = { index: Number(match[1]), blobName: blob.name, receivedDateTime: blob.properties.lastModified.toISOString() };
        const known = previews.get(preview.index);
        // One blob per picture, unless the output format of a retried call differed: the newest wins.
        if (!known || known.receivedDateTime < preview.receivedDateTime) previews.set(preview.index, preview);
      }
      return [...previews.values()].sort((a, b) => a.index - b.index);
    },
    async deletePreviews(jobId) {
      for await (const blob of container.listBlobsFlat({ prefix: previewsPrefixFor(jobId) })) {
        await deleteBlobAndSnapshots(container.getBlobClient(blob.name));
      }
    },
    async list(jobId) {
      const images: ListedImage[] = [];
      const thumbnails = new Map<number, NonNullable<ListedImage['thumbnail']>>();
      for await (const blob of container.listBlobsFlat({ prefix: jobId, includeMetadata: true })) {
        if (previewBlobName.test(blob.name)) continue;
        const thumbnail = thumbnailBlobName.exec(blob.name);
        if (thumbnail) {
          thumbnails.set(Number(thumbnail[1]), { blobName: blob.name, width: Number(blob.metadata?.['width']), height: Number(blob.metadata?.['height']) });
          continue;
        }
        const match = imageBlobName.exec(blob.name);
        const format = match ? formatByExtension.get(match[2] ?? '') : undefined;
        if (!match || !format) continue;
        const metadata = blob.metadata ?? {};
        const revisedPrompt = metadata['revisedprompt'] ? safeDecode(metadata['revisedprompt']) : undefined;
        const usage = /^(\d+),(\d+),(\d+)$/.exec(metadata['usage'] ?? '');
        images.push({
          ...(metadata[outputCheckedKey] === 'passed' ? { outputChecked: true } : {}),
          index: Number(match[1]),
          blobName: blob.name,
          width: Number(metadata['width']),
          height: Number(metadata['height']),
          format,
          contentType: contentTypes[format],
          ...(revisedPrompt ? { revisedPrompt } : {}),
          ...(usage && metadata['call']
            ? {
                call: {
                  firstIndex: Number(metadata['call']),
                  usage: { textInputTokens: Number(usage[1]), imageInputTokens: Number(usage[2]), outputTokens: Number(usage[3]) },
                },
              }
            : {}),
        });
      }
      return images
        .map((image) => {
          const thumbnail = thumbnails.get(image.index);
          return thumbnail ? { ...image, thumbnail } : image;
        })
        .sort((a, b) => a.index - b.index);
    },
    async deleteAll(jobId) {
      // The pictures, their thumbnails and previews (see thumbnailBlobNameFor and previewsPrefixFor).
      for await (const blob of container.listBlobsFlat({ prefix: jobId })) {
        await deleteBlobAndSnapshots(container.getBlobClient(blob.name));
      }
    },
  };
}

function safeDecode(value: string): string {
  // A cut may fall inside an escape sequence or a multi-byte character: drop the broken tail.
  for (let end = value.length; end > 0 && end > value.length - 12; end--) {
    try {
      return decodeURIComponent(value.slice(0, end));
    } catch {
      // try a shorter prefix
    }
  }
  return '';
}
