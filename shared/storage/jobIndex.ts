import { RestError, type TableClient } from '@azure/data-tables';
import { z } from 'zod';
import { newestFirstFilter, newestFirstRowKey } from './newestFirst';
import { jobStatuses, type JobRecord, type JobStatus } from '../jobs/job';

/**
 * The job-listing index: one Table storage entity per job, beside the job records (blobs), so a tenant can
 * list its jobs by student, class, assignment, status and time without reading every record.
 *
 * PartitionKey is the tenant id, so a query never leaves the caller's tenant. RowKey is the inverted
 * creation time (13 digits) and the job id, so the table's natural order is newest first and ids break
 * ties. The index is eventually consistent with the records: it is written after a job's record and
 * before its message is enqueued, updated when the status changes, removed before a job is erased, and
 * the sweep (upkeep/recovery.ts) repairs whatever a crash left out of step. Its `status` may lag the record.
 */

export interface JobIndexEntry {
  readonly id: string;
  readonly status: JobStatus;
  readonly createdDateTime: string;
  readonly user?: string;
  readonly classId?: string;
  readonly assignmentId?: string;
}

export interface JobListFilter {
  readonly user?: string;
  readonly classId?: string;
  readonly assignmentId?: string;
  readonly status?: JobStatus;
  /** Only the jobs of this studio session (sessions/), for its gallery. */
  readonly sessionId?: string;
  /** Jobs created at or after this time. */
  readonly since?: Date;
}

export interface JobListPage {
  readonly entries: readonly JobIndexEntry[];
  /** Absent on the last page. */
  readonly continuationToken?: string;
}

export interface JobIndex {
  upsert(job: JobRecord): Promise<void>;
  /** Removes a job's entry; fine when it is already gone. */
  remove(job: Pick<JobRecord, 'id' | 'tenantId' | 'createdDateTime'>): Promise<void>;
  /** One page of the tenant's jobs, newest first. A filtered page may be short (even empty) and still have a next page. */
  list(tenantId: string, filter: JobListFilter, page: { readonly top: number; readonly continuationToken?: string }): Promise<JobListPage>;
  /** Every entry of every tenant, for the sweep. */
  listAll(): AsyncIterable<JobIndexEntry & { readonly tenantId: string }>;
  createIfNotExists(): Promise<void>;
}

export function rowKeyFor(createdDateTime: string, jobId: string): string {
  return newestFirstRowKey(createdDateTime, jobId);
}

/** What is stored: parsed on read, as the job records are. */
const entitySchema = z.object({
  partitionKey: z.string(),
  rowKey: z.string(),
  jobId: z.string(),
  status: z.enum(jobStatuses),
  createdDateTime: z.string(),
  user: z.string().optional(),
  classId: z.string().optional(),
  assignmentId: z.string().optional(),
  sessionId: z.string().optional(),
});

function entryOf(entity: unknown): (JobIndexEntry & { tenantId: string }) | undefined {
  const parsed = entitySchema.safeParse(entity);
  if (!parsed.success) return undefined;
  const { partitionKey, jobId, status, createdDateTime, user, classId, assignmentId } = parsed.data;
  return {
    tenantId: partitionKey,
    id: jobId,
    status,
    createdDateTime,
    ...(user !== undefined ? { user } : {}),
    ...(classId !== undefined ? { classId } : {}),
    ...(assignmentId !== undefined ? { assignmentId } : {}),
  };
}

/** The OData filter for a listing (newestFirst.ts: every value quoted). */
export function filterFor(tenantId: string, filter: JobListFilter): string {
  const { user, classId, assignmentId, status, sessionId } = filter;
  return newestFirstFilter(tenantId, filter.since, { user, classId, assignmentId, status, sessionId });
}

export function createJobIndex(table: TableClient): JobIndex {
  return {
    async upsert(job) {
      const { user, metadata } = job.request;
      const classId = metadata?.['classId'];
      const assignmentId = metadata?.['assignmentId'];
      // Replace, not merge: a field the job no longer has must not linger in the index.
      await table.upsertEntity(
        {
          partitionKey: job.tenantId,
          rowKey: rowKeyFor(job.createdDateTime, job.id),
          jobId: job.id,
          status: job.status,
          createdDateTime: job.createdDateTime,
          ...(user !== undefined ? { user } : {}),
          ...(classId !== undefined ? { classId } : {}),
          ...(assignmentId !== undefined ? { assignmentId } : {}),
          ...(job.sessionId !== undefined ? { sessionId: job.sessionId } : {}),
        },
        'Replace',
      );
    },
    async remove(job) {
      try {
        await table.deleteEntity(job.tenantId, rowKeyFor(job.createdDateTime, job.id));
      } catch (error) {
        if (!(error instanceof RestError && error.statusCode === 404)) throw error;
      }
    },
    async list(tenantId, filter, page) {
      const pages = table
        .listEntities({ queryOptions: { filter: filterFor(tenantId, filter) } })
        .byPage({ maxPageSize: page.top, ...(page.continuationToken ? { continuationToken: page.continuationToken } : {}) });
      const first = await pages.next();
      if (first.done) return { entries: [] };
      const entries = first.value.flatMap((entity) => entryOf(entity) ?? []).map(({ tenantId: _tenantId, ...entry }) => entry);
      return { entries, ...(first.value.continuationToken ? { continuationToken: first.value.continuationToken } : {}) };
    },
    async *listAll() {
      for await (const entity of table.listEntities()) {
        const entry = entryOf(entity);
        if (entry) yield entry;
      }
    },
    async createIfNotExists() {
      await table.createTable();
    },
  };
}
