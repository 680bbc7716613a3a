import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { ContainerClient } from '@azure/storage-blob';
import { createIfAbsent, downloadIfExists, isStatus } from './blobJson';
import { deleteBlobAndSnapshots, failureReason, type DeletionFailure, type Deletions } from './deletions';

/**
 * Pictures the LMS uploads for edits, as blobs `{tenant}/{uploadId}` in the uploads container. The client
 * writes them straight to storage through a create-only, one-blob SAS link, so a picture never passes
 * through the app's memory as a request body. An upload serves one job: claiming it writes a marker blob
 * create-only, so a second job naming it is refused. Unused uploads are deleted after a day (a lifecycle
 * rule in Azure, the retention cleanup locally), used ones with their job (children's photos).
 *
 * The link's create permission also lets the client snapshot the blob (see deletions.ts: no SAS permission
 * set can allow the create and forbid the snapshot), so every delete here takes snapshots with it.
 */

/** The answer to POST /api/uploads. */
export const uploadResourceSchema = z
  .object({
    id: z.uuid().meta({ description: 'Name it in a job: { "uploadId": id }.' }),
    uploadUrl: z.string().meta({ description: 'A create-only SAS link to this one blob: PUT the file here once (it cannot read, list, overwrite or write elsewhere).' }),
    expiresOn: z.string(),
    method: z.literal('PUT'),
    headers: z.object({ 'x-ms-blob-type': z.literal('BlockBlob') }),
  })
  .meta({ id: 'Upload' });
export type UploadResource = z.infer<typeof uploadResourceSchema>;

/** The largest upload a job accepts (the provider's own limit is higher). */
export const maxUploadBytes = 20 * 1024 * 1024;
/** An upload older than this is expired (and soon deleted). */
export const uploadLifetimeInMs = 24 * 60 * 60_000;

export interface UploadStore {
  readonly containerName: string;
  /** A new upload id and the blob it is to be written to. */
  create(tenantId: string): { id: string; blobName: string };
  blobName(tenantId: string, uploadId: string): string;
  /** The upload's size and age, if it was written. */
  describe(tenantId: string, uploadId: string): Promise<{ sizeInBytes: number; lastModified: Date } | undefined>;
  /** Marks the upload as used by a job; false when another job has it already. */
  claim(tenantId: string, uploadId: string, jobId: string): Promise<boolean>;
  read(blobName: string): Promise<Buffer | undefined>;
  /** Deletes an upload and its claim (gone already is fine). */
  delete(tenantId: string, uploadId: string): Promise<void>;
  /**
   * Uploads (and claims) older than `before`, with their snapshots, for the local retention cleanup. Goes on
   * past an upload it cannot delete and reports it.
   */
  deleteOlderThan(before: Date): Promise<Deletions>;
}

export function createUploadStore(container: ContainerClient): UploadStore {
  const blobName = (tenantId: string, uploadId: string) => `${tenantId}/${uploadId}`;
  const ignoreMissing = (error: unknown) => {
    if (!isStatus(error, 404)) throw error;
  };
  return {
    containerName: container.containerName,
    create(tenantId) {
      const id = randomUUID();
      return { id, blobName: blobName(tenantId, id) };
    },
    blobName,
    async describe(tenantId, uploadId) {
      try {
        const properties = await container.getBlobClient(blobName(tenantId, uploadId)).getProperties();
        return { sizeInBytes: properties.contentLength ?? 0, lastModified: properties.lastModified ?? new Date(0) };
      } catch (error) {
        ignoreMissing(error);
        return undefined;
      }
    },
    claim: (tenantId, uploadId, jobId) =>
      createIfAbsent(container.getBlockBlobClient(`${blobName(tenantId, uploadId)}.claim`), JSON.stringify({ jobId }), { contentType: 'application/json' }),
    read: (name) => downloadIfExists(container.getBlobClient(name)),
    async delete(tenantId, uploadId) {
      await deleteBlobAndSnapshots(container.getBlobClient(blobName(tenantId, uploadId)));
      await deleteBlobAndSnapshots(container.getBlobClient(`${blobName(tenantId, uploadId)}.claim`));
    },
    async deleteOlderThan(before) {
      let deleted = 0;
      const failures: DeletionFailure[] = [];
      for await (const blob of container.listBlobsFlat()) {
        if ((blob.properties.lastModified?.getTime() ?? 0) >= before.getTime()) continue;
        try {
          await deleteBlobAndSnapshots(container.getBlobClient(blob.name));
          deleted++;
        } catch (error) {
          // One upload that cannot be deleted must not keep every later one (children's photos) alive.
          failures.push({ item: `upload ${blob.name}`, reason: failureReason(error) });
        }
      }
      return { deleted, failures };
    },
  };
}
