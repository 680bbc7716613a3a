import http from 'node:http';
import type { AddressInfo } from 'node:net';
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

export interface ContentSafetyService {
  readonly url: string;
  readonly port: number;
  addRule(rule: ContentSafetyRule): void;
  clearRules(): void;
  calls(): readonly ContentSafetyCall[];
  close(): Promise<void>;
}

/** The service's documented input limit for both operations (overview, "Input requirements"). */
const maxTextChars = 10_000;
const maxBodyBytes = 1024 * 1024;

function serviceError(status: number, code: string, message: string) {
  return { status, body: { error: { code, message, details: [], innererror: { code, message } } } };
}

export async function startContentSafetyService(options: ContentSafetyServiceOptions = {}): Promise<ContentSafetyService> {
  const rules = (options.rules ?? []).map((rule) => ({ ...rule, remaining: rule.times ?? Infinity }));
  const recorded: ContentSafetyCall[] = [];
  const hanging = new Set<http.ServerResponse>();

  function takeFault(operation: 'analyze' | 'shieldPrompt', text: string): ContentSafetyFault | undefined {
    const lower = text.toLowerCase();
    const rule = rules.find((r) => r.remaining > 0 && (!r.operation || r.operation === operation) && (!r.match || lower.includes(r.match.toLowerCase())));
    if (!rule) return undefined;
    rule.remaining--;
    return rule.fault;
  }

  function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
    const text = JSON.stringify(body);
    // The service names an error's code in a header too (the REST spec's x-ms-error-code).
    const code = status >= 400 ? (body as { error?: { code?: string } }).error?.code : undefined;
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...(code ? { 'x-ms-error-code': code } : {}), ...headers });
    res.end(text);
  }

  async function readJson(req: http.IncomingMessage): Promise<unknown> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > maxBodyBytes) return undefined;
      chunks.push(chunk as Buffer);
    }
    try {
      return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    } catch {
      return undefined;
    }
  }

  async function handleControl(req: http.IncomingMessage, res: http.ServerResponse, path: string) {
    if (path === '/_control/rules' && req.method === 'POST') {
      const rule = (await readJson(req)) as ContentSafetyRule;
      rules.push({ ...rule, remaining: rule.times ?? Infinity });
      return send(res, 201, { rules: rules.length });
    }
    if (path === '/_control/rules' && req.method === 'DELETE') {
      rules.length = 0;
      return send(res, 200, { rules: 0 });
    }
    if (path === '/_control/calls' && req.method === 'GET') return send(res, 200, { calls: recorded });
    return send(res, 404, { error: { code: 'NotFound', message: 'Unknown control route' } });
  }

  async function handleOperation(req: http.IncomingMessage, res: http.ServerResponse, url: URL, operation: 'analyze' | 'shieldPrompt') {
    const record = (status: number, fault?: ContentSafetyFault['kind']) =>
      recorded.push({ at: new Date().toISOString(), operation, status, ...(fault ? { fault } : {}) });
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
    const fault = takeFault(operation, text);
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
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
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

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const operation = url.pathname === '/contentsafety/text:analyze' ? 'analyze' : url.pathname === '/contentsafety/text:shieldPrompt' ? 'shieldPrompt' : undefined;
    const work = url.pathname.startsWith('/_control/')
      ? handleControl(req, res, url.pathname)
      : req.method === 'POST' && operation
        ? handleOperation(req, res, url, operation)
        : Promise.resolve(send(res, 404, { error: { code: '404', message: 'Resource not found' } }));
    work.catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, { error: { code: 'InternalServerError', message: String(error) } });
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    addRule: (rule) => rules.push({ ...rule, remaining: rule.times ?? Infinity }),
    clearRules: () => {
      rules.length = 0;
    },
    calls: () => [...recorded],
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
