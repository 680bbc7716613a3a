import { randomUUID } from 'node:crypto';
import { odata, RestError, type TableClient } from '@azure/data-tables';
import { z } from 'zod';
import { invertedTime, newestFirstFilter, newestFirstRowKey } from './newestFirst';
import { deleteEntities } from './tableEntities';

/**
 * Safety events: one Table storage entity per refused prompt, for the school's teachers (GET
 * /api/safety-events). Children's data (a student id and the prompt they wrote): the partition is the
 * tenant, so no query leaves the school; entities older than RETENTION_DAYS are deleted by the retention
 * sweep; the events of a job go when the job is deleted. RowKey is the inverted time and the event id, so
 * the natural order is newest first, as in the job index (jobIndex.ts).
 */

/** `safeguarding`: the self-harm signal lexicon (safety/safeguarding.ts), read before the screen; `outputCheck`: the finished picture. */
export const safetyLayers = ['screen', 'safeguarding', 'classifier', 'providerPrompt', 'providerOutput', 'outputCheck'] as const;
export type SafetyLayer = (typeof safetyLayers)[number];

export interface NewSafetyEvent {
  readonly tenantId: string;
  readonly layer: SafetyLayer;
  readonly categories: readonly string[];
  readonly prompt: string;
  readonly user?: string;
  readonly classId?: string;
  readonly assignmentId?: string;
  readonly jobId?: string;
  /** A self-harm signal in the first person (safety/safeguarding.ts): the school is told at once (`safety.urgent`). */
  readonly urgent?: boolean;
}

export interface SafetyEvent extends NewSafetyEvent {
  readonly urgent: boolean;
  readonly id: string;
  readonly createdDateTime: string;
  /** The same student had at least `repeatedAfter` refusals (this one included) within `repeatedWindow`. */
  readonly repeated: boolean;
}

export interface SafetyEventFilter {
  readonly user?: string;
  readonly classId?: string;
  readonly assignmentId?: string;
  readonly layer?: SafetyLayer;
  /** Only urgent events (there is no "only not urgent": events stored before the field have no value to compare). */
  readonly urgent?: true;
  readonly since?: Date;
}

export interface SafetyEventPage {
  readonly events: readonly SafetyEvent[];
  readonly continuationToken?: string;
}

/** Where one of the event's webhooks stands (webhooks/delivery.ts): attempts made, and the last state. */
export interface SafetyEventWebhookLog {
  readonly attemptCount: number;
  readonly state: 'Pending' | 'Delivered' | 'Failed';
}

export interface SafetyEventStore {
  /** Records a refusal and returns it, marked `repeated` when the student was refused often just before. */
  record(event: NewSafetyEvent, now?: Date): Promise<SafetyEvent>;
  /** One event by its tenant, id and time (its key), with the logs of its safety.refused and safety.urgent webhooks; undefined when erased. */
  get(tenantId: string, eventId: string, createdDateTime: string): Promise<{ event: SafetyEvent; webhook?: SafetyEventWebhookLog; urgentWebhook?: SafetyEventWebhookLog } | undefined>;
  /** Notes an attempt of the event's safety.refused (or, with `urgent`, safety.urgent) webhook; nothing when the event was erased meanwhile. */
  recordWebhookAttempt(tenantId: string, eventId: string, createdDateTime: string, log: SafetyEventWebhookLog, options?: { readonly urgent?: boolean }): Promise<void>;
  list(tenantId: string, filter: SafetyEventFilter, page: { readonly top: number; readonly continuationToken?: string }): Promise<SafetyEventPage>;
  /** Erases a job's events (with the job, right to erasure); returns how many. */
  deleteForJob(tenantId: string, jobId: string): Promise<number>;
  /** Erases every event older than `cutoff`, of one tenant or, without one, of every tenant (retention); returns how many. */
  deleteOlderThan(cutoff: Date, tenantId?: string): Promise<number>;
  /** Erases a student's events recorded at or before `until` (their erasure: refusals at submit have no job); returns how many. */
  deleteForUser(tenantId: string, user: string, until: Date): Promise<number>;
  createIfNotExists(): Promise<void>;
}

/** Three refusals of one student within ten minutes: a pattern a teacher should see, not a slip of wording. */
export const repeatedAfter = 3;
export const repeatedWindowInMs = 10 * 60_000;
/** A Table string property holds at most 32K characters; prompts are far shorter (PROMPT_MAX_CHARS), this is a guard. */
const maxStoredPromptChars = 16_000;


const entitySchema = z.object({
  partitionKey: z.string(),
  rowKey: z.string(),
  eventId: z.string(),
  createdDateTime: z.string(),
  layer: z.enum(safetyLayers),
  categories: z.string(),
  prompt: z.string(),
  repeated: z.boolean(),
  user: z.string().optional(),
  classId: z.string().optional(),
  assignmentId: z.string().optional(),
  jobId: z.string().optional(),
  /** Absent on events stored before safeguarding: not urgent. */
  urgent: z.boolean().optional(),
  webhookAttemptCount: z.number().optional(),
  webhookState: z.enum(['Pending', 'Delivered', 'Failed']).optional(),
  urgentWebhookAttemptCount: z.number().optional(),
  urgentWebhookState: z.enum(['Pending', 'Delivered', 'Failed']).optional(),
});

