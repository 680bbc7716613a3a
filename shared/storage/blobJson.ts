import { RestError, type BlockBlobClient } from '@azure/storage-blob';

/** Small JSON blobs read and written under ETag conditions: job records and counters. */

export function isStatus(error: unknown, status: number): boolean {
  return error instanceof RestError && error.statusCode === status;
}

/** The blob's JSON and the ETag of that very content (one download gives both), or undefined if absent. */
export async function readJsonBlob<T>(blob: BlockBlobClient): Promise<{ value: T; etag: string } | undefined> {
  try {
    const response = await blob.download();
    const chunks: Buffer[] = [];
    for await (const chunk of response.readableStreamBody ?? []) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    return { value: JSON.parse(Buffer.concat(chunks).toString('utf8')) as T, etag: response.etag ?? '' };
  } catch (error) {
    if (isStatus(error, 404)) return undefined;
    throw error;
  }
}

/** Writes JSON under a condition (ifMatch an ETag, or ifNoneMatch '*' to create). */
export async function writeJsonBlob(
  blob: BlockBlobClient,
  value: unknown,
  conditions: { ifMatch?: string; ifNoneMatch?: string },
  metadata?: Record<string, string>,
): Promise<void> {
  const body = JSON.stringify(value);
  await blob.upload(body, Buffer.byteLength(body), {
    blobHTTPHeaders: { blobContentType: 'application/json' },
    ...(metadata ? { metadata } : {}),
    conditions,
  });
}
