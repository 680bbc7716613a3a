import { RestError, type BlobClient, type BlockBlobClient } from '@azure/storage-blob';

/**
 * Small JSON blobs read and written under ETag conditions: job records and counters. `updateJsonBlob` is
 * the one read-modify-write loop: of two writers that read the same version, one wins and the other
 * re-reads and applies its change to the newer value, so nothing is ever overwritten blindly.
 */

export function isStatus(error: unknown, status: number): boolean {
  return error instanceof RestError && error.statusCode === status;
}

/**
 * Writes a blob only if it does not exist yet (If-None-Match: *): true when this call created it, false
 * when it was there already (a redelivery's image, a claim another job holds). Never overwrites.
 */
export async function createIfAbsent(
  blob: BlockBlobClient,
  body: Buffer | string,
  options: { contentType?: string; cacheControl?: string; metadata?: Record<string, string> } = {},
): Promise<boolean> {
  try {
    await blob.uploadData(typeof body === 'string' ? Buffer.from(body) : body, {
      blobHTTPHeaders: { ...(options.contentType ? { blobContentType: options.contentType } : {}), ...(options.cacheControl ? { blobCacheControl: options.cacheControl } : {}) },
      ...(options.metadata ? { metadata: options.metadata } : {}),
      conditions: { ifNoneMatch: '*' },
    });
    return true;
  } catch (error) {
    if (isStatus(error, 409)) return false;
    throw error;
  }
}

/** The blob's bytes, or undefined when it does not exist. */
export async function downloadIfExists(blob: BlobClient): Promise<Buffer | undefined> {
  try {
    return await blob.downloadToBuffer();
  } catch (error) {
    if (isStatus(error, 404)) return undefined;
    throw error;
  }
}

/** The blob's JSON (unparsed as to shape) and the ETag of that very content, or undefined if absent. */
export async function readJsonBlob(blob: BlockBlobClient): Promise<{ value: unknown; etag: string } | undefined> {
  try {
    const response = await blob.download();
    const chunks: Buffer[] = [];
    for await (const chunk of response.readableStreamBody ?? []) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    return { value: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown, etag: response.etag ?? '' };
  } catch (error) {
    if (isStatus(error, 404)) return undefined;
    throw error;
  }
}

/** Writes JSON under a condition (ifMatch an ETag, or ifNoneMatch '*' to create); returns the new ETag. */
export async function writeJsonBlob(
  blob: BlockBlobClient,
  value: unknown,
  conditions: { ifMatch?: string; ifNoneMatch?: string },
  metadata?: Record<string, string>,
): Promise<string> {
  const body = JSON.stringify(value);
  const response = await blob.upload(body, Buffer.byteLength(body), {
    blobHTTPHeaders: { blobContentType: 'application/json' },
    ...(metadata ? { metadata } : {}),
    conditions,
  });
  return response.etag ?? '';
}

export interface JsonUpdate<T> {
  /** Parses what is stored (throws on a corrupt record). */
  parse(value: unknown): T;
  /** The next value, or undefined for "no change". `current` is undefined when the blob does not exist. */
  change(current: T | undefined): T | undefined;
  /** Blob metadata for the value written. */
  metadata?(value: T): Record<string, string>;
  readonly maxAttempts: number;
  /** A short pause between attempts spreads out writers that keep colliding. */
  readonly backoff?: (attempt: number) => Promise<void>;
}

/**
 * Applies `change` under the blob's ETag (or create-only when absent), retrying on a lost race.
 * Returns what is stored afterwards (the new value, or the current one when `change` made none).
 */
export async function updateJsonBlob<T>(blob: BlockBlobClient, update: JsonUpdate<T>): Promise<{ value: T | undefined; changed: boolean }> {
  for (let attempt = 1; ; attempt++) {
    const found = await readJsonBlob(blob);
    const current = found ? update.parse(found.value) : undefined;
    const next = update.change(current);
    if (next === undefined) return { value: current, changed: false };
    try {
      await writeJsonBlob(blob, next, found ? { ifMatch: found.etag } : { ifNoneMatch: '*' }, update.metadata?.(next));
      return { value: next, changed: true };
    } catch (error) {
      // 412: changed since we read it; 409: created since we read it. Read again and re-apply.
      if (!(isStatus(error, 412) || isStatus(error, 409)) || attempt >= update.maxAttempts) throw error;
      await update.backoff?.(attempt);
    }
  }
}
