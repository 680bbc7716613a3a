import { createHash } from 'node:crypto';
import type { ContainerClient } from '@azure/storage-blob';
import { z } from 'zod';
import { BadRequestError, CorruptRecordError } from '../errors';
import { createIfAbsent, downloadIfExists } from '../storage/blobJson';

/**
 * Idempotency-Key for submits: a retried POST with the same key returns the same job; the same key with a
 * different request is refused. One small blob per key, created create-only, so two concurrent retries
 * agree on one job id. Keys live at least 24 hours (a lifecycle rule deletes them after 2 days).
 *
 * Each caller has its own keys: the school's LMS (its API key) and each studio session. The client chooses
 * the key, so the caller is told apart by where the record lives, never by text in the key: an LMS key
 * could otherwise spell another caller's key and name its job (the LMS's `session:<id>:k1` used to be the
 * session's `k1`).
 */

/** Whose keys: the school's LMS, or one studio session of it. */
export type IdempotencyScope = { readonly kind: 'tenant' } | { readonly kind: 'session'; readonly sessionId: string };
export interface IdempotencyRecord {
  readonly jobId: string;
  readonly requestHash: string;
  /** True if this call created the record (the first use of the key). */
  readonly fresh: boolean;
  /** The key's job was erased with its student (eraseRecordsOf): the record no longer says which job it was. */
  readonly erased?: true;
}

export interface IdempotencyStore {
  claim(tenantId: string, scope: IdempotencyScope, key: string, requestHash: string, jobId: string): Promise<IdempotencyRecord>;
  /**
   * Remembers that a job was erased (deleted by its tenant, or by retention), so a retried key cannot bring
   * it back. The tombstone holds only the job id and lives as long as the keys (the same lifecycle rule).
   */
  markErased(jobId: string): Promise<void>;
  isErased(jobId: string): Promise<boolean>;
  /**
   * A student's erasure (privacy/studentErasure.ts): the tenant's records that name one of these jobs are
   * overwritten with a tombstone that names no job and holds no hash of the request, so the key still
   * answers 410 but nothing in storage ties it to the student. Returns how many; repeating it changes nothing.
   */
  eraseRecordsOf(tenantId: string, jobIds: ReadonlySet<string>): Promise<number>;
}

const storedKeySchema = z.union([z.object({ erased: z.literal(true) }), z.object({ jobId: z.string(), requestHash: z.string() })]);
/** Blob metadata naming the record's job, so an erasure finds a student's records from the listing alone. */
const jobIdMetadataKey = 'jobid';

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

/**
 * Where a key's record lives. The LMS's records keep the name they always had (`<tenant>/<sha256 of key>.json`),
 * so keys stored before callers were told apart still work; a session's live under `<tenant>/sessions/<id>/`,
 * which no LMS key can reach (an LMS name has no further `/`). A session's records from before (named as the
 * LMS's key `session:<id>:<key>`) are not looked for: the studio page sends no Idempotency-Key, a session
 * lives at most 8 hours, and such a record cannot be told from an LMS key of that spelling (the defect).
 */
export function idempotencyBlobName(tenantId: string, scope: IdempotencyScope, key: string): string {
  const keyHash = createHash('sha256').update(key).digest('hex');
  return scope.kind === 'tenant' ? `${tenantId}/${keyHash}.json` : `${tenantId}/sessions/${scope.sessionId}/${keyHash}.json`;
}

export function createIdempotencyStore(container: ContainerClient): IdempotencyStore {
  return {
    async claim(tenantId, scope, key, requestHash, jobId) {
      const blob = container.getBlockBlobClient(idempotencyBlobName(tenantId, scope, key));
      const body = JSON.stringify({ jobId, requestHash, createdDateTime: new Date().toISOString() });
      // Create-only, so two concurrent retries agree on one job id: the loser reads the winner's record.
      if (await createIfAbsent(blob, body, { contentType: 'application/json', metadata: { [jobIdMetadataKey]: jobId } })) return { jobId, requestHash, fresh: true };
      const stored = storedKeySchema.safeParse(JSON.parse((await blob.downloadToBuffer()).toString('utf8')));
      if (!stored.success) throw new CorruptRecordError(`The Idempotency-Key record of tenant ${tenantId}`, stored.error.issues[0]?.message ?? 'invalid');
      if ('erased' in stored.data) return { jobId: '', requestHash: '', fresh: false, erased: true };
      return { jobId: stored.data.jobId, requestHash: stored.data.requestHash, fresh: false };
    },
    async eraseRecordsOf(tenantId, jobIds) {
      let erased = 0;
      if (jobIds.size === 0) return 0;
      for await (const item of container.listBlobsFlat({ prefix: `${tenantId}/`, includeMetadata: true })) {
        let jobId = item.metadata?.[jobIdMetadataKey];
        if (jobId === undefined && item.metadata?.['erased'] === undefined) {
          // A record from before the metadata was kept: its body says which job it made.
          const found = await downloadIfExists(container.getBlobClient(item.name));
          const stored = found ? storedKeySchema.safeParse(JSON.parse(found.toString('utf8'))) : undefined;
          jobId = stored?.success && 'jobId' in stored.data ? stored.data.jobId : undefined;
        }
        if (jobId === undefined || !jobIds.has(jobId)) continue;
        // An overwrite, not a delete: a retried submit with this key must still be told 410, not make a new job.
        const tombstone = JSON.stringify({ erased: true });
        await container.getBlockBlobClient(item.name).upload(tombstone, Buffer.byteLength(tombstone), { blobHTTPHeaders: { blobContentType: 'application/json' }, metadata: { erased: 'yes' } });
        erased++;
      }
      return erased;
    },
    async markErased(jobId) {
      await createIfAbsent(container.getBlockBlobClient(`erased/${jobId}`), '');
    },
    async isErased(jobId) {
      return container.getBlockBlobClient(`erased/${jobId}`).exists();
    },
  };
}
