import type http from 'node:http';
import { readBody, sendJson, startStandIn, type StandIn, type StandInState } from '../standIn';
import { classifyText, detectPromptAttack } from './simpleClassifier';

/**
 * A LOCAL STAND-IN for Azure AI Content Safety, for development and tests only. It speaks the service's REST
 * API as the official SDK (@azure-rest/ai-content-safety) calls it:
 *
 *   POST {endpoint}/contentsafety/text:analyze?api-version=2024-09-01      { text, categories?, outputType? }
 *     → 200 { blocklistsMatch: [], categoriesAnalysis: [{ category: 'Hate'|'SelfHarm'|'Sexual'|'Violence', severity }] }
 *   POST {endpoint}/contentsafety/text:shieldPrompt?api-version=2024-09-01 { userPrompt, documents? }
 *     → 200 { userPromptAnalysis: { attackDetected }, documentsAnalysis: [{ attackDetected }] }
 *
 * with the `Ocp-Apim-Subscription-Key` or `Authorization: Bearer` header (401 without either), a required
 * `api-version` (404 without, as the service answers), and the service's error shape
 * `{ error: { code, message, details, innererror } }` with an `x-ms-error-code` header (400 InvalidRequestBody
 * for a bad body, 10,000 characters at most), as the 2024-09-01 REST spec describes them. Its verdicts come from `simpleClassifier.ts`: small word lists, NOT the real classifier. Tests and
 * the chaos run inject faults at the HTTP boundary, as with the local image service (rules, or /_control).
 */

export type ContentSafetyFault =
  | { readonly kind: 'rateLimit'; readonly retryAfterSeconds?: number }
  | { readonly kind: 'serverError'; readonly status?: number }
  | { readonly kind: 'unauthorized' }
  /** Never answers (the client's timeout must end the call). */
  | { readonly kind: 'hang' }
  /** Answers normally, after this long. */
  | { readonly kind: 'delay'; readonly ms: number };

export interface ContentSafetyRule {
  /** Applies to texts containing this (case-insensitive); absent means every request. */
  readonly match?: string;
  /** Only this operation; absent means both. */
  readonly operation?: 'analyze' | 'shieldPrompt';
  readonly fault: ContentSafetyFault;
  /** How many matching requests get the fault; absent means all of them. */
  readonly times?: number;
}

export interface ContentSafetyCall {
  readonly at: string;
  readonly operation: 'analyze' | 'shieldPrompt';
  readonly status: number;
  readonly fault?: ContentSafetyFault['kind'];
}

export interface ContentSafetyServiceOptions {
  readonly port?: number;
  readonly host?: string;
  readonly rules?: readonly ContentSafetyRule[];
}

export type ContentSafetyService = StandIn<ContentSafetyRule, ContentSafetyCall>;

/** The service's documented input limit for both operations (overview, "Input requirements"). */
const maxTextChars = 10_000;
const maxBodyBytes = 1024 * 1024;

function serviceError(status: number, code: string, message: string) {
  // Azure.Core.Foundations.InnerError has code and innererror only (contentsafety.json 2024-09-01).
  return { status, body: { error: { code, message, details: [], innererror: { code } } } };
}

/** The service names an error's code in a header too (the REST spec's x-ms-error-code). */
function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const code = status >= 400 ? (body as { error?: { code?: string } }).error?.code : undefined;
  sendJson(res, status, body, { ...(code ? { 'x-ms-error-code': code } : {}), ...headers });
}

/** The body as JSON; undefined for one too long or not JSON. */
async function readJson(req: http.IncomingMessage): Promise<unknown> {
  try {
    return JSON.parse((await readBody(req, maxBodyBytes)).toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

async function handleOperation(
  state: StandInState<ContentSafetyRule, ContentSafetyCall>,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
  operation: 'analyze' | 'shieldPrompt',
): Promise<void> {
  const record = (status: number, fault?: ContentSafetyFault['kind']) =>
    state.record({ at: new Date().toISOString(), operation, status, ...(fault ? { fault } : {}) });
  if (!url.searchParams.get('api-version')) {
    record(404);
    return send(res, 404, { error: { code: '404', message: 'Resource not found' } });
  }
  const key = req.headers['ocp-apim-subscription-key'];
  const bearer = /^Bearer \S+/.test(String(req.headers['authorization'] ?? ''));
  if (!bearer && (typeof key !== 'string' || key.length === 0)) {
    record(401);
    return send(res, 401, { error: { code: '401', message: 'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.' } });
  }
  const body = await readJson(req);
  const text = operation === 'analyze' ? (body as { text?: unknown } | undefined)?.text : (body as { userPrompt?: unknown } | undefined)?.userPrompt;
  if (typeof text !== 'string') {
    record(400);
    const invalid = serviceError(400, 'InvalidRequestBody', operation === 'analyze' ? 'The text field is required.' : 'The userPrompt field is required.');
    return send(res, invalid.status, invalid.body);
  }
  if ([...text].length > maxTextChars) {
    record(400);
    const invalid = serviceError(400, 'InvalidRequestBody', `The maximum length of the text is ${maxTextChars} characters.`);
    return send(res, invalid.status, invalid.body);
  }
  const lower = text.toLowerCase();
  const fault = state.takeRule((rule) => (!rule.operation || rule.operation === operation) && (!rule.match || lower.includes(rule.match.toLowerCase())))?.fault;
  switch (fault?.kind) {
    case 'rateLimit':
      record(429, fault.kind);
      return send(res, 429, { error: { code: 'TooManyRequests', message: 'Rate limit is exceeded. Try again later.' } }, { 'retry-after': String(fault.retryAfterSeconds ?? 1) });
    case 'serverError': {
      const status = fault.status ?? 500;
      record(status, fault.kind);
      const failed = serviceError(status, 'InternalServerError', 'The service failed to process the request. Please try again later.');
      return send(res, failed.status, failed.body);
    }
    case 'unauthorized':
      record(401, fault.kind);
      return send(res, 401, { error: { code: 'PermissionDenied', message: 'Principal does not have access to API/Operation.' } });
    case 'hang':
      record(0, fault.kind);
      state.hold(res);
      return undefined;
    case 'delay':
      await new Promise((resolve) => setTimeout(resolve, fault.ms));
      break;
    case undefined:
      break;
  }
  record(200);
  if (operation === 'analyze') {
    const analysis = classifyText(text);
    const requested = (body as { categories?: unknown }).categories;
    const categoriesAnalysis = Array.isArray(requested) ? analysis.filter((entry) => requested.includes(entry.category)) : analysis;
    return send(res, 200, { blocklistsMatch: [], categoriesAnalysis });
  }
  const documents = (body as { documents?: unknown }).documents;
  return send(res, 200, {
    userPromptAnalysis: { attackDetected: detectPromptAttack(text) },
    documentsAnalysis: Array.isArray(documents) ? documents.map((document) => ({ attackDetected: typeof document === 'string' && detectPromptAttack(document) })) : [],
  });
}

export function startContentSafetyService(options: ContentSafetyServiceOptions = {}): Promise<ContentSafetyService> {
  return startStandIn<ContentSafetyRule, ContentSafetyCall>(options, async (state, req, res, url) => {
    const operation = url.pathname === '/contentsafety/text:analyze' ? 'analyze' : url.pathname === '/contentsafety/text:shieldPrompt' ? 'shieldPrompt' : undefined;
    if (req.method === 'POST' && operation) return handleOperation(state, req, res, url, operation);
    return send(res, 404, { error: { code: '404', message: 'Resource not found' } });
  });
}
