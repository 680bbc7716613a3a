/** Queue and container names; infra/ creates the same ones (a test checks that). */
export const storageNames = {
  jobQueue: 'image-jobs',
  /** The Functions host moves a message here after maxDequeueCount failed attempts. */
  poisonQueue: 'image-jobs-poison',
  jobsContainer: 'jobs',
  imagesContainer: 'images',
  /** Quota and rate counters, one small JSON blob per tenant, user and period. */
  usageContainer: 'usage',
  /** Idempotency-Key records, one per tenant and key. */
  idempotencyContainer: 'idempotency',
  /** Pictures the LMS uploads for edits, `{tenant}/{uploadId}`; unused ones are deleted after a day. */
  uploadsContainer: 'uploads',
} as const;
