import type { ContainerClient } from '@azure/storage-blob';
import { parseJobRecord, type JobRecord } from '../jobs/job';
import { readJsonBlob, updateJsonBlob, writeJsonBlob } from './blobJson';

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
  /** Every job, from the blob listing alone (no record is read): for retention and the sweep. */
  list(): AsyncIterable<JobListing>;
}

export interface JobListing {
  readonly id: string;
  readonly lastModified: Date;
  /** From blob metadata; absent on records written before it was kept there. */
  readonly status?: string;
  readonly enqueued?: boolean;
}

const maxUpdateAttempts = 10;

export function createJobStore(container: ContainerClient): JobStore {
  const blobFor = (id: string) => container.getBlockBlobClient(`${id}.json`);
  const parse = (value: unknown) => parseJobRecord(value);
  // Listed with the blob, so a sweep finds stranded jobs without reading every record.
  const metadata = (job: JobRecord) => ({ status: job.status, enqueued: job.enqueuedDateTime ? 'yes' : 'no' });

  return {
    async create(job) {
      await writeJsonBlob(blobFor(job.id), job, { ifNoneMatch: '*' }, metadata(job));
    },
    async get(id) {
      const found = await readJsonBlob(blobFor(id));
      return found && parseJobRecord(found.value, `Job ${id}`);
    },
    async update(id, change) {
      // A job that does not exist stays absent: the change is never asked to create one.
      const { value } = await updateJsonBlob<JobRecord>(blobFor(id), {
        parse,
        change: (current) => (current ? change(current) : undefined),
        metadata,
        maxAttempts: maxUpdateAttempts,
      });
      return value;
    },
    async delete(id) {
      await blobFor(id).deleteIfExists();
    },
    async *list() {
      for await (const blob of container.listBlobsFlat({ includeMetadata: true })) {
        const status = blob.metadata?.['status'];
        const enqueued = blob.metadata?.['enqueued'];
        yield {
          id: blob.name.replace(/\.json$/, ''),
          lastModified: blob.properties.lastModified,
          ...(status ? { status } : {}),
          ...(enqueued ? { enqueued: enqueued === 'yes' } : {}),
        };
      }
    },
  };
}
