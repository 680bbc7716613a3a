import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { getModelProfile, isModelName, parseSize, supportedSizes, type ModelName, type ModelProfile } from '../shared/modelProfiles';
import { renderPlaceholder, studentText } from './placeholderImage';

/**
 * A stand-in for the image model that speaks the Images HTTP API of Azure OpenAI
 * (POST /openai/deployments/{deployment}/images/generations?api-version=…) and OpenAI
 * (POST /v1/images/generations), checks parameters as the model's profile does, and answers with
 * placeholder PNGs in base64. Tests and the chaos run steer it at the HTTP boundary with fault rules
 * (rate limits, server errors, hangs, resets, content-filter blocks), through /_control or settings.
 */

export type Fault =
  | { readonly kind: 'rateLimit'; readonly retryAfterSeconds?: number; readonly retryAfterMs?: number }
  | { readonly kind: 'serverError'; readonly status?: number }
  | { readonly kind: 'contentFilter'; readonly category?: 'hate' | 'self_harm' | 'sexual' | 'violence' }
  | { readonly kind: 'unauthorized' }
  | { readonly kind: 'hang' }
  /** Answers normally, but only after this long (a slow generation). */
  | { readonly kind: 'delay'; readonly ms: number }
  | { readonly kind: 'reset' };

export interface FaultRule {
  /** Applies to prompts containing this text (case-insensitive); absent means every request. */
  readonly match?: string;
  readonly fault: Fault;
  /** How many matching requests get the fault; absent means all of them. */
  readonly times?: number;
}

export interface RecordedCall {
  readonly at: string;
  readonly path: string;
  readonly prompt: string;
  readonly n: number;
  readonly size: string;
  readonly status: number;
  readonly fault?: Fault['kind'];
}

export interface ImageServiceOptions {
  readonly port?: number;
  readonly host?: string;
  /** The model answered for a deployment whose name is not itself a model name. */
  readonly defaultModel?: ModelName;
  /** Added before every answer, to look like a real model's generation time. */
  readonly latencyMs?: number;
  readonly rules?: readonly FaultRule[];
  /**
   * A quota like a deployment's: requests beyond requestsPerMinute / 6 in any 10-second window get a 429
   * with retry-after (Azure enforces per-minute quotas over short windows too).
   */
  readonly requestsPerMinute?: number;
}

export interface ImageService {
  readonly url: string;
  readonly port: number;
  addRule(rule: FaultRule): void;
  clearRules(): void;
  calls(): readonly RecordedCall[];
  close(): Promise<void>;
}

interface ActiveRule extends FaultRule {
  remaining: number;
}

const maxBodyBytes = 1024 * 1024;

function openAiError(status: number, message: string, param?: string, code?: string) {
  return { status, body: { error: { message, type: 'invalid_request_error', param: param ?? null, code: code ?? null } } };
}

/** Checks a request as the model does; returns the error answer, or undefined when the request is fine. */
export function checkImageRequest(profile: ModelProfile, body: Record<string, unknown>): { status: number; body: unknown } | undefined {
  const { prompt, n = 1, size = '1024x1024', quality, style, response_format: responseFormat, output_format: outputFormat } = body;
  if (typeof prompt !== 'string' || prompt.length === 0) return openAiError(400, "'prompt' is required", 'prompt');
  if ([...prompt].length > profile.maxPromptChars) {
    return openAiError(400, `'prompt' is too long: the maximum for ${profile.name} is ${profile.maxPromptChars} characters`, 'prompt', 'string_above_max_length');
  }
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > profile.maxImagesPerCall) {
    return openAiError(400, `'n' must be from 1 to ${profile.maxImagesPerCall} for ${profile.name}`, 'n');
  }
  if (typeof size !== 'string' || !supportedSizes(profile).includes(size)) {
    return openAiError(400, `'size' must be one of ${supportedSizes(profile).join(', ')} for ${profile.name}`, 'size');
  }
  if (quality !== undefined && (typeof quality !== 'string' || !profile.qualities.includes(quality))) {
    return openAiError(400, `'quality' must be one of ${profile.qualities.join(', ')} for ${profile.name}`, 'quality');
  }
  if (style !== undefined && (typeof style !== 'string' || !profile.styles.includes(style))) {
    return openAiError(400, profile.styles.length ? `'style' must be one of ${profile.styles.join(', ')}` : `Unknown parameter: 'style'.`, 'style');
  }
  if (responseFormat !== undefined && (!profile.acceptsResponseFormat || (responseFormat !== 'url' && responseFormat !== 'b64_json'))) {
    return openAiError(400, profile.acceptsResponseFormat ? "'response_format' must be url or b64_json" : "Unknown parameter: 'response_format'.", 'response_format');
  }
  if (responseFormat === 'url') {
    // A real service would answer with a URL to its own storage; ours has none and the job service never asks.
    return openAiError(400, "The local image service only returns b64_json; set response_format to 'b64_json'.", 'response_format');
  }
  if (outputFormat !== undefined && (!profile.acceptsOutputFormat || (outputFormat !== 'png' && outputFormat !== 'jpeg' && outputFormat !== 'webp'))) {
    return openAiError(400, "Unknown parameter: 'output_format'.", 'output_format');
  }
  if (outputFormat !== undefined && outputFormat !== 'png') {
    return openAiError(400, "The local image service only renders png.", 'output_format');
  }
  return undefined;
}

