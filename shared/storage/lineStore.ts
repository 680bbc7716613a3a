import { RestError, type TableClient } from '@azure/data-tables';
import { isTableStatus } from './tableEntities';
import { z } from 'zod';
import type { LineEntry } from '../jobs/turns';

/**
 * The line of jobs waiting for their calls (jobs/turns.ts orders it), in Table storage: one entity per job,
 * all in one partition per line, so a worker reads the whole line in one query and claims a job with one
 * conditional write (If-Match), which two instances can never both win. A finished job's entity stays
 * (`done`) for the fairness window, so recent starts still count, and is then removed.
 */

export interface StoredLineEntry extends LineEntry {
  readonly etag: string;
}

export interface LineStore {
  /** Puts a job in line; fine when it is there already (a repeated submit). */
  add(entry: Omit<LineEntry, 'state'>): Promise<void>;
  /** The whole line. */
  list(): Promise<StoredLineEntry[]>;
  /** Claims a job for a ticket, if nobody changed its entry since it was read: false when another ticket won. */
  claim(entry: StoredLineEntry, ticketId: string, claimedUntil: number): Promise<boolean>;
  /**
   * Records, whatever the entry holds now, that `ticketId` runs the job until `claimedUntil`: a ticket that
   * found the job already running under another message's claim (its entry's claim had run out) gives the
   * entry back to that message.
   */
  hold(jobId: string, ticketId: string, claimedUntil: number): Promise<void>;
  /** Gives a claimed job back to the line (handed to a later ticket), keeping its place. */
  release(jobId: string): Promise<void>;
  /** The job ended at `endedAt`: it no longer waits, and its start counts for the fairness window (jobs/turns.ts). */
  markDone(jobId: string, endedAt: number): Promise<void>;
  /** Removes entries (finished ones past the window, or an erased job's); gone already is fine. */
  remove(jobIds: readonly string[]): Promise<void>;
  createIfNotExists(): Promise<void>;
}

const entitySchema = z.object({
  rowKey: z.string(),
  etag: z.string(),
  tenantId: z.string(),
  student: z.string(),
  acceptedAt: z.number(),
  state: z.enum(['waiting', 'started', 'done']),
  claimedBy: z.string().optional(),
  claimedUntil: z.number().optional(),
  endedAt: z.number().optional(),
});

/** A table transaction holds at most 100 operations, all in one partition (one line). */
const maxBatch = 100;


export function createLineStore(table: TableClient, lineName: string): LineStore {
  const partitionKey = lineName;
  async function merge(jobId: string, fields: Record<string, unknown>, etag?: string): Promise<boolean> {
    try {
      await table.updateEntity({ partitionKey, rowKey: jobId, ...fields }, 'Merge', etag ? { etag } : {});
      return true;
    } catch (error) {
      // 412: another ticket claimed it first; 404: the job was erased meanwhile.
      if (isTableStatus(error, 404, 412)) return false;
      throw error;
    }
  }
  async function deleteOne(jobId: string): Promise<void> {
    try {
      await table.deleteEntity(partitionKey, jobId);
    } catch (error) {
      if (!isTableStatus(error, 404)) throw error;
    }
  }
  return {
    async add(entry) {
      try {
        await table.createEntity({ partitionKey, rowKey: entry.jobId, tenantId: entry.tenantId, student: entry.student, acceptedAt: entry.acceptedAt, state: 'waiting' });
      } catch (error) {
        if (!isTableStatus(error, 409)) throw error;
      }
    },
    async list() {
      const entries: StoredLineEntry[] = [];
      const filter = `PartitionKey eq '${partitionKey.replace(/'/g, "''")}'`;
      for await (const entity of table.listEntities({ queryOptions: { filter } })) {
        const parsed = entitySchema.safeParse(entity);
        if (!parsed.success) continue;
        const { rowKey, claimedBy, claimedUntil, endedAt, ...rest } = parsed.data;
        entries.push({
          jobId: rowKey,
          ...rest,
          ...(claimedBy !== undefined ? { claimedBy } : {}),
          ...(claimedUntil !== undefined ? { claimedUntil } : {}),
          ...(endedAt !== undefined ? { endedAt } : {}),
        });
      }
      return entries;
    },
    claim(entry, ticketId, claimedUntil) {
      return merge(entry.jobId, { state: 'started', claimedBy: ticketId, claimedUntil }, entry.etag);
    },
    async hold(jobId, ticketId, claimedUntil) {
      await merge(jobId, { state: 'started', claimedBy: ticketId, claimedUntil });
    },
    async release(jobId) {
      // Table storage's Merge cannot drop a property: an expired claim (0) reads as no claim.
      await merge(jobId, { state: 'waiting', claimedBy: '', claimedUntil: 0 });
    },
    async markDone(jobId, endedAt) {
      await merge(jobId, { state: 'done', endedAt });
    },
    async remove(jobIds) {
      // One request per hundred entries: the workers tidy the line as they go, so this is on the job's path.
      for (let start = 0; start < jobIds.length; start += maxBatch) {
        const batch = jobIds.slice(start, start + maxBatch);
        if (batch.length === 1) {
          await deleteOne(batch[0] ?? '');
          continue;
        }
        try {
          await table.submitTransaction(batch.map((jobId) => ['delete', { partitionKey, rowKey: jobId }]));
        } catch (error) {
          // A transaction fails whole when one entry is gone already (another worker removed it): one at a time
          // then, which tells a missing entry (fine) from real trouble (thrown).
          if (!(error instanceof RestError)) throw error;
          for (const jobId of batch) await deleteOne(jobId);
        }
      }
    },
    async createIfNotExists() {
      await table.createTable();
    },
  };
}
