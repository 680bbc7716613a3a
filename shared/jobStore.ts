import { RestError, type ContainerClient } from '@azure/storage-blob';
import type { JobRecord } from './job';

/**
 * Job records as JSON blobs, one per job. Every change is a read-modify-write guarded by the blob's ETag,
 * so two workers (or a worker and a cancel) never overwrite each other's update: the loser re-reads and
 * applies its change to the newer record.
 */
export interface JobStore {
  /** Stores a new job; fails if the id exists. */
  create(job: JobRecord): Promise<void>;
  get(id: string): Promise<JobRecord | undefined>;
  /**
   * Applies `change` to the current record and saves it. `change` returns undefined to leave the record
   * as it is. Returns the record as saved (or as found), or undefined when there is no such job.
   */
  update(id: string, change: (job: JobRecord) => JobRecord | undefined): Promise<JobRecord | undefined>;
  delete(id: string): Promise<void>;
}

const maxUpdateAttempts = 10;

export function isStatus(error: unknown, status: number): boolean {
  return error instanceof RestError && error.statusCode === status;
}

export function createJobStore(container: ContainerClient): JobStore {
  const blobFor = (id: string) => container.getBlockBlobClient(`${id}.json`);

  async function read(id: string): Promise<{ job: JobRecord; etag: string } | undefined> {
    try {
      // One download gives both the content and the ETag of that very content.
      const response = await blobFor(id).download();
      const text = await readStream(response.readableStreamBody);
      return { job: JSON.parse(text) as JobRecord, etag: response.etag ?? '' };
    } catch (error) {
      if (isStatus(error, 404)) return undefined;
      throw error;
    }
  }

  async function write(job: JobRecord, conditions: { ifMatch?: string; ifNoneMatch?: string }): Promise<void> {
    const body = JSON.stringify(job);
    await blobFor(job.id).upload(body, Buffer.byteLength(body), {
      blobHTTPHeaders: { blobContentType: 'application/json' },
      // Listed with the blob, so a sweep finds stranded jobs without reading every record.
      metadata: { status: job.status, enqueued: job.enqueuedDateTime ? 'yes' : 'no' },
      conditions,
    });
  }

  return {
    async create(job) {
      await write(job, { ifNoneMatch: '*' });
    },
    async get(id) {
      return (await read(id))?.job;
    },
    async update(id, change) {
      for (let attempt = 1; ; attempt++) {
        const current = await read(id);
        if (!current) return undefined;
        const next = change(current.job);
        if (!next) return current.job;
        try {
          await write(next, { ifMatch: current.etag });
          return next;
        } catch (error) {
          // 412: someone else saved first; apply our change again to what they saved.
          if (!isStatus(error, 412) || attempt >= maxUpdateAttempts) throw error;
        }
      }
    },
    async delete(id) {
      await blobFor(id).deleteIfExists();
    },
  };
}

async function readStream(stream: NodeJS.ReadableStream | undefined): Promise<string> {
  if (!stream) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}
