import { z } from 'zod';
import { CorruptRecordError } from '../errors';
import { outputFormats } from '../models/modelCatalogue';
import { jobRequestSchema } from './jobRequest';

/**
 * A job as stored (one JSON blob per job in the `jobs` container): a union keyed on `status`, whose
 * values follow the Azure REST API guidelines for long-running operations. The worker's temporary fields
 * (its claim, the last retryable error, the wait) exist only while `Running`; `transitions.ts` is the one
 * module that moves a job from one state to the next. Records are parsed on read, so a corrupt or
 * unreadable record is a clear error, not a cast.
 */

export const jobStatuses = ['NotStarted', 'Running', 'Succeeded', 'Failed', 'Canceled'] as const;
export type JobStatus = (typeof jobStatuses)[number];
const terminalStatuses: ReadonlySet<string> = new Set<JobStatus>(['Succeeded', 'Failed', 'Canceled']);

/** Any status string (a record's, or the listing index's copy of it). */
export function isTerminal(status: string): boolean {
  return terminalStatuses.has(status);
}

/** How long a job has been failing so far, which the retry deadline counts: only a Running job has any. */
export function failingForMsOf(job: JobRecord | undefined): number {
  return job?.status === 'Running' ? (job.failingForMs ?? 0) : 0;
}

export const jobErrorSchema = z.object({
  code: z.string(),
  message: z.string(),
  /** ContentFiltered only: whether the provider blocked the prompt or the picture it made. */
  source: z.enum(['prompt', 'output']).optional(),
  /** ContentFiltered only: the provider's categories (hate, sexual, violence, self_harm, …), where it names them. */
  categories: z.array(z.string()).optional(),
});
export type JobError = z.infer<typeof jobErrorSchema>;

const storedImageSchema = z.object({
  index: z.int().min(0),
  blobName: z.string(),
  width: z.number(),
  height: z.number(),
  format: z.enum(outputFormats).default('png'),
  contentType: z.string(),
  revisedPrompt: z.string().optional(),
  /** A small WebP for galleries and listings. */
  thumbnail: z.object({ blobName: z.string(), width: z.number(), height: z.number() }).optional(),
});
export type StoredImage = z.infer<typeof storedImageSchema>;

export const jobUsageSchema = z.object({
  textInputTokens: z.number(),
  imageInputTokens: z.number(),
  outputTokens: z.number(),
  /** Absent when the catalogue has no price that applies. */
  estimatedCostUsd: z.number().optional(),
});
export type JobUsage = z.infer<typeof jobUsageSchema>;

/** One try at delivering a webhook: when, and what the receiver answered (or why there was no answer). */
const webhookAttemptSchema = z.object({
  at: z.string(),
  /** The receiver's HTTP status; absent when there was no answer (timeout, refused target, connection error). */
  statusCode: z.int().optional(),
  /** Why the attempt failed, in a few words; never the receiver's body. */
  error: z.string().optional(),
  durationMs: z.int().min(0),
});

/** The delivery log of one webhook event of this job (jobs/transitions.ts `recordWebhookAttempt`). */
export const webhookDeliverySchema = z.object({
  /** The `webhook-id` header: the same on every retry, so a receiver can drop duplicates. */
  id: z.string(),
  type: z.string(),
  state: z.enum(['Pending', 'Delivered', 'Failed']),
  /** Attempts made so far; `attempts` keeps only the last few. */
  attemptCount: z.int().min(0),
  attempts: z.array(webhookAttemptSchema),
  /** While Pending: when the next try is due. */
  nextAttemptDateTime: z.string().optional(),
});
export type WebhookDelivery = z.infer<typeof webhookDeliverySchema>;
export type WebhookAttempt = z.infer<typeof webhookAttemptSchema>;

/** What every job has, whatever its state. */
export const jobBaseSchema = z.object({
  id: z.string(),
  /** The tenant (school) that submitted the job; only it may see or delete the job with its key. */
  tenantId: z.string(),
  createdDateTime: z.string(),
  lastUpdatedDateTime: z.string(),
  request: jobRequestSchema,
  /** The catalogue model the job was validated against and is generated with. */
  model: z.string(),
  metapromptVersion: z.string(),
  /** How many times a worker has started on this job; more than 1 means a redelivery. */
  attempts: z.int().min(0),
  /** Provider calls started for this job: every one was claimed under an ETag first. */
  providerCalls: z.int().min(0).optional(),
  /** Set once the job's message is on the queue; a NotStarted job without it was never enqueued. */
  enqueuedDateTime: z.string().optional(),
  /**
   * The estimated cost (US dollars) reserved against the school's money budgets at submit; given back with
   * the images if the job is canceled before any provider call. Absent on jobs from before budgets.
   */
  reservedCostUsd: z.number().min(0).optional(),
  /** Records from before the line in turns (storage/lineStore.ts) carry their old waiting-line number; unused now. */
  ticket: z.number().optional(),
  /** Edits and variations: where the pictures they start from are stored, resolved when the job was accepted. */
  sources: z
    .object({
      images: z.array(z.object({ container: z.string(), blobName: z.string() })),
      mask: z.object({ container: z.string(), blobName: z.string() }).optional(),
      /** Uploads the job uses, deleted with it. */
      uploadIds: z.array(z.string()),
    })
    .optional(),
  /** The studio session that submitted the job (sessions/): only that session's token may read it. */
  sessionId: z.string().optional(),
  /** The job's URL as answered at submit (Operation-Location): webhooks carry status URLs built from it. */
  location: z.string().optional(),
  /** Webhook deliveries for this job's events, newest last. */
  webhooks: z.array(webhookDeliverySchema).optional(),
});
export type JobBase = z.infer<typeof jobBaseSchema>;

const runningSchema = jobBaseSchema.extend({
  status: z.literal('Running'),
  /** The message whose worker runs the job, and until when its claim holds without renewal. */
  claim: z.object({ messageId: z.string(), until: z.string() }).optional(),
  /** The last retryable failure, kept so that a job that runs out of retries can say why. */
  lastError: jobErrorSchema.optional(),
  /**
   * Time spent failing with transient errors: failed calls and the back-off after each, across
   * invocations, but not time spent waiting on the queue. Reset by a successful call; the retry deadline
   * is measured against it.
   */
  failingForMs: z.number().optional(),
  /** While waiting out a failure: when the next try is due (drives Retry-After). */
  waitingUntil: z.string().optional(),
});

const jobRecordSchema = z.discriminatedUnion('status', [
  jobBaseSchema.extend({ status: z.literal('NotStarted') }),
  runningSchema,
  jobBaseSchema.extend({
    status: z.literal('Succeeded'),
    images: z.array(storedImageSchema),
    /** Tokens the provider reported and the estimated cost. */
    usage: jobUsageSchema.optional(),
  }),
  jobBaseSchema.extend({ status: z.literal('Failed'), error: jobErrorSchema }),
  jobBaseSchema.extend({ status: z.literal('Canceled'), error: jobErrorSchema }),
]);

export type JobRecord = z.infer<typeof jobRecordSchema>;
export type RunningJob = Extract<JobRecord, { status: 'Running' }>;

export function parseJobRecord(value: unknown, what = 'A job record'): JobRecord {
  const parsed = jobRecordSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CorruptRecordError(what, `${issue?.path.join('.') || 'record'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

/** Job ids are random UUIDs (122 random bits); anything else cannot name a job. */
const jobIdPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export function isJobId(value: string): boolean {
  return jobIdPattern.test(value);
}