function contentFilterAnswer(category: string) {
  const categories = ['hate', 'self_harm', 'sexual', 'violence'];
  return {
    status: 400,
    body: {
      error: {
        code: 'content_policy_violation',
        inner_error: {
          code: 'ResponsibleAIPolicyViolation',
          content_filter_results: Object.fromEntries(
            categories.map((c) => [c, c === category ? { filtered: true, severity: 'high' } : { filtered: false, severity: 'safe' }]),
          ),
        },
        message:
          'Your request was rejected as a result of our safety system. Your prompt may contain text that is not allowed by our safety system.',
        type: 'invalid_request_error',
      },
    },
  };
}

export async function startImageService(options: ImageServiceOptions = {}): Promise<ImageService> {
  const rules: ActiveRule[] = (options.rules ?? []).map((rule) => ({ ...rule, remaining: rule.times ?? Infinity }));
  const recorded: RecordedCall[] = [];
  const variations = new Map<string, number>();
  const hanging = new Set<http.ServerResponse>();
  const admitted: number[] = [];

  /** Seconds until the quota admits another request, or 0 if it admits this one now. */
  function quotaWait(): number {
    if (!options.requestsPerMinute) return 0;
    const windowMs = 10_000;
    const limit = Math.max(1, Math.floor(options.requestsPerMinute / 6));
    const now = Date.now();
    while (admitted.length > 0 && (admitted[0] ?? 0) <= now - windowMs) admitted.shift();
    if (admitted.length >= limit) return Math.max(1, Math.ceil(((admitted[0] ?? now) + windowMs - now) / 1000));
    admitted.push(now);
    return 0;
  }

  function takeFault(prompt: string): Fault | undefined {
    const lower = prompt.toLowerCase();
    const rule = rules.find((r) => r.remaining > 0 && (!r.match || lower.includes(r.match.toLowerCase())));
    if (!rule) return undefined;
    rule.remaining--;
    return rule.fault;
  }

  function modelFor(deployment: string | undefined, bodyModel: unknown): ModelProfile {
    for (const candidate of [deployment, bodyModel]) {
      if (typeof candidate === 'string' && isModelName(candidate)) return getModelProfile(candidate);
    }
    return getModelProfile(options.defaultModel ?? 'gpt-image-1');
  }

  function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
    res.end(text);
  }

  async function readBody(req: http.IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > maxBodyBytes) throw new Error('body too large');
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  async function handleControl(req: http.IncomingMessage, res: http.ServerResponse, path: string) {
    if (path === '/_control/rules' && req.method === 'POST') {
      const rule = JSON.parse(await readBody(req)) as FaultRule;
      rules.push({ ...rule, remaining: rule.times ?? Infinity });
      return send(res, 201, { rules: rules.length });
    }
    if (path === '/_control/rules' && req.method === 'DELETE') {
      rules.length = 0;
      return send(res, 200, { rules: 0 });
    }
    if (path === '/_control/calls' && req.method === 'GET') return send(res, 200, { calls: recorded });
    if (path === '/_control/calls' && req.method === 'DELETE') {
      recorded.length = 0;
      return send(res, 200, { calls: 0 });
    }
    return send(res, 404, { error: { code: 'NotFound', message: 'Unknown control route' } });
  }

  async function handleGeneration(req: http.IncomingMessage, res: http.ServerResponse, url: URL, deployment: string | undefined) {
    if (deployment !== undefined && !url.searchParams.get('api-version')) {
      return send(res, 404, { error: { code: '404', message: 'Resource not found' } });
    }
    const authorized = Boolean(req.headers['api-key']) || /^Bearer\s+\S+/i.test(String(req.headers['authorization'] ?? ''));
    if (!authorized) {
      return send(res, 401, {
        error: { code: '401', message: 'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.' },
      });
    }
    let body: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(await readBody(req));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      body = parsed as Record<string, unknown>;
    } catch {
      return send(res, 400, openAiError(400, 'The body must be a JSON object.').body);
    }
    const prompt = typeof body['prompt'] === 'string' ? body['prompt'] : '';
    const n = typeof body['n'] === 'number' ? body['n'] : 1;
    const size = typeof body['size'] === 'string' ? body['size'] : '1024x1024';
    const record = (status: number, fault?: Fault['kind']) =>
      recorded.push({ at: new Date().toISOString(), path: url.pathname, prompt, n, size, status, ...(fault ? { fault } : {}) });

    if (options.latencyMs) await new Promise((resolve) => setTimeout(resolve, options.latencyMs));
    const fault = takeFault(prompt);
    switch (fault?.kind) {
      case 'rateLimit': {
        record(429, fault.kind);
        const headers: Record<string, string> = {};
        if (fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds);
        if (fault.retryAfterMs !== undefined) headers['retry-after-ms'] = String(fault.retryAfterMs);
        return send(res, 429, { error: { code: '429', message: 'Requests to the Images_Generations Operation have exceeded the rate limit of your current tier. Please retry after the time in the Retry-After header.' } }, headers);
      }
      case 'serverError':
        record(fault.status ?? 500, fault.kind);
        return send(res, fault.status ?? 500, { error: { code: 'InternalServerError', message: 'The server had an error while processing your request.' } });
      case 'contentFilter': {
        record(400, fault.kind);
        const answer = contentFilterAnswer(fault.category ?? 'violence');
        return send(res, answer.status, answer.body);
      }
      case 'unauthorized':
        record(401, fault.kind);
        return send(res, 401, { error: { code: 'PermissionDenied', message: 'Principal does not have access to API/Operation.' } });
      case 'hang':
        record(0, fault.kind);
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return undefined;
      case 'reset':
        record(0, fault.kind);
        req.socket.destroy();
        return undefined;
      case 'delay':
        await new Promise((resolve) => setTimeout(resolve, fault.ms));
        break;
      case undefined:
        break;
    }

    const overQuota = quotaWait();
    if (overQuota > 0) {
      record(429, 'rateLimit');
      return send(res, 429, { error: { code: '429', message: 'Requests to the Images_Generations Operation have exceeded the rate limit of your current tier.' } }, { 'retry-after': String(overQuota) });
    }
    const profile = modelFor(deployment, body['model']);
    const invalid = checkImageRequest(profile, body);
    if (invalid) {
      record(invalid.status);
      return send(res, invalid.status, invalid.body);
    }
    const { width, height } = parseSize(size);
    const key = createHash('sha256').update(prompt).digest('hex');
    const data = [];
    for (let i = 0; i < n; i++) {
      const variation = (variations.get(key) ?? 0) + 1;
      variations.set(key, variation);
      const png = await renderPlaceholder({ prompt, width, height, variation, model: profile.name });
      data.push({
        b64_json: png.toString('base64'),
        ...(profile.revisesPrompt ? { revised_prompt: `A colourful, child-friendly picture: ${studentText(prompt).slice(0, 300)}` } : {}),
      });
    }
    record(200);
    return send(res, 200, {
      created: Math.floor(Date.now() / 1000),
      data,
      ...(profile.acceptsOutputFormat ? { output_format: 'png', size, quality: body['quality'] ?? 'medium' } : {}),
    });
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const azure = /^\/openai\/deployments\/([^/]+)\/images\/generations$/.exec(url.pathname);
    const work = url.pathname.startsWith('/_control/')
      ? handleControl(req, res, url.pathname)
      : req.method === 'POST' && (azure || url.pathname === '/v1/images/generations')
        ? handleGeneration(req, res, url, azure ? decodeURIComponent(azure[1] ?? '') : undefined)
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
