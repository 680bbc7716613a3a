/** Queue and container names; infra/ creates the same ones (a test checks that). */
export const storageNames = {
  jobQueue: 'image-jobs',
  /** The Functions host moves a message here after maxDequeueCount failed attempts. */
  poisonQueue: 'image-jobs-poison',
  /** Webhook deliveries, one message per attempt; a retry is a new, delayed message. */
  webhookQueue: 'webhook-deliveries',
  /** The Functions host moves a delivery message here after maxDequeueCount failed invocations. */
  webhookPoisonQueue: 'webhook-deliveries-poison',
  /** The job-listing index (Table storage), one entity per job, partitioned by tenant. */
  jobIndexTable: 'jobindex',
  /** Safety events (every refused prompt, for the school's teachers), partitioned by tenant. */
  safetyEventsTable: 'safetyevents',
  jobsContainer: 'jobs',
  imagesContainer: 'images',
  /** Quota and rate counters, one small JSON blob per tenant, user and period. */
  usageContainer: 'usage',
  /** Idempotency-Key records, one per tenant and key. */
  idempotencyContainer: 'idempotency',
  /** Pictures the LMS uploads for edits, `{tenant}/{uploadId}`; unused ones are deleted after a day. */
  uploadsContainer: 'uploads',
  /** Long-running operations other than jobs (a student's erasure), one JSON blob each: `{operationId}.json`. */
  operationsContainer: 'operations',
  /** One message per erasure step; the queue makes an erasure finish even if the host dies in the middle. */
  erasureQueue: 'student-erasures',
  /** The Functions host moves an erasure message here after maxDequeueCount failed invocations. */
  erasurePoisonQueue: 'student-erasures-poison',
  /** The record of access: every read of children's data through the API, partitioned by tenant. */
  accessLogTable: 'accesslog',
  /**
   * The line of jobs waiting for their calls (lineStore.ts), one partition per job queue: the jobs in turns
   * (jobs/turns.ts), each queue message a ticket to run the next. Finished jobs leave it within minutes.
   */
  lineTable: 'waitingline',
} as const;
