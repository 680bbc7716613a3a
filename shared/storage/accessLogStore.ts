import { randomUUID } from 'node:crypto';
import { odata, type TableClient } from '@azure/data-tables';
import { z } from 'zod';
import { invertedTime, newestFirstFilter, newestFirstRowKey } from './newestFirst';
import { deleteEntities } from './tableEntities';

/**
 * The record of access (privacy/accessLog.ts) in Table storage: one entity per read of children's data,
 * partitioned by tenant (a school reads only its own), newest first as the job index is. It holds when,
 * which key (its label, never the key or its hash), the route and the query: never a prompt or a picture.
 */

export interface AccessEntry {
  readonly tenantId: string;
  readonly keyLabel: string;
  /** What was done, in a word: listJobs, getJob, listSafetyEvents, exportStudent, eraseStudent, … */
  readonly action: string;
  readonly method: string;
  /** The path asked for (a student id is in it for the student routes: the school's own data). */
  readonly path: string;
  /** The query string as sent (filters, paging), with a student id replaced by `{student}`; empty when none. */
  readonly query: string;
  /**
   * The student the read was about (a student route, or a listing's `user`), as a pseudonym (Pseudonyms.studentKey):
   * the log outlives a student's erasure, so it never holds the student id; the school filters by id (`?user=`).
   */
  readonly student?: string;
}

export interface StoredAccessEntry extends Omit<AccessEntry, 'tenantId'> {
  readonly id: string;
  readonly dateTime: string;
}

export interface AccessLogPage {
  readonly entries: readonly StoredAccessEntry[];
  readonly continuationToken?: string;
}

export interface AccessLogStore {
  append(entry: AccessEntry, at?: Date): Promise<void>;
  list(tenantId: string, filter: { readonly since?: Date; readonly keyLabel?: string; readonly action?: string; readonly student?: string }, page: { readonly top: number; readonly continuationToken?: string }): Promise<AccessLogPage>;
  /** Deletes every entry older than `cutoff`, of every tenant (ACCESS_LOG_RETENTION_DAYS); returns how many. */
  deleteOlderThan(cutoff: Date): Promise<number>;
  createIfNotExists(): Promise<void>;
}

/** A path or query longer than this is cut: they are a few dozen characters, this only bounds a hostile one. */
const maxTextChars = 1_000;

const entitySchema = z.object({
  entryId: z.string(),
  dateTime: z.string(),
  keyLabel: z.string(),
  action: z.string(),
  method: z.string(),
  path: z.string(),
  query: z.string(),
  student: z.string().optional(),
});

export function createAccessLogStore(table: TableClient): AccessLogStore {
  return {
    async append(entry, at = new Date()) {
      const id = randomUUID();
      const dateTime = at.toISOString();
      await table.createEntity({
        partitionKey: entry.tenantId,
        rowKey: newestFirstRowKey(dateTime, id),
        entryId: id,
        dateTime,
        keyLabel: entry.keyLabel,
        action: entry.action,
        method: entry.method,
        path: entry.path.slice(0, maxTextChars),
        query: entry.query.slice(0, maxTextChars),
        ...(entry.student !== undefined ? { student: entry.student } : {}),
      });
    },
    async list(tenantId, filter, page) {
      const pages = table
        .listEntities({ queryOptions: { filter: newestFirstFilter(tenantId, filter.since, { keyLabel: filter.keyLabel, action: filter.action, student: filter.student }) } })
        .byPage({ maxPageSize: page.top, ...(page.continuationToken ? { continuationToken: page.continuationToken } : {}) });
      const first = await pages.next();
      if (first.done) return { entries: [] };
      const entries = first.value.flatMap((entity) => {
        const parsed = entitySchema.safeParse(entity);
        if (!parsed.success) return [];
        const { entryId, ...rest } = parsed.data;
        return [{ id: entryId, ...rest }];
      });
      return { entries, ...(first.value.continuationToken ? { continuationToken: first.value.continuationToken } : {}) };
    },
    deleteOlderThan(cutoff) {
      // Older entries have larger RowKeys; across partitions, so no list of tenants is needed.
      return deleteEntities(table, odata`RowKey gt ${invertedTime(cutoff.getTime())}`);
    },
    async createIfNotExists() {
      await table.createTable();
    },
  };
}
