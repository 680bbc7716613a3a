import {
  APIConnectionError,
  APIError,
  AuthenticationError,
  NotFoundError,
  PermissionDeniedError,
} from 'openai';
import type { CallOutcome } from './circuitBreaker';
import { InvalidProviderResponseError } from './imageProvider';

/**
 * What a failed provider call means for the job. Permanent failures end the job at once (retrying a content
 * filter block or a bad key only spends money and time); transient ones are retried through the queue.
 * The output check's calls to Content Safety fail the same two ways (safety/outputCheck.ts), with the code
 * SafetyCheckUnavailable, so the worker's one retry policy covers them too.
 */
export type ProviderFailure =
  | {
      readonly retryable: false;
      readonly code: PermanentFailureCode;
      readonly message: string;
      readonly source?: 'prompt' | 'output';
      readonly categories?: readonly string[];
    }
  | {
      readonly retryable: true;
      readonly code: 'ProviderUnavailable' | 'ProviderRateLimited' | 'SafetyCheckUnavailable';
      readonly message: string;
      /** The wait the provider asked for (retry-after-ms, retry-after), if it said. */
      readonly retryAfterMs?: number;
    };

export type PermanentFailureCode = 'ContentFiltered' | 'ProviderAuthFailed' | 'ProviderRejected' | 'SafetyCheckUnavailable';

interface ContentFilterResult {
  filtered?: boolean;
  severity?: string;
}

interface AzureErrorBody {
  code?: string;
  message?: string;
  inner_error?: { code?: string; content_filter_results?: Record<string, ContentFilterResult> };
  innererror?: { code?: string; content_filter_results?: Record<string, ContentFilterResult> };
}

/**
 * Codes with which the providers say their safety system blocked a prompt or a picture (read 2026-11-25):
 * - Azure OpenAI image API, prompt: 400 `content_policy_violation` with `inner_error.code`
 *   `ResponsibleAIPolicyViolation` and `content_filter_results` per category (other Azure APIs: `innererror`);
 * - Azure OpenAI, documented for the images API: `contentFilter`, with the message "Your task failed as a
 *   result of our safety system." (prompt) or "Generated image was filtered as a result of our safety
 *   system." (output); `content_filter` is the same code in the newer APIs' spelling;
 * - OpenAI gpt-image models: 400 `moderation_blocked`, type `image_generation_user_error`, the categories
 *   only in the message (`safety_violations=[violence]`).
 */
const contentFilterCodes = new Set(['content_policy_violation', 'contentFilter', 'content_filter', 'moderation_blocked']);
/** How the answers say that the picture, not the prompt, was blocked. */
const outputFilteredMessage = /generated image|output image|image (?:was|has been) filtered|generated content/i;

function filteredCategories(body: AzureErrorBody | undefined): string[] {
  const results = body?.inner_error?.content_filter_results ?? body?.innererror?.content_filter_results ?? {};
  const fromResults = Object.entries(results)
    .filter(([, result]) => result?.filtered === true)
    .map(([category]) => category);
  if (fromResults.length > 0) return fromResults;
  const listed = /safety_violations=\[([^\]]*)\]/.exec(body?.message ?? '');
  return (listed?.[1] ?? '')
    .split(',')
    .map((category) => category.trim())
    .filter((category) => /^[a-z_/-]{1,40}$/.test(category));
}

export function classifyProviderFailure(error: unknown): ProviderFailure {
  if (error instanceof APIConnectionError) {
    // Includes timeouts (APIConnectionTimeoutError) and connection resets.
    return { retryable: true, code: 'ProviderUnavailable', message: `The image service could not be reached: ${error.message}` };
  }
  if (error instanceof InvalidProviderResponseError) {
    return { retryable: true, code: 'ProviderUnavailable', message: error.message };
  }
  if (!(error instanceof APIError)) {
    return { retryable: true, code: 'ProviderUnavailable', message: 'The image service failed unexpectedly.' };
  }
  const body = error.error as AzureErrorBody | undefined;
  const innerCode = body?.inner_error?.code ?? body?.innererror?.code;
  const filtered = contentFilterCodes.has(String(error.code)) || innerCode === 'ResponsibleAIPolicyViolation';
  // A streamed call (live previews) has answered 200 before the picture is checked: a block then comes as an
  // `error` event, which the openai client throws as an APIError with no status but the same error body.
  if ((error.status === 400 || error.status === undefined) && filtered) {
    const categories = filteredCategories(body);
    const source = outputFilteredMessage.test(body?.message ?? error.message) ? 'output' : 'prompt';
    const what = source === 'output' ? 'the picture it made for this prompt' : 'this prompt';
    return {
      retryable: false,
      code: 'ContentFiltered',
      message: `The image service's safety system blocked ${what}${categories.length > 0 ? ` (categories: ${categories.join(', ')})` : ''}. Please describe the picture differently.`,
      source,
      ...(categories.length > 0 ? { categories } : {}),
    };
  }
  if (error.status === undefined) {
    // Any other error event in a stream (or an aborted request): the call may work when tried again.
    return { retryable: true, code: 'ProviderUnavailable', message: 'The image service failed unexpectedly.' };
  }
  if (error instanceof AuthenticationError || error instanceof PermissionDeniedError) {
    return {
      retryable: false,
      code: 'ProviderAuthFailed',
      message: 'The service could not authenticate to the image provider. An administrator must check its settings.',
    };
  }
  if (error.status === 429) {
    const headers: unknown = error.headers;
    const retryAfterMs = headers instanceof Headers ? requestedRetryDelayInMs(headers) : undefined;
    return { retryable: true, code: 'ProviderRateLimited', message: 'The image service is busy (rate limited).', ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  }
  if (error.status === 408 || error.status === 409 || error.status >= 500) {
    return { retryable: true, code: 'ProviderUnavailable', message: `The image service answered ${error.status}.` };
  }
  return {
    retryable: false,
    code: 'ProviderRejected',
    message: `The image service rejected the request: ${body?.message ?? error.message}`,
  };
}

/**
 * What a failed call says about the deployment that answered it (its circuit breaker's input): refused
 * credentials or a deployment not found take it out at once; 5xx, timeouts, resets, broken answers and 429s
 * (the pool paces each deployment to its quota, so a 429 means it has less than we were told) count towards
 * taking it out; a content filter or a rejected request is the job's own.
 */
export function callOutcomeOf(error: unknown, failure: ProviderFailure = classifyProviderFailure(error)): CallOutcome {
  if (failure.code === 'ProviderAuthFailed' || error instanceof NotFoundError) return 'deploymentMisconfigured';
  return failure.retryable ? 'deploymentFault' : 'jobFault';
}

/** The wait a response asks for, read as the openai client reads it: retry-after-ms, then retry-after. */
export function requestedRetryDelayInMs(headers: Headers): number | undefined {
  const milliseconds = parseFloat(headers.get('retry-after-ms') ?? '');
  if (!Number.isNaN(milliseconds)) return milliseconds;
  const retryAfter = headers.get('retry-after');
  if (!retryAfter) return undefined;
  const seconds = parseFloat(retryAfter);
  if (!Number.isNaN(seconds)) return seconds * 1000;
  const date = Date.parse(retryAfter);
  return Number.isNaN(date) ? undefined : date - Date.now();
}
