import type { JobError, JobRecord } from '../jobs/job';
import type { ProviderFailure } from '../provider/providerFailure';
import { decideClassifierFault, type ClassifierFault, type SafetyCategory } from './classifierPolicy';

/**
 * The output check's pure decisions (docs/safety.md, layer 6). Every finished picture, and every live
 * preview, is scored by Azure AI Content Safety's `image:analyze` against the school's thresholds before any
 * link can point at it (safety/contentSafety.ts `checkImage`; the worker's steps are in worker/processing.ts).
 *
 * - A picture at or above a threshold is withheld: the job ends Failed/ContentFiltered with source "output",
 *   as the provider's own output filter ends it, and every blob of the job is deleted.
 * - A check that gives no verdict is never a pass (fail closed). A timeout, a 5xx, a 408, a 429, a reset or an
 *   answer we cannot read is transient: the worker's retry policy (worker/retryPolicy.ts) tries again, without
 *   making the picture again, until JOB_RETRY_DEADLINE_SECONDS, then the job ends Failed/SafetyCheckUnavailable.
 *   Any other answer (400 for a picture the service will not take, 401/403/404 for a wrong endpoint or role)
 *   will not change by waiting: the job ends at once, the same way.
 */

/** The job error's categories in the spelling the provider's filter uses for the same job error (self_harm). */
function providerSpelling(category: SafetyCategory): string {
  return category === 'selfHarm' ? 'self_harm' : category;
}

/** The job's error when the check refuses a picture: as the provider's output filter words it, with our categories. */
export function outputRefusal(categories: readonly SafetyCategory[]): JobError {
  const named = categories.map(providerSpelling);
  return {
    code: 'ContentFiltered',
    message: `The safety check blocked the picture made for this prompt${named.length > 0 ? ` (categories: ${named.join(', ')})` : ''}. Please describe the picture differently.`,
    source: 'output',
    ...(named.length > 0 ? { categories: named } : {}),
  };
}

/** What a failed check means for the job, in the retry policy's terms; `misconfigured` is for an error log. */
export function outputCheckFailure(fault: ClassifierFault): { readonly failure: ProviderFailure; readonly misconfigured: boolean } {
  const { reason, misconfigured } = decideClassifierFault(fault);
  const message = `The safety check for pictures could not be done (${reason}), so no picture is shown.`;
  const waitingHelps = fault.kind !== 'status' || fault.status === 408 || fault.status === 429 || fault.status >= 500;
  return waitingHelps
    ? { failure: { retryable: true, code: 'SafetyCheckUnavailable', message }, misconfigured }
    : { failure: { retryable: false, code: 'SafetyCheckUnavailable', message }, misconfigured };
}

/**
 * Whether a job's pictures must be deleted, not merely left without links: it ended because the output
 * check refused a picture or could not judge one. A redelivered message and the poison handler repair a
 * crash between the job's end and the deletion with this.
 */
export function picturesWithheld(job: JobRecord): boolean {
  if (job.status !== 'Failed') return false;
  return job.error.code === 'SafetyCheckUnavailable' || (job.error.code === 'ContentFiltered' && job.error.source === 'output');
}
