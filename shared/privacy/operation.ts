import { z } from 'zod';
import { CorruptRecordError } from '../errors';
import { queueMessageCodec } from '../storage/queueMessage';

/**
 * A student's erasure as an Azure long-running operation (NotStarted, Running, Succeeded, Failed), stored
 * as one JSON blob in the `operations` container. The student id is kept only while the erasure needs it
 * to find their data; once the operation ends the record keeps the student's pseudonym and the counts, so
 * it can say what was done without naming whom (it is the erasure's own tombstone).
 */

export const operationStatuses = ['NotStarted', 'Running', 'Succeeded', 'Failed'] as const;
export type OperationStatus = (typeof operationStatuses)[number];

/** What an erasure removed, counted as it goes (a resumed run adds what the first did not get to). */
export const erasureCountsSchema = z.object({
  jobs: z.int().min(0).meta({ description: 'Job records erased, with their pictures, thumbnails, previews, uploads, listing entries and webhook logs.' }),
  safetyEvents: z.int().min(0).meta({ description: 'Safety events erased (refusals at submit and in the worker), with their webhook logs.' }),
  idempotencyRecords: z.int().min(0).meta({ description: 'Idempotency-Key records emptied to a tombstone: a retry with the key answers 410 and names no job.' }),
  counters: z.int().min(0).meta({ description: "The student's quota and rate counters, reset." }),
  listingEntries: z.int().min(0).meta({ description: 'Listing-index entries left without a job (a crash between writes), erased.' }),
});
export type ErasureCounts = z.infer<typeof erasureCountsSchema>;
export const noErasures: ErasureCounts = { jobs: 0, safetyEvents: 0, idempotencyRecords: 0, counters: 0, listingEntries: 0 };

const operationRecordSchema = z.object({
  id: z.uuid(),
  kind: z.literal('studentErasure'),
  tenantId: z.string(),
  status: z.enum(operationStatuses),
  createdDateTime: z.string(),
  lastUpdatedDateTime: z.string(),
  /** Pseudonyms.studentKey of the student: what remains of whom once the operation has ended. */
  studentKey: z.string(),
  /** The student id, while the erasure runs; removed when it ends. */
  user: z.string().optional(),
  /** How many times a worker has started on it; more than 1 means it resumed after a crash or a failure. */
  attempts: z.int().min(0),
  result: erasureCountsSchema,
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});
export type OperationRecord = z.infer<typeof operationRecordSchema>;

export function parseOperationRecord(value: unknown, what = 'An operation record'): OperationRecord {
  const parsed = operationRecordSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CorruptRecordError(what, `${issue?.path.join('.') || 'record'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

export const isOperationTerminal = (status: OperationStatus) => status === 'Succeeded' || status === 'Failed';

/** GET /api/operations/{id}: the operation as the school sees it (never the student id). */
export const operationResourceSchema = z
  .object({
    id: z.string(),
    kind: z.literal('studentErasure'),
    status: z.enum(operationStatuses),
    createdDateTime: z.string(),
    lastUpdatedDateTime: z.string(),
    result: erasureCountsSchema.meta({ description: 'What has been erased so far; final once status is Succeeded.' }),
    error: z.object({ code: z.string(), message: z.string() }).optional().meta({ description: 'Failed only: why. Send the DELETE again to start a new erasure (every step is safe to repeat).' }),
  })
  .meta({ id: 'Operation' });
export type OperationResource = z.infer<typeof operationResourceSchema>;

export function renderOperation(operation: OperationRecord): OperationResource {
  const { id, kind, status, createdDateTime, lastUpdatedDateTime, result, error } = operation;
  return { id, kind, status, createdDateTime, lastUpdatedDateTime, result, ...(error ? { error } : {}) };
}

/** The `student-erasures` queue message: the operation id only (the record holds the rest; no student id on a queue). */
const erasureMessageSchema = z.strictObject({ operationId: z.uuid() });
export type ErasureMessage = z.infer<typeof erasureMessageSchema>;
const codec = queueMessageCodec(erasureMessageSchema);
export const erasureMessageFor = (operationId: string): ErasureMessage => erasureMessageSchema.parse({ operationId });
export const parseErasureMessage = (input: unknown): ErasureMessage | undefined => codec.parse(input);
export const encodeErasureMessage = (message: ErasureMessage): string => codec.encode(message);
