import type { JobRequest } from './jobRequest';
import type { OutputFormat } from '../provider/modelCatalogue';
import type { JobUsage } from '../provider/pricing';

/**
 * A job as stored (one JSON blob per job in the `jobs` container). Status values follow the Azure REST API
 * guidelines for long-running operations.
 */

export const jobStatuses = ['NotStarted', 'Running', 'Succeeded', 'Failed', 'Canceled'] as const;
export type JobStatus = (typeof jobStatuses)[number];
export const terminalStatuses: readonly JobStatus[] = ['Succeeded', 'Failed', 'Canceled'];

export function isTerminal(status: JobStatus): boolean {
  return terminalStatuses.includes(status);
}

export interface JobError {
  readonly code: string;
  readonly message: string;
  /** ContentFiltered only: whether the provider blocked the prompt or the picture it made. */
  readonly source?: 'prompt' | 'output';
  /** ContentFiltered only: the provider's categories (hate, sexual, violence, self_harm, …), where it names them. */
  readonly categories?: readonly string[];
}

export interface StoredImage {
  readonly index: number;
  readonly blobName: string;
  readonly width: number;
  readonly height: number;
  readonly format: OutputFormat;
  readonly contentType: string;
  readonly revisedPrompt?: string;
}

export interface JobRecord {
  readonly id: string;
  /** The tenant (school) that submitted the job; only it may see or delete the job with its key. */
  readonly tenantId: string;
  readonly status: JobStatus;
  readonly createdDateTime: string;
  readonly lastUpdatedDateTime: string;
  readonly request: JobRequest;
  /** The model profile the job was validated against and is generated with. */
  readonly model: string;
  readonly metapromptVersion: string;
  /** How many times a worker has started on this job; more than 1 means a redelivery. */
  readonly attempts: number;
  readonly images?: readonly StoredImage[];
  /** Tokens the provider reported and the estimated cost, once the job succeeded. */
  readonly usage?: JobUsage;
  readonly error?: JobError;
  /** The last retryable failure, kept so that a job that runs out of retries can say why. */
  readonly lastError?: JobError;
  /**
   * Time spent failing with transient errors: failed calls and the back-off after each, across
   * invocations, but not time spent waiting on the queue. Reset by a successful call; the retry deadline
   * is measured against it.
   */
  readonly failingForMs?: number;
  /** Provider calls started for this job: every one was claimed under an ETag first. */
  readonly providerCalls?: number;
  /** The message whose worker runs the job, and until when its claim holds without renewal. */
  readonly claim?: { readonly messageId: string; readonly until: string };
  /** Set once the job's message is on the queue; a NotStarted job without it was never enqueued. */
  readonly enqueuedDateTime?: string;
  /** Place in the waiting line, for the position estimate. */
  readonly ticket?: number;
  /** While rate limited: when the next try is due (drives Retry-After). */
  readonly waitingUntil?: string;
}

/** Job ids are random UUIDs (122 random bits); anything else cannot name a job. */
const jobIdPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export function isJobId(value: string): boolean {
  return jobIdPattern.test(value);
}
