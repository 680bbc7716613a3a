import type { Cloud } from '../../shared/models/modelCatalogue';

/** An answer the stand-in sends instead of pictures: its HTTP status and JSON body. */
export interface ErrorAnswer {
  readonly status: number;
  readonly body: unknown;
}

/** The OpenAI error shape, which Azure's image endpoints also use for a refused parameter. */
export function openAiError(status: number, message: string, param?: string, code?: string): ErrorAnswer {
  return { status, body: { error: { message, type: 'invalid_request_error', param: param ?? null, code: code ?? null } } };
}

/**
 * A service error in each cloud's published shape: Azure's dalleErrorResponse `{ error: { code, message } }`
 * (code and message from errorBase; inference spec 2025-04-01-preview), OpenAI's ErrorResponse, whose Error
 * requires `type`, `message`, `param` and `code` (openai-openapi). The openai client reads either.
 */
export function serviceError(cloud: Cloud, azureCode: string, openAiType: string, message: string): object {
  return cloud === 'openai' ? { error: { message, type: openAiType, param: null, code: null } } : { error: { code: azureCode, message } };
}

const contentFilterCategories = ['hate', 'self_harm', 'sexual', 'violence'];

/**
 * The safety system's answers, in each provider's shape (see shared/providerFailure.ts for the sources):
 * Azure blocks a prompt with 400 content_policy_violation and per-category results, and a picture with
 * the documented contentFilter "Generated image was filtered" answer; OpenAI answers moderation_blocked
 * with the categories in the message (it documents no separate shape for a blocked picture; ours says
 * "generated image" in the message).
 */
export function contentFilterAnswer(cloud: Cloud, category: string, stage: 'prompt' | 'output'): { readonly status: number; readonly body: object } {
  if (cloud === 'openai') {
    const what = stage === 'output' ? 'The generated image was rejected by the safety system' : 'Your request was rejected by the safety system';
    return {
      status: 400,
      body: {
        error: {
          message: `${what}. If you believe this is an error, contact us at help.openai.com and include the request ID req_local. safety_violations=[${category}].`,
          type: 'image_generation_user_error',
          param: '',
          code: 'moderation_blocked',
        },
      },
    };
  }
  if (stage === 'output') {
    return { status: 400, body: { error: { code: 'contentFilter', message: 'Generated image was filtered as a result of our safety system.' } } };
  }
  return {
    status: 400,
    body: {
      error: {
        code: 'content_policy_violation',
        inner_error: {
          code: 'ResponsibleAIPolicyViolation',
          content_filter_results: Object.fromEntries(
            contentFilterCategories.map((c) => [c, c === category ? { filtered: true, severity: 'high' } : { filtered: false, severity: 'safe' }]),
          ),
        },
        message:
          'Your request was rejected as a result of our safety system. Your prompt may contain text that is not allowed by our safety system.',
        type: 'invalid_request_error',
      },
    },
  };
}
