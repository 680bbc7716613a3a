import { createHash } from 'node:crypto';
import type { ContainerClient } from '@azure/storage-blob';
import { z } from 'zod';
import { BadRequestError, CorruptRecordError } from '../errors';
import { createIfAbsent } from '../storage/blobJson';

/**
 * Idempotency-Key for submits: a retried POST with the same key (per tenant) returns the same job; the
 * same key with a different request is refused. One small blob per key, created create-only, so two
 * concurrent retries agree on one job id. Keys live at least 24 hours (a lifecycle rule deletes them
 * after 2 days).
 */
export interface IdempotencyRecord {
  readonly jobId: string;
  readonly requestHash: string;
  /** True if this call created the record (the first use of the key). */
  readonly fresh: boolean;
}

export interface IdempotencyStore {
  claim(tenantId: string, key: string, requestHash: string, jobId: string): Promise<IdempotencyRecord>;
  /**
   * Remembers that a job was erased (deleted by its tenant, or by retention), so a retried key cannot bring
   * it back. The tombstone holds only the job id and lives as long as the keys (the same lifecycle rule).
   */
  markErased(jobId: string): Promise<void>;
  isErased(jobId: string): Promise<boolean>;
}

const storedKeySchema = z.object({ jobId: z.string(), requestHash: z.string() });

export function parseIdempotencyKey(header: string | null): string | undefined {
  if (header === null) return undefined;
  if (!/^[\x21-\x7E]{1,255}$/.test(header)) {
    throw new BadRequestError('InvalidHeader', 'Idempotency-Key must be 1 to 255 visible ASCII characters (a UUID is a good choice).', { target: 'Idempotency-Key' });
  }
  return header;
}

export function hashRequest(request: unknown): string {
  return createHash('sha256').update(JSON.stringify(request)).digest('hex');
}

export function createIdempotencyStore(container: ContainerClient): IdempotencyStore {
  return {
    async claim(tenantId, key, requestHash, jobId) {
      const blob = container.getBlockBlobClient(`${tenantId}/${createHash('sha256').update(key).digest('hex')}.json`);
      const body = JSON.stringify({ jobId, requestHash, createdDateTime: new Date().toISOString() });
      // Create-only, so two concurrent retries agree on one job id: the loser reads the winner's record.
      if (await createIfAbsent(blob, body, { contentType: 'application/json' })) return { jobId, requestHash, fresh: true };
      const stored = storedKeySchema.safeParse(JSON.parse((await blob.downloadToBuffer()).toString('utf8')));
      if (!stored.success) throw new CorruptRecordError(`The Idempotency-Key record of tenant ${tenantId}`, stored.error.issues[0]?.message ?? 'invalid');
      return { jobId: stored.data.jobId, requestHash: stored.data.requestHash, fresh: false };
    },
    async markErased(jobId) {
      await createIfAbsent(container.getBlockBlobClient(`erased/${jobId}`), '');
    },
    async isErased(jobId) {
      return container.getBlockBlobClient(`erased/${jobId}`).exists();
    },
  };
}
