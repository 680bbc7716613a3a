import type { TableClient } from '@azure/data-tables';
import { isTableStatus } from './tableEntities';
import { z } from 'zod';
import type { Presence } from '../jobs/lineForecast';

/**
 * Who opened the studio lately (jobs/lineForecast.ts): one entity per student, in the line's table under a
 * partition of its own, holding the school, the student's keyed pseudonym (never the LMS's id) and when.
 * Opening the studio again overwrites it; the sweep removes marks past the window; a student's erasure
 * removes theirs at once. Read once a second per instance for the estimates, never on a job's path.
 */
export interface StoredPresence extends Presence {
  readonly etag: string;
}

export interface PresenceStore {
  /** The student opened the studio at `at` (the pseudonym, as the line names them). */
  note(presence: Presence): Promise<void>;
  list(): Promise<StoredPresence[]>;
  /** Removes these students' marks (their erasure); gone already is fine. */
  remove(students: readonly string[]): Promise<void>;
  /** Removes these marks as they were listed: one written again since (the studio opened again) stays. */
  removeIfUnchanged(marks: readonly StoredPresence[]): Promise<void>;
}

const entitySchema = z.object({ rowKey: z.string(), etag: z.string(), tenantId: z.string(), seenAt: z.number() });


export function createPresenceStore(table: TableClient, lineName: string): PresenceStore {
  // Beside the line's own partition (named for the job queue), never mistaken for it: '~' is in no queue name.
  const partitionKey = `${lineName}~present`;
  return {
    async note({ tenantId, student, seenAt }) {
      await table.upsertEntity({ partitionKey, rowKey: student, tenantId, seenAt }, 'Replace');
    },
    async list() {
      const marks: StoredPresence[] = [];
      for await (const entity of table.listEntities({ queryOptions: { filter: `PartitionKey eq '${partitionKey}'` } })) {
        const parsed = entitySchema.safeParse(entity);
        if (parsed.success) marks.push({ tenantId: parsed.data.tenantId, student: parsed.data.rowKey, seenAt: parsed.data.seenAt, etag: parsed.data.etag });
      }
      return marks;
    },
    async remove(students) {
      for (const student of students) {
        try {
          await table.deleteEntity(partitionKey, student);
        } catch (error) {
          if (!isTableStatus(error, 404)) throw error;
        }
      }
    },
    async removeIfUnchanged(marks) {
      for (const mark of marks) {
        try {
          await table.deleteEntity(partitionKey, mark.student, { etag: mark.etag });
        } catch (error) {
          // 404: gone already; 412: written again since it was listed, so it is fresh.
          if (!isTableStatus(error, 404, 412)) throw error;
        }
      }
    },
  };
}
