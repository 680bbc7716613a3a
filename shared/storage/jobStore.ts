import type { ContainerClient } from '@azure/storage-blob';
import { parseJobRecord, type JobRecord } from '../jobs/job';
import { isStatus, readJsonBlob, updateJsonBlob, writeJsonBlob } from './blobJson';
import { deleteBlobAndSnapshots } from './deletions';
import { LastVersions } from './lastVersions';

/**
 * Job records as JSON blobs, one per job. Every change is a read-modify-write guarded by the blob's ETag,
 * so two workers (or a worker and a cancel) never overwrite each other's update: the loser re-reads and
 * applies its change to the newer record.
 *
 * The version this process last wrote or read is remembered, so the next change is written straight
 * under that ETag without reading first: a job passes through one process from start to finish (start,
 * claim, finish), and each read was a storage round trip before the model call or before the student sees
 * the pictures. A version changed elsewhere fails the ETag (412) and the change is made again on a fresh
 * read, so the remembered copy can never overwrite anything.
 *
 * What follows a saved change of status (the listing index, an ended job's webhook) is not here: the
 * composition root (functions/lib/services.ts) wraps this store in `followStatusChanges` (jobEvents.ts).
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
  /** The job's school, from blob metadata (retention per school); absent on older records. */
  readonly tenantId?: string;
  /** The student's pseudonym (Pseudonyms.studentKey), from blob metadata, so an erasure finds their jobs from the listing; absent without a student or on older records. */
  readonly studentKey?: string;
}

export interface JobStoreOptions {
  /** The pseudonym kept in a job blob's metadata for its student (never the student id: blob metadata is listed). */
  readonly studentKeyOf?: (job: JobRecord) => string | undefined;
}

const maxUpdateAttempts = 10;

/** Jobs whose last version is remembered; a worker holds a few at a time, a busy host's submits many more. */
const rememberedJobs = 1000;

export function createJobStore(container: ContainerClient, options: JobStoreOptions = {}): JobStore {
  const blobFor = (id: string) => container.getBlockBlobClient(`${id}.json`);
  const parse = (value: unknown) => parseJobRecord(value);
  // Listed with the blob, so a sweep finds stranded jobs, each school's expired ones and a student's without reading every record.
  const metadata = (job: JobRecord) => {
    const student = options.studentKeyOf?.(job);
    return { status: job.status, enqueued: job.enqueuedDateTime ? 'yes' : 'no', tenant: job.tenantId, ...(student ? { student } : {}) };
  };

  const remembered = new LastVersions<{ job: JobRecord; etag: string }>(rememberedJobs);
  const remember = (job: JobRecord, etag: string | undefined) => {
    if (etag) remembered.set(job.id, { job, etag });
    else remembered.forget(job.id);
  };

  return {
    async create(job) {
      remember(job, await writeJsonBlob(blobFor(job.id), job, { ifNoneMatch: '*' }, metadata(job)));
    },
    async get(id) {
      const found = await readJsonBlob(blobFor(id));
      if (!found) {
        remembered.forget(id);
        return undefined;
      }
      const job = parseJobRecord(found.value, `Job ${id}`);
      remember(job, found.etag);
      return job;
    },
    async update(id, change) {
      const known = remembered.get(id);
      // "No change" decided on a copy that may be old is decided again on the stored record, below.
      const next = known && change(known.job);
      if (known && next) {
        try {
          const etag = await writeJsonBlob(blobFor(id), next, { ifMatch: known.etag }, metadata(next));
          remember(next, etag);
          return next;
        } catch (error) {
          // Changed (or deleted) by another process since: read it and make the change again.
          if (!isStatus(error, 412) && !isStatus(error, 404)) throw error;
        }
      }
      // A job that does not exist stays absent: the change is never asked to create one.
      const { value, etag } = await updateJsonBlob<JobRecord>(blobFor(id), {
        parse,
        change: (current) => (current ? change(current) : undefined),
        metadata,
        maxAttempts: maxUpdateAttempts,
      });
      if (value) remember(value, etag);
      else remembered.forget(id);
      return value;
    },
    async delete(id) {
      remembered.forget(id);
      await deleteBlobAndSnapshots(blobFor(id));
    },
    async *list() {
      for await (const blob of container.listBlobsFlat({ includeMetadata: true })) {
        const status = blob.metadata?.['status'];
        const enqueued = blob.metadata?.['enqueued'];
        const tenantId = blob.metadata?.['tenant'];
        const studentKey = blob.metadata?.['student'];
        yield {
          id: blob.name.replace(/\.json$/, ''),
          lastModified: blob.properties.lastModified,
          ...(status ? { status } : {}),
          ...(enqueued ? { enqueued: enqueued === 'yes' } : {}),
          ...(tenantId ? { tenantId } : {}),
          ...(studentKey ? { studentKey } : {}),
        };
      }
    },
  };
}
