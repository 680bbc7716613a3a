import type http from 'node:http';
import type { Cloud } from '../../shared/models/modelCatalogue';
import { sendJson as send } from '../standIn';
import { contentFilterAnswer, serviceError } from './providerErrors';

/**
 * The faults tests and the chaos run inject at the image model's HTTP boundary, through /_control or the
 * LOCAL_IMAGE_RULES setting: what a real deployment does on a bad day, so the job service's handling of each
 * is tested without mocking our own modules.
 */

export type Fault =
  | { readonly kind: 'rateLimit'; readonly retryAfterSeconds?: number; readonly retryAfterMs?: number }
  | { readonly kind: 'serverError'; readonly status?: number }
  /** A block by the provider's safety system, of the prompt (before generating) or of the picture it made. */
  | { readonly kind: 'contentFilter'; readonly category?: 'hate' | 'self_harm' | 'sexual' | 'violence'; readonly stage?: 'prompt' | 'output' }
  | { readonly kind: 'unauthorized' }
  | { readonly kind: 'hang' }
  /** Answers normally, but only after this long (a slow generation). */
  | { readonly kind: 'delay'; readonly ms: number }
  /** Takes this long in all instead of the service's latency; a streamed answer spreads it over its partial images. */
  | { readonly kind: 'pace'; readonly ms: number }
  | { readonly kind: 'reset' };

export interface FaultRule {
  /** Applies to prompts containing this text (case-insensitive); absent means every request. */
  readonly match?: string;
  readonly fault: Fault;
  /** How many matching requests get the fault; absent means all of them. */
  readonly times?: number;
}

/** True when a rule applies to this prompt. */
export function ruleMatches(rule: FaultRule, prompt: string): boolean {
  return !rule.match || prompt.toLowerCase().includes(rule.match.toLowerCase());
}

/** What a fault needs of the request it answers. */
export interface FaultExchange {
  readonly cloud: Cloud;
  readonly req: http.IncomingMessage;
  readonly res: http.ServerResponse;
  /** Logs the call with the status it got (0 for one never answered). */
  readonly record: (status: number, fault: Fault['kind']) => void;
  /** Keeps the answer open until the client gives up (a `hang`). */
  readonly hold: (res: http.ServerResponse) => void;
}

const rateLimitMessage =
  'Requests to the Images_Generations Operation have exceeded the rate limit of your current tier. Please retry after the time in the Retry-After header.';

/**
 * Carries out a fault that answers in the model's place. Returns true when the request has been dealt with
 * (answered, held open or cut off), false when it goes on to the model: no fault, a pace, a delay (waited out
 * here), or a content filter of the output (the picture is made first, then blocked).
 */
export async function answerFault(fault: Fault | undefined, exchange: FaultExchange): Promise<boolean> {
  const { cloud, req, res, record } = exchange;
  switch (fault?.kind) {
    case 'rateLimit': {
      record(429, fault.kind);
      const headers: Record<string, string> = {};
      if (fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds);
      if (fault.retryAfterMs !== undefined) headers['retry-after-ms'] = String(fault.retryAfterMs);
      send(res, 429, serviceError(cloud, '429', 'rate_limit_exceeded', rateLimitMessage), headers);
      return true;
    }
    case 'serverError':
      record(fault.status ?? 500, fault.kind);
      send(res, fault.status ?? 500, serviceError(cloud, 'InternalServerError', 'server_error', 'The server had an error while processing your request.'));
      return true;
    case 'contentFilter': {
      if (fault.stage === 'output') return false;
      record(400, fault.kind);
      const answer = contentFilterAnswer(cloud, fault.category ?? 'violence', 'prompt');
      send(res, answer.status, answer.body);
      return true;
    }
    case 'unauthorized':
      record(401, fault.kind);
      send(res, 401, serviceError(cloud, 'PermissionDenied', 'invalid_request_error', 'Principal does not have access to API/Operation.'));
      return true;
    case 'hang':
      record(0, fault.kind);
      exchange.hold(res);
      return true;
    case 'reset':
      record(0, fault.kind);
      req.socket.destroy();
      return true;
    case 'delay':
      await new Promise((resolve) => setTimeout(resolve, fault.ms));
      return false;
    case 'pace':
    case undefined:
      return false;
  }
}
