import { createHash } from 'node:crypto';
import type http from 'node:http';
import sharp from 'sharp';
import { readBody, sendJson, startStandIn, type StandIn, type StandInState } from '../standIn';
import { classifyText, detectPromptAttack, type ServiceCategory } from './simpleClassifier';

/**
 * A LOCAL STAND-IN for Azure AI Content Safety, for development and tests only. It speaks the service's REST
 * API as the official SDK (@azure-rest/ai-content-safety) calls it:
 *
 *   POST {endpoint}/contentsafety/text:analyze?api-version=2024-09-01      { text, categories?, outputType? }
 *     → 200 { blocklistsMatch: [], categoriesAnalysis: [{ category: 'Hate'|'SelfHarm'|'Sexual'|'Violence', severity }] }
 *   POST {endpoint}/contentsafety/text:shieldPrompt?api-version=2024-09-01 { userPrompt, documents? }
 *     → 200 { userPromptAnalysis: { attackDetected }, documentsAnalysis: [{ attackDetected }] }
 *   POST {endpoint}/contentsafety/image:analyze?api-version=2024-09-01      { image: { content: <base64> }, categories?, outputType? }
 *     → 200 { categoriesAnalysis: [{ category, severity }] }
 *
 * IMAGES: THE STAND-IN CANNOT SEE PICTURES. It checks what the service documents for the input (base64
 * `content`, or `blobUrl`, which it does not fetch; JPEG, PNG, GIF, TIFF or WebP; at most 4 MB; 50 x 50 to
 * 7,200 x 7,200 pixels: 400 InvalidRequestBody otherwise) and answers severity 0 for every category, unless a
 * rule for `operation: 'imageAnalyze'` gives `severities`. Such a rule applies to every picture, or only to the
 * picture whose bytes have the SHA-256 in `sha256`: a test can compute it beforehand, since the local image
 * service's placeholders are deterministic (renderPlaceholder in local/imageService/placeholderImage.ts, from
 * the prompt as sent, the size, the format and the variation, which counts that prompt's pictures from 1),
 * and the partial images streamed before it are other bytes. `times` limits either. Each call's log entry
 * names the picture's size and hash, so a test can see what was sent (a resized copy, say).
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

export type ContentSafetyOperation = 'analyze' | 'shieldPrompt' | 'imageAnalyze';

export interface ContentSafetyRule {
  /** Text operations: applies to texts containing this (case-insensitive); absent means every request. */
  readonly match?: string;
  /** image:analyze: applies only to the picture with these bytes (SHA-256, hex); absent means every picture. */
  readonly sha256?: string;
  /** Only this operation. Absent means the two text operations: a rule for pictures names `imageAnalyze`. */
  readonly operation?: ContentSafetyOperation;
  /** A fault instead of an answer. */
  readonly fault?: ContentSafetyFault;
  /** analyze and imageAnalyze: these severities instead of the word list's (or, for a picture, the zeros). */
  readonly severities?: Partial<Record<ServiceCategory, 0 | 2 | 4 | 6>>;
  /** How many matching requests the rule applies to; absent means all of them. */
  readonly times?: number;
}

