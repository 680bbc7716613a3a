import { RestError, type BlobClient } from '@azure/storage-blob';
import { errorMessage } from '../errors';

/**
 * Deleting what the app keeps (children's pictures among it), once and for all. Every blob delete takes the
 * blob's snapshots with it: the upload link's create permission (`sp=c`) lets a client snapshot the blob it
 * wrote (Azure documents `c` as "write a new blob, snapshot a blob, or copy a blob to a new blob", and no
 * SAS permission allows a create without the snapshot), and storage refuses to delete a blob that has
 * snapshots (409 SnapshotsPresent) unless told to delete them too.
 */

/** Deletes a blob and any snapshots of it; gone already is fine. */
export async function deleteBlobAndSnapshots(blob: BlobClient): Promise<void> {
  await blob.deleteIfExists({ deleteSnapshots: 'include' });
}

/** One thing a cleanup could not delete, and why (a status and code, never a URL or a SAS). */
export interface DeletionFailure {
  readonly item: string;
  readonly reason: string;
}

/** What a cleanup did: it goes on past an item it cannot delete, and reports each. */
export interface Deletions {
  readonly deleted: number;
  readonly failures: readonly DeletionFailure[];
}

export function failureReason(error: unknown): string {
  if (error instanceof RestError) return `${error.statusCode ?? 'no status'} ${error.code ?? 'no code'}`;
  return errorMessage(error);
}