function eventOf(entity: unknown): SafetyEvent | undefined {
  const parsed = entitySchema.safeParse(entity);
  if (!parsed.success) return undefined;
  const { partitionKey, eventId, createdDateTime, layer, categories, prompt, repeated, urgent, user, classId, assignmentId, jobId } = parsed.data;
  return {
    id: eventId,
    tenantId: partitionKey,
    createdDateTime,
    layer,
    categories: categories ? categories.split(',') : [],
    prompt,
    repeated,
    urgent: urgent ?? false,
    ...(user !== undefined ? { user } : {}),
    ...(classId !== undefined ? { classId } : {}),
    ...(assignmentId !== undefined ? { assignmentId } : {}),
    ...(jobId !== undefined ? { jobId } : {}),
  };
}

/** The OData filter for a listing (newestFirst.ts: every value quoted). */
export function safetyEventFilterFor(tenantId: string, filter: SafetyEventFilter): string {
  const { user, classId, assignmentId, layer } = filter;
  const base = newestFirstFilter(tenantId, filter.since, { user, classId, assignmentId, layer });
  // A boolean, which the tag writes unquoted (newestFirstFilter quotes every value as a string).
  return filter.urgent ? `${base} and ${odata`urgent eq ${true}`}` : base;
}

export function createSafetyEventStore(table: TableClient): SafetyEventStore {
  const deleteAll = (filter: string) => deleteEntities(table, filter);

  return {
    async record(event, now = new Date()) {
      let repeated = false;
      if (event.user !== undefined) {
        // Counted at write time, so the mark is the same in the listing and the webhook, and cheap to read.
        let earlier = 0;
        const recent = table.listEntities({ queryOptions: { filter: safetyEventFilterFor(event.tenantId, { user: event.user, since: new Date(now.getTime() - repeatedWindowInMs) }), select: ['RowKey'] } });
        for await (const _entity of recent) {
          if (++earlier >= repeatedAfter - 1) break;
        }
        repeated = earlier >= repeatedAfter - 1;
      }
      const id = randomUUID();
      const createdDateTime = now.toISOString();
      const prompt = event.prompt.slice(0, maxStoredPromptChars);
      await table.createEntity({
        partitionKey: event.tenantId,
        rowKey: newestFirstRowKey(createdDateTime, id),
        eventId: id,
        createdDateTime,
        layer: event.layer,
        categories: event.categories.join(','),
        prompt,
        repeated,
        urgent: event.urgent ?? false,
        ...(event.user !== undefined ? { user: event.user } : {}),
        ...(event.classId !== undefined ? { classId: event.classId } : {}),
        ...(event.assignmentId !== undefined ? { assignmentId: event.assignmentId } : {}),
        ...(event.jobId !== undefined ? { jobId: event.jobId } : {}),
      });
      return { ...event, prompt, id, createdDateTime, repeated, urgent: event.urgent ?? false };
    },
    async get(tenantId, eventId, createdDateTime) {
      let entity: unknown;
      try {
        entity = await table.getEntity(tenantId, newestFirstRowKey(createdDateTime, eventId));
      } catch (error) {
        if (error instanceof RestError && error.statusCode === 404) return undefined;
        throw error;
      }
      const event = eventOf(entity);
      if (!event) return undefined;
      const { webhookAttemptCount, webhookState, urgentWebhookAttemptCount, urgentWebhookState } = entitySchema.parse(entity);
      return {
        event,
        ...(webhookAttemptCount !== undefined && webhookState !== undefined ? { webhook: { attemptCount: webhookAttemptCount, state: webhookState } } : {}),
        ...(urgentWebhookAttemptCount !== undefined && urgentWebhookState !== undefined ? { urgentWebhook: { attemptCount: urgentWebhookAttemptCount, state: urgentWebhookState } } : {}),
      };
    },
    async recordWebhookAttempt(tenantId, eventId, createdDateTime, log, options = {}) {
      // Each webhook keeps its own log, so a delivered safety.urgent does not make safety.refused look sent.
      const fields = options.urgent ? { urgentWebhookAttemptCount: log.attemptCount, urgentWebhookState: log.state } : { webhookAttemptCount: log.attemptCount, webhookState: log.state };
      try {
        await table.updateEntity({ partitionKey: tenantId, rowKey: newestFirstRowKey(createdDateTime, eventId), ...fields }, 'Merge');
      } catch (error) {
        if (!(error instanceof RestError && error.statusCode === 404)) throw error;
      }
    },
    async list(tenantId, filter, page) {
      const pages = table
        .listEntities({ queryOptions: { filter: safetyEventFilterFor(tenantId, filter) } })
        .byPage({ maxPageSize: page.top, ...(page.continuationToken ? { continuationToken: page.continuationToken } : {}) });
      const first = await pages.next();
      if (first.done) return { events: [] };
      const events = first.value.flatMap((entity) => eventOf(entity) ?? []);
      return { events, ...(first.value.continuationToken ? { continuationToken: first.value.continuationToken } : {}) };
    },
    deleteForJob(tenantId, jobId) {
      return deleteAll(`${odata`PartitionKey eq ${tenantId}`} and ${odata`jobId eq ${jobId}`}`);
    },
    deleteOlderThan(cutoff, tenantId) {
      // Older events have larger RowKeys; without a tenant across partitions (schools removed from TENANTS too).
      const older = odata`RowKey gt ${invertedTime(cutoff.getTime())}`;
      return deleteAll(tenantId === undefined ? older : `${odata`PartitionKey eq ${tenantId}`} and ${older}`);
    },
    deleteForUser(tenantId, user, until) {
      // At or before `until`: the inverted time of `until` or larger (a key is that time, '_' and the id).
      return deleteAll(`${odata`PartitionKey eq ${tenantId}`} and ${odata`user eq ${user}`} and ${odata`RowKey ge ${invertedTime(until.getTime())}`}`);
    },
    async createIfNotExists() {
      await table.createTable();
    },
  };
}