export interface ContentSafetyCall {
  readonly at: string;
  readonly operation: ContentSafetyOperation;
  readonly status: number;
  readonly fault?: ContentSafetyFault['kind'];
  /** image:analyze: the picture it was sent. */
  readonly image?: { readonly width: number; readonly height: number; readonly bytes: number; readonly sha256: string };
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
/** Pictures (image quickstart, 2024-09-01): 4 MB, 50 to 7,200 pixels an edge, these formats; base64 adds a third. */
const maxImageBytes = 4 * 1024 * 1024;
const maxImageBodyBytes = 6 * 1024 * 1024;
const imageEdges = { min: 50, max: 7200 } as const;
const imageFormats = new Set(['jpeg', 'png', 'gif', 'tiff', 'webp']);
const serviceCategories: readonly ServiceCategory[] = ['Hate', 'SelfHarm', 'Sexual', 'Violence'];

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
async function readJson(req: http.IncomingMessage, maxBytes = maxBodyBytes): Promise<unknown> {
  try {
    return JSON.parse((await readBody(req, maxBytes)).toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** Carries out a rule's fault: true when it answered (or holds the answer), false when the normal answer follows (after a delay). */
async function answeredWithFault(
  res: http.ServerResponse,
  state: StandInState<ContentSafetyRule, ContentSafetyCall>,
  fault: ContentSafetyFault | undefined,
  record: (status: number, fault?: ContentSafetyFault['kind']) => void,
): Promise<boolean> {
  switch (fault?.kind) {
    case undefined:
      return false;
    case 'rateLimit':
      record(429, fault.kind);
      send(res, 429, { error: { code: 'TooManyRequests', message: 'Rate limit is exceeded. Try again later.' } }, { 'retry-after': String(fault.retryAfterSeconds ?? 1) });
      return true;
    case 'serverError': {
      const status = fault.status ?? 500;
      record(status, fault.kind);
      const failed = serviceError(status, 'InternalServerError', 'The service failed to process the request. Please try again later.');
      send(res, failed.status, failed.body);
      return true;
    }
    case 'unauthorized':
      record(401, fault.kind);
      send(res, 401, { error: { code: 'PermissionDenied', message: 'Principal does not have access to API/Operation.' } });
      return true;
    case 'hang':
      record(0, fault.kind);
      state.hold(res);
      return true;
    case 'delay':
      await new Promise((resolve) => setTimeout(resolve, fault.ms));
      return false;
  }
}

/** The checks every operation makes first: an api-version (404 without, as the service answers) and a key or token (401). */
function authorised(req: http.IncomingMessage, res: http.ServerResponse, url: URL, record: (status: number) => void): boolean {
  if (!url.searchParams.get('api-version')) {
    record(404);
    send(res, 404, { error: { code: '404', message: 'Resource not found' } });
    return false;
  }
  const key = req.headers['ocp-apim-subscription-key'];
  const bearer = /^Bearer \S+/.test(String(req.headers['authorization'] ?? ''));
  if (!bearer && (typeof key !== 'string' || key.length === 0)) {
    record(401);
    send(res, 401, { error: { code: '401', message: 'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.' } });
    return false;
  }
  return true;
}

/** The severities to answer: the rule's where it names a category, else the base verdict's; only the categories asked for. */
function answerFor(base: ReadonlyArray<{ category: ServiceCategory; severity: number }>, rule: ContentSafetyRule | undefined, requested: unknown) {
  const analysis = base.map(({ category, severity }) => ({ category, severity: rule?.severities?.[category] ?? severity }));
  return Array.isArray(requested) ? analysis.filter((entry) => requested.includes(entry.category)) : analysis;
}

/** A picture as the service would take it, or the 400 it would answer. */
async function readPicture(body: unknown): Promise<{ bytes: Buffer; width: number; height: number } | { message: string }> {
  const image = (body as { image?: unknown } | undefined)?.image;
  if (typeof image !== 'object' || image === null) return { message: 'The image field is required.' };
  const { content, blobUrl } = image as { content?: unknown; blobUrl?: unknown };
  if (content !== undefined && blobUrl !== undefined) return { message: 'Only one of content and blobUrl may be given.' };
  if (blobUrl !== undefined) return { message: 'The local stand-in does not fetch blobUrl; send the picture as content.' };
  if (typeof content !== 'string' || content.length === 0) return { message: 'The image content must be base64.' };
  const bytes = Buffer.from(content, 'base64');
  if (bytes.length > maxImageBytes) return { message: `The image size must not exceed ${maxImageBytes} bytes.` };
  const metadata = await sharp(bytes).metadata().catch(() => undefined);
  if (!metadata || !imageFormats.has(metadata.format)) return { message: 'The image format is not supported (JPEG, PNG, GIF, BMP, TIFF or WEBP).' };
  const { width, height } = metadata;
  if (Math.min(width, height) < imageEdges.min || Math.max(width, height) > imageEdges.max) {
    return { message: `The image dimensions must be between ${imageEdges.min} x ${imageEdges.min} and ${imageEdges.max} x ${imageEdges.max} pixels.` };
  }
  return { bytes, width, height };
}

async function handleImage(state: StandInState<ContentSafetyRule, ContentSafetyCall>, req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
  if (!authorised(req, res, url, (status) => state.record({ at: new Date().toISOString(), operation: 'imageAnalyze', status }))) return undefined;
  const body = await readJson(req, maxImageBodyBytes);
  const picture = await readPicture(body);
  if ('message' in picture) {
    state.record({ at: new Date().toISOString(), operation: 'imageAnalyze', status: 400 });
    const invalid = serviceError(400, 'InvalidRequestBody', picture.message);
    return send(res, invalid.status, invalid.body);
  }
  const outputType = (body as { outputType?: unknown }).outputType;
  if (outputType !== undefined && outputType !== 'FourSeverityLevels') {
    state.record({ at: new Date().toISOString(), operation: 'imageAnalyze', status: 400 });
    const invalid = serviceError(400, 'InvalidRequestBody', 'Images are analyzed with outputType FourSeverityLevels only.');
    return send(res, invalid.status, invalid.body);
  }
  const sha256 = createHash('sha256').update(picture.bytes).digest('hex');
  const image = { width: picture.width, height: picture.height, bytes: picture.bytes.length, sha256 };
  const record = (status: number, fault?: ContentSafetyFault['kind']) =>
    state.record({ at: new Date().toISOString(), operation: 'imageAnalyze', status, ...(fault ? { fault } : {}), image });
  const rule = state.takeRule((candidate) => candidate.operation === 'imageAnalyze' && (!candidate.sha256 || candidate.sha256 === sha256));
  if (await answeredWithFault(res, state, rule?.fault, record)) return undefined;
  record(200);
  // The stand-in cannot see: zeros, unless a rule says otherwise.
  const seen = serviceCategories.map((category) => ({ category, severity: 0 }));
  return send(res, 200, { categoriesAnalysis: answerFor(seen, rule, (body as { categories?: unknown }).categories) });
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
  if (!authorised(req, res, url, record)) return undefined;
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
  const rule = state.takeRule(
    (candidate) => (candidate.operation === undefined || candidate.operation === operation) && (!candidate.match || lower.includes(candidate.match.toLowerCase())),
  );
  if (await answeredWithFault(res, state, rule?.fault, record)) return undefined;
  record(200);
  if (operation === 'analyze') {
    return send(res, 200, { blocklistsMatch: [], categoriesAnalysis: answerFor(classifyText(text), rule, (body as { categories?: unknown }).categories) });
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
    if (req.method === 'POST' && url.pathname === '/contentsafety/image:analyze') return handleImage(state, req, res, url);
    return send(res, 404, { error: { code: '404', message: 'Resource not found' } });
  });
}
