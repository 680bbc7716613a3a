import type { ContainerClient } from '@azure/storage-blob';
import { isStatus } from './blobJson';
import type { StoredImage } from './job';

/**
 * The PNGs of a job, as blobs `{jobId}/{index}.png` in the images container. Writes are create-only, so a
 * redelivered message never replaces (or pays twice for) an image that already exists; the model's revised
 * prompt rides along as blob metadata so a redelivery can rebuild the result from the blobs alone.
 */
export interface ImageStore {
  readonly containerName: string;
  blobName(jobId: string, index: number): string;
  /** Saves one image unless it already exists. */
  save(jobId: string, index: number, png: Buffer, details: { width: number; height: number; revisedPrompt?: string }): Promise<void>;
  /** The images saved for a job so far, by index. */
  list(jobId: string): Promise<StoredImage[]>;
  deleteAll(jobId: string): Promise<void>;
}

// Blob metadata must be ASCII header text of at most 8 KiB in all; a revised prompt is URI-encoded and,
// in the rare case it would not fit, cut (it is informational).
const maxMetadataValueChars = 7_000;

export function createImageStore(container: ContainerClient): ImageStore {
  const blobName = (jobId: string, index: number) => `${jobId}/${index}.png`;

  return {
    containerName: container.containerName,
    blobName,
    async save(jobId, index, png, details) {
      const metadata: Record<string, string> = { width: String(details.width), height: String(details.height) };
      if (details.revisedPrompt) {
        metadata['revisedprompt'] = encodeURIComponent(details.revisedPrompt).slice(0, maxMetadataValueChars);
      }
      try {
        await container.getBlockBlobClient(blobName(jobId, index)).uploadData(png, {
          blobHTTPHeaders: { blobContentType: 'image/png', blobCacheControl: 'private, max-age=3600' },
          metadata,
          conditions: { ifNoneMatch: '*' },
        });
      } catch (error) {
        // 409: an earlier delivery of the same job saved this image already.
        if (!isStatus(error, 409)) throw error;
      }
    },
    async list(jobId) {
      const images: StoredImage[] = [];
      for await (const blob of container.listBlobsFlat({ prefix: `${jobId}/`, includeMetadata: true })) {
        const match = /\/(\d+)\.png$/.exec(blob.name);
        if (!match) continue;
        const metadata = blob.metadata ?? {};
        const revisedPrompt = metadata['revisedprompt'] ? safeDecode(metadata['revisedprompt']) : undefined;
        images.push({
          index: Number(match[1]),
          blobName: blob.name,
          width: Number(metadata['width']),
          height: Number(metadata['height']),
          contentType: 'image/png',
          ...(revisedPrompt ? { revisedPrompt } : {}),
        });
      }
      return images.sort((a, b) => a.index - b.index);
    },
    async deleteAll(jobId) {
      for await (const blob of container.listBlobsFlat({ prefix: `${jobId}/` })) {
        await container.deleteBlob(blob.name, { deleteSnapshots: 'include' }).catch((error: unknown) => {
          if (!isStatus(error, 404)) throw error;
        });
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
