import {
  APIConnectionError,
  APIError,
  AuthenticationError,
  PermissionDeniedError,
} from 'openai';
import { InvalidProviderResponseError } from './imageProvider';

/**
 * What a failed provider call means for the job. Permanent failures end the job at once (retrying a content
 * filter block or a bad key only spends money and time); transient ones are retried through the queue.
 */
export type ProviderFailure =
  | { readonly retryable: false; readonly code: PermanentFailureCode; readonly message: string }
  | { readonly retryable: true; readonly code: 'ProviderUnavailable' | 'ProviderRateLimited'; readonly message: string };

export type PermanentFailureCode = 'ContentFiltered' | 'ProviderAuthFailed' | 'ProviderRejected';

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

/** Codes with which Azure OpenAI and OpenAI say a prompt or image was blocked by their safety system. */
const contentFilterCodes = new Set(['content_policy_violation', 'contentFilter', 'content_filter', 'moderation_blocked']);

export function filteredCategories(body: AzureErrorBody | undefined): string[] {
  const results = body?.inner_error?.content_filter_results ?? body?.innererror?.content_filter_results ?? {};
  return Object.entries(results)
    .filter(([, result]) => result?.filtered === true)
    .map(([category]) => category);
}

export function classifyProviderFailure(error: unknown): ProviderFailure {
  if (error instanceof APIConnectionError) {
    // Includes timeouts (APIConnectionTimeoutError) and connection resets.
    return { retryable: true, code: 'ProviderUnavailable', message: `The image service could not be reached: ${error.message}` };
  }
  if (error instanceof InvalidProviderResponseError) {
    return { retryable: true, code: 'ProviderUnavailable', message: error.message };
  }
  if (!(error instanceof APIError) || error.status === undefined) {
    return { retryable: true, code: 'ProviderUnavailable', message: 'The image service failed unexpectedly.' };
  }
  const body = error.error as AzureErrorBody | undefined;
  const innerCode = body?.inner_error?.code ?? body?.innererror?.code;
  if (
    error.status === 400 &&
    (contentFilterCodes.has(String(error.code)) || innerCode === 'ResponsibleAIPolicyViolation')
  ) {
    const categories = filteredCategories(body);
    return {
      retryable: false,
      code: 'ContentFiltered',
      message:
        categories.length > 0
          ? `The image service's safety system blocked this prompt (categories: ${categories.join(', ')}).`
          : "The image service's safety system blocked this prompt.",
    };
  }
  if (error instanceof AuthenticationError || error instanceof PermissionDeniedError) {
    return {
      retryable: false,
      code: 'ProviderAuthFailed',
      message: 'The service could not authenticate to the image provider. An administrator must check its settings.',
    };
  }
  if (error.status === 429) {
    return { retryable: true, code: 'ProviderRateLimited', message: 'The image service is busy (rate limited).' };
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
