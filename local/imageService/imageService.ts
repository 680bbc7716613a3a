import { createHash } from 'node:crypto';
import type http from 'node:http';
import { findModel, formatsFor, getModel, parseSize, sizeProblem, describeSizeRule, type Cloud, type ModelEntry } from '../../shared/models/modelCatalogue';
import sharp from 'sharp';
import { imageFormatOf } from '../../shared/provider/imageProvider';
import { renderPlaceholder, studentText } from './placeholderImage';
import { readBody as readBodyUpTo, sendJson as send, startStandIn, type StandIn, type StandInState } from '../standIn';

/**
 * A stand-in for the image model that speaks the Images HTTP API of Azure OpenAI
 * (POST /openai/deployments/{deployment}/images/generations?api-version=…) and OpenAI
 * (POST /v1/images/generations), checks parameters as the model's catalogue entry does (gpt-image-2: any
 * size under its rule), and answers with placeholder images in base64 (PNG, JPEG or WebP) with `usage`
 * for the gpt-image models; with `stream: true` it answers in the provider's server-sent events instead
 * (partial images, then the completed picture with usage; see streamAnswer). Tests and the chaos run steer it at the HTTP boundary with fault rules (rate
 * limits, server errors, hangs, resets, content-filter blocks of the prompt or of the picture), through
 * /_control or settings.
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

export interface RecordedCall {
  /** When the call was logged: as it was answered, or for a streamed call as its stream began. */
  readonly at: string;
  /** When the request had arrived (its body read). */
  readonly receivedAt: string;
  /**
   * How long the whole answer took, a stream's events included: the provider's share of a job's time,
   * which the benchmark subtracts (bench/run.ts). Set once the answer has been sent.
   */
  answeredInMs?: number;
  readonly path: string;
  readonly prompt: string;
  readonly n: number;
  readonly size: string;
  readonly status: number;
  readonly fault?: Fault['kind'];
  /** The optional parameters the call sent, as sent (so tests can check what reaches the provider). */
  readonly parameters: Readonly<Record<string, unknown>>;
}

export interface ImageServiceOptions {
  readonly port?: number;
  readonly host?: string;
  /** The model answered for a deployment whose name is not itself a model name. */
  readonly defaultModel?: string;
  /** Added before every answer, to look like a real model's generation time. */
  readonly latencyMs?: number;
  readonly rules?: readonly FaultRule[];
  /**
   * A quota like a deployment's: requests beyond requestsPerMinute / 6 in any 10-second window get a 429
   * with retry-after (Azure enforces per-minute quotas over short windows too).
   */
  readonly requestsPerMinute?: number;
  /** Refuse `stream` and `partial_images` as unknown parameters, as an API version without streaming would. */
  readonly refuseStreaming?: boolean;
}

export type ImageService = StandIn<FaultRule, RecordedCall>;

/** Edits carry up to 16 pictures; generation bodies are a few KiB. */
const maxBodyBytes = 64 * 1024 * 1024;

function openAiError(status: number, message: string, param?: string, code?: string) {
  return { status, body: { error: { message, type: 'invalid_request_error', param: param ?? null, code: code ?? null } } };
}

/**
 * A service error in each cloud's published shape: Azure's dalleErrorResponse `{ error: { code, message } }`
 * (code and message from errorBase; inference spec 2025-04-01-preview), OpenAI's ErrorResponse, whose Error
 * requires `type`, `message`, `param` and `code` (openai-openapi). The openai client reads either.
 */
function serviceError(cloud: Cloud, azureCode: string, openAiType: string, message: string) {
  return cloud === 'openai' ? { error: { message, type: openAiType, param: null, code: null } } : { error: { code: azureCode, message } };
}

/** The parameters the Images API knows; anything else is refused as the provider does. */
const knownParameters = new Set([
  'prompt', 'model', 'n', 'size', 'quality', 'style', 'response_format', 'output_format', 'output_compression',
  'moderation', 'background', 'user', 'safety_identifier', 'stream', 'partial_images',
]);

/** Checks a request as the model does in this cloud; returns the error answer, or undefined when it is fine. */
export function checkImageRequest(model: ModelEntry, cloud: Cloud, body: Record<string, unknown>): { status: number; body: unknown } | undefined {
  const { prompt, n = 1, size = '1024x1024', quality, style } = body;
  const unknown = Object.keys(body).find((key) => !knownParameters.has(key));
  if (unknown !== undefined) return openAiError(400, `Unknown parameter: '${unknown}'.`, unknown, 'unknown_parameter');
  if (typeof prompt !== 'string' || prompt.length === 0) return openAiError(400, "'prompt' is required", 'prompt');
  if ([...prompt].length > model.maxPromptChars) {
    return openAiError(400, `'prompt' is too long: the maximum for ${model.name} is ${model.maxPromptChars} characters`, 'prompt', 'string_above_max_length');
  }
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > model.maxImagesPerCall) {
    return openAiError(400, `'n' must be from 1 to ${model.maxImagesPerCall} for ${model.name}`, 'n');
  }
  if (typeof size !== 'string' || sizeProblem(model, size) !== undefined) {
    return openAiError(400, `Invalid 'size' for ${model.name}: ${typeof size === 'string' ? `${size}: ${sizeProblem(model, size)}` : 'not a string'}. Supported: ${describeSizeRule(model)}.`, 'size', 'invalid_size');
  }
  if (quality !== undefined && (typeof quality !== 'string' || !model.qualities.includes(quality))) {
    return openAiError(400, `'quality' must be one of ${model.qualities.join(', ')} for ${model.name}`, 'quality');
  }
  if (style !== undefined && (typeof style !== 'string' || !model.styles.includes(style))) {
    return openAiError(400, model.styles.length ? `'style' must be one of ${model.styles.join(', ')}` : `Unknown parameter: 'style'.`, 'style');
  }
  const { parameters } = model;
  const unsupported = (
    [
      ['response_format', parameters.responseFormat],
      ['output_format', parameters.outputFormat],
      ['output_compression', parameters.outputCompression],
      ['moderation', parameters.moderation],
      ['background', parameters.background],
      ['safety_identifier', parameters.safetyIdentifier],
      ['stream', parameters.partialImages],
      ['partial_images', parameters.partialImages],
    ] as const
  ).find(([name, supported]) => body[name] !== undefined && !supported);
  if (unsupported) return openAiError(400, `Unknown parameter: '${unsupported[0]}'.`, unsupported[0], 'unknown_parameter');
  const responseFormat = body['response_format'];
  if (responseFormat !== undefined && responseFormat !== 'url' && responseFormat !== 'b64_json') {
    return openAiError(400, "'response_format' must be url or b64_json", 'response_format');
  }
  if (responseFormat === 'url') {
    // A real service would answer with a URL to its own storage; ours has none and the job service never asks.
    return openAiError(400, "The local image service only returns b64_json; set response_format to 'b64_json'.", 'response_format');
  }
  const formats = formatsFor(model, cloud);
  const outputFormat = body['output_format'] ?? 'png';
  if (typeof outputFormat !== 'string' || !(formats as readonly string[]).includes(outputFormat)) {
    return openAiError(400, `'output_format' must be one of ${formats.join(', ')} for ${model.name}`, 'output_format');
  }
  const compression = body['output_compression'];
  if (compression !== undefined && (typeof compression !== 'number' || !Number.isInteger(compression) || compression < 0 || compression > 100)) {
    return openAiError(400, "'output_compression' must be an integer from 0 to 100", 'output_compression');
  }
  if (compression !== undefined && outputFormat === 'png') {
    return openAiError(400, "'output_compression' is only supported for the jpeg and webp output formats", 'output_compression');
  }
  const moderation = body['moderation'];
  if (moderation !== undefined && moderation !== 'low' && moderation !== 'auto') {
    return openAiError(400, "'moderation' must be low or auto", 'moderation');
  }
  const stream = body['stream'];
  if (stream !== undefined && typeof stream !== 'boolean') return openAiError(400, "'stream' must be a boolean", 'stream');
  const partialImages = body['partial_images'];
  if (partialImages !== undefined && (typeof partialImages !== 'number' || !Number.isInteger(partialImages) || partialImages < 0 || partialImages > 3)) {
    return openAiError(400, "'partial_images' must be an integer from 0 to 3", 'partial_images');
  }
  const safetyIdentifier = body['safety_identifier'];
  if (safetyIdentifier !== undefined && (typeof safetyIdentifier !== 'string' || safetyIdentifier.length > 64)) {
    return openAiError(400, "'safety_identifier' must be a string of at most 64 characters", 'safety_identifier');
  }
  return undefined;
}

/** The provider's limits on an edit's pictures: up to 16 of PNG, JPEG or WebP; a PNG mask with alpha, the first picture's size. */
async function checkEditInputs(model: ModelEntry, edit: { images: Buffer[]; mask?: Buffer }): Promise<{ status: number; body: unknown } | undefined> {
  if (!model.parameters.edits) return openAiError(400, `The model ${model.name} does not support image edits.`, 'model', 'unsupported_operation');
  if (edit.images.length < 1 || edit.images.length > 16) return openAiError(400, "'image' must be 1 to 16 images", 'image');
  const sizes = [];
  for (const bytes of edit.images) {
    if (!imageFormatOf(bytes)) return openAiError(400, 'Invalid image file: each image must be a png, webp or jpg file.', 'image', 'invalid_image_format');
    const metadata = await sharp(bytes).metadata();
    sizes.push(`${metadata.width}x${metadata.height}`);
  }
  if (edit.mask) {
    const metadata = imageFormatOf(edit.mask) === 'png' ? await sharp(edit.mask).metadata() : undefined;
    if (!metadata?.hasAlpha) return openAiError(400, "Invalid mask: the mask must be a png with an alpha channel.", 'mask', 'invalid_mask');
    if (`${metadata.width}x${metadata.height}` !== sizes[0]) return openAiError(400, `Invalid mask: it must be the size of the first image (${sizes[0]}).`, 'mask', 'invalid_mask');
  }
  return undefined;
}

/** Output tokens per 1024x1024 image by quality (the gpt-image models' published token counts), scaled by area. */
const outputTokensPerMegapixel: Readonly<Record<string, number>> = { low: 272, medium: 1056, high: 4160 };

/** OpenAI's image generation guide ("Partial images cost", read 2026-11-25): each partial image adds 100 image output tokens. */
const outputTokensPerPartialImage = 100;

function usageFor(prompt: string, n: number, size: string, quality: unknown, partialImages = 0) {
  const { width, height } = parseSize(size);
  const perImage =
    Math.ceil(((outputTokensPerMegapixel[String(quality)] ?? outputTokensPerMegapixel['medium'] ?? 0) * width * height) / (1024 * 1024)) +
    partialImages * outputTokensPerPartialImage;
  const textTokens = Math.ceil(prompt.length / 4);
  return {
    input_tokens: textTokens,
    input_tokens_details: { text_tokens: textTokens, image_tokens: 0 },
    output_tokens: perImage * n,
    total_tokens: textTokens + perImage * n,
  };
}

interface StreamPlan {
  /** `image_generation` or `image_edit`: the events' type prefix. */
  readonly eventPrefix: string;
  readonly n: number;
  readonly partialImages: number;
  /** The whole answer's time, spread evenly over the partials and the final picture of each image. */
  readonly latencyMs: number;
  readonly render: () => Promise<Buffer>;
  readonly settings: { readonly size: string; readonly quality: string; readonly background: string; readonly output_format: string };
  readonly usage: () => unknown;
  /** The safety system's answer for the picture: sent as an error event after the partials, instead of the picture. */
  readonly blocked?: object;
}

/**
 * A streamed answer in the provider's event format, as the openai client parses it (`event:` name and a JSON
 * `data:` line per event): for each image, `partial_images` partials (the final placeholder at lower detail,
 * sharper each time), then `{prefix}.completed` with the picture and the call's usage. A picture the safety
 * system blocks ends the stream with an `error` event carrying the same error body as a plain answer.
 */
async function streamAnswer(res: http.ServerResponse, plan: StreamPlan): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  const send = (event: string, data: unknown) => {
    if (!res.destroyed) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  const pause = () => new Promise((resolve) => setTimeout(resolve, plan.latencyMs / (plan.n * (plan.partialImages + 1))));
  const createdAt = () => Math.floor(Date.now() / 1000);
  for (let i = 0; i < plan.n && !res.destroyed; i++) {
    const image = await plan.render();
    for (let partial = 0; partial < plan.partialImages && !res.destroyed; partial++) {
      await pause();
      const bytes = await lowerDetail(image, plan.settings.output_format, (partial + 1) / (plan.partialImages + 1));
      send(`${plan.eventPrefix}.partial_image`, {
        type: `${plan.eventPrefix}.partial_image`, b64_json: bytes.toString('base64'), created_at: createdAt(), partial_image_index: partial, ...plan.settings,
      });
    }
    if (plan.blocked) {
      send('error', { type: 'error', ...plan.blocked });
      res.end();
      return;
    }
    await pause();
    send(`${plan.eventPrefix}.completed`, {
      type: `${plan.eventPrefix}.completed`, b64_json: image.toString('base64'), created_at: createdAt(), ...plan.settings, usage: plan.usage(),
    });
  }
  res.end();
}

/** The picture at a fraction of its detail (scaled down and back up), in its own format: an early partial image. */
async function lowerDetail(image: Buffer, format: string, detail: number): Promise<Buffer> {
  const metadata = await sharp(image).metadata();
  const width = metadata.width ?? 1024;
  const height = metadata.height ?? 1024;
  const scale = Math.max(0.02, detail * detail * 0.25);
  const small = await sharp(image).resize(Math.max(8, Math.round(width * scale)), Math.max(8, Math.round(height * scale))).toBuffer();
  const large = sharp(small).resize(width, height, { kernel: 'cubic' });
  if (format === 'jpeg') return large.jpeg({ quality: 80 }).toBuffer();
  if (format === 'webp') return large.webp({ quality: 80 }).toBuffer();
  return large.png({ compressionLevel: 6, adaptiveFiltering: true }).toBuffer();
}

/**
 * The safety system's answers, in each provider's shape (see shared/providerFailure.ts for the sources):
 * Azure blocks a prompt with 400 content_policy_violation and per-category results, and a picture with
 * the documented contentFilter "Generated image was filtered" answer; OpenAI answers moderation_blocked
 * with the categories in the message (it documents no separate shape for a blocked picture; ours says
 * "generated image" in the message).
 */
function contentFilterAnswer(cloud: Cloud, category: string, stage: 'prompt' | 'output') {
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

export function startImageService(options: ImageServiceOptions = {}): Promise<ImageService> {
  const variations = new Map<string, number>();
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

  function modelFor(deployment: string | undefined, bodyModel: unknown): ModelEntry {
    for (const candidate of [deployment, bodyModel]) {
      const found = typeof candidate === 'string' ? findModel(candidate) : undefined;
      if (found) return found;
    }
    return getModel(options.defaultModel ?? 'gpt-image-2');
  }

  const readBytes = (req: http.IncomingMessage) => readBodyUpTo(req, maxBodyBytes);
  const readBody = async (req: http.IncomingMessage) => (await readBytes(req)).toString('utf8');

  /**
   * An edit's multipart body, as the openai client sends it: the parameters as text fields (numbers parsed
   * back), the pictures as `image` or `image[]` files and an optional `mask` file.
   */
  async function readEditBody(req: http.IncomingMessage): Promise<{ body: Record<string, unknown>; images: Buffer[]; mask?: Buffer }> {
    const form = await new Request('http://local/', { method: 'POST', headers: { 'content-type': String(req.headers['content-type'] ?? '') }, body: await readBytes(req) }).formData();
    const body: Record<string, unknown> = {};
    const images: Buffer[] = [];
    let mask: Buffer | undefined;
    for (const [name, value] of form.entries()) {
      if (typeof value !== 'string') {
        const bytes = Buffer.from(await value.arrayBuffer());
        if (name === 'mask') mask = bytes;
        else if (name === 'image' || name === 'image[]') images.push(bytes);
        else body[name] = '(file)';
        continue;
      }
      body[name] =
        ['n', 'output_compression', 'partial_images'].includes(name) && /^\d+$/.test(value)
          ? Number(value)
          : name === 'stream' && (value === 'true' || value === 'false')
            ? value === 'true'
            : value;
    }
    return { body, images, ...(mask ? { mask } : {}) };
  }

  async function handleGeneration(
    state: StandInState<FaultRule, RecordedCall>,
    req: http.IncomingMessage,
    res: http.ServerResponse,
    url: URL,
    deployment: string | undefined,
    operation: 'generations' | 'edits',
  ) {
    if (deployment !== undefined && !url.searchParams.get('api-version')) {
      return send(res, 404, { error: { code: '404', message: 'Resource not found' } });
    }
    const authorized = Boolean(req.headers['api-key']) || /^Bearer\s+\S+/i.test(String(req.headers['authorization'] ?? ''));
    if (!authorized) {
      const message = 'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.';
      return send(res, 401, serviceError(deployment === undefined ? 'openai' : 'azure-openai', '401', 'invalid_request_error', message));
    }
    let body: Record<string, unknown>;
    let edit: { images: Buffer[]; mask?: Buffer } | undefined;
    try {
      if (operation === 'edits') {
        const { body: fields, ...pictures } = await readEditBody(req);
        body = fields;
        edit = pictures;
      } else {
        const parsed: unknown = JSON.parse(await readBody(req));
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
        body = parsed as Record<string, unknown>;
      }
    } catch {
      return send(res, 400, openAiError(400, operation === 'edits' ? 'The body must be multipart/form-data.' : 'The body must be a JSON object.').body);
    }
    const prompt = typeof body['prompt'] === 'string' ? body['prompt'] : '';
    const n = typeof body['n'] === 'number' ? body['n'] : 1;
    const size = typeof body['size'] === 'string' ? body['size'] : '1024x1024';
    const { prompt: _prompt, n: _n, size: _size, ...fields } = body;
    const parameters = edit ? { ...fields, images: edit.images.length, mask: edit.mask !== undefined } : fields;
    const cloud: Cloud = deployment === undefined ? 'openai' : 'azure-openai';
    const receivedAt = new Date();
    const record = (status: number, fault?: Fault['kind']): RecordedCall => {
      const call: RecordedCall = { at: new Date().toISOString(), receivedAt: receivedAt.toISOString(), path: url.pathname, prompt, n, size, status, parameters, ...(fault ? { fault } : {}) };
      state.record(call);
      return call;
    };

    // A streamed answer spreads the latency over its partial images (streamAnswer) instead.
    const streaming = body['stream'] === true;
    const lower = prompt.toLowerCase();
    const fault = state.takeRule((rule) => !rule.match || lower.includes(rule.match.toLowerCase()))?.fault;
    const latencyMs = fault?.kind === 'pace' ? fault.ms : (options.latencyMs ?? 0);
    if (latencyMs && !streaming) await new Promise((resolve) => setTimeout(resolve, latencyMs));
    switch (fault?.kind) {
      case 'rateLimit': {
        record(429, fault.kind);
        const headers: Record<string, string> = {};
        if (fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds);
        if (fault.retryAfterMs !== undefined) headers['retry-after-ms'] = String(fault.retryAfterMs);
        return send(res, 429, serviceError(cloud, '429', 'rate_limit_exceeded', 'Requests to the Images_Generations Operation have exceeded the rate limit of your current tier. Please retry after the time in the Retry-After header.'), headers);
      }
      case 'serverError':
        record(fault.status ?? 500, fault.kind);
        return send(res, fault.status ?? 500, serviceError(cloud, 'InternalServerError', 'server_error', 'The server had an error while processing your request.'));
      case 'contentFilter': {
        if (fault.stage === 'output') break; // the picture is made first, then blocked (below)
        record(400, fault.kind);
        const answer = contentFilterAnswer(cloud, fault.category ?? 'violence', 'prompt');
        return send(res, answer.status, answer.body);
      }
      case 'unauthorized':
        record(401, fault.kind);
        return send(res, 401, serviceError(cloud, 'PermissionDenied', 'invalid_request_error', 'Principal does not have access to API/Operation.'));
      case 'hang':
        record(0, fault.kind);
        state.hold(res);
        return undefined;
      case 'reset':
        record(0, fault.kind);
        req.socket.destroy();
        return undefined;
      case 'delay':
        await new Promise((resolve) => setTimeout(resolve, fault.ms));
        break;
      case 'pace':
      case undefined:
        break;
    }

    const overQuota = quotaWait();
    if (overQuota > 0) {
      record(429, 'rateLimit');
      return send(res, 429, serviceError(cloud, '429', 'rate_limit_exceeded', 'Requests to the Images_Generations Operation have exceeded the rate limit of your current tier.'), { 'retry-after': String(overQuota) });
    }
    const profile = modelFor(deployment, body['model']);
    const refused = options.refuseStreaming ? (['stream', 'partial_images'] as const).find((name) => body[name] !== undefined) : undefined;
    const invalid = (refused ? openAiError(400, `Unknown parameter: '${refused}'.`, refused, 'unknown_parameter') : undefined) ?? checkImageRequest(profile, cloud, body) ?? (edit ? await checkEditInputs(profile, edit) : undefined);
    if (invalid) {
      record(invalid.status);
      return send(res, invalid.status, invalid.body);
    }
    const outputBlocked = fault?.kind === 'contentFilter' ? contentFilterAnswer(cloud, fault.category ?? 'violence', 'output') : undefined;
    if (outputBlocked && !streaming) {
      record(400, 'contentFilter');
      return send(res, outputBlocked.status, outputBlocked.body);
    }
    const { width, height } = parseSize(size);
    const outputFormat = typeof body['output_format'] === 'string' ? (body['output_format'] as 'png' | 'jpeg' | 'webp') : 'png';
    const compression = typeof body['output_compression'] === 'number' ? body['output_compression'] : undefined;
    const key = createHash('sha256').update(prompt).digest('hex');
    const render = () => {
      const variation = (variations.get(key) ?? 0) + 1;
      variations.set(key, variation);
      return renderPlaceholder({
        prompt, width, height, variation, model: profile.name, format: outputFormat, ...(compression !== undefined ? { compression } : {}),
      });
    };
    if (streaming) {
      const partialImages = typeof body['partial_images'] === 'number' ? body['partial_images'] : 0;
      const settings = { size, quality: typeof body['quality'] === 'string' ? body['quality'] : 'medium', background: typeof body['background'] === 'string' ? body['background'] : 'opaque', output_format: outputFormat };
      // The HTTP status is 200 before the picture is checked: a block of the picture comes as an error event.
      const call = record(200, outputBlocked ? 'contentFilter' : undefined);
      await streamAnswer(res, {
        eventPrefix: operation === 'edits' ? 'image_edit' : 'image_generation',
        n,
        partialImages,
        latencyMs,
        render,
        settings,
        usage: () => usageFor(prompt, n, size, body['quality'], partialImages),
        ...(outputBlocked ? { blocked: outputBlocked.body } : {}),
      });
      call.answeredInMs = Date.now() - receivedAt.getTime();
      return;
    }
    const data = [];
    for (let i = 0; i < n; i++) {
      const image = await render();
      data.push({
        b64_json: image.toString('base64'),
        ...(profile.revisesPrompt ? { revised_prompt: `A colourful, child-friendly picture: ${studentText(prompt).slice(0, 300)}` } : {}),
      });
    }
    const call = record(200);
    call.answeredInMs = Date.now() - receivedAt.getTime();
    return send(res, 200, {
      created: Math.floor(Date.now() / 1000),
      data,
      // Azure's generateImagesResponse (inference spec 2025-04-01-preview) has created, data and usage; the
      // echo of output_format, size and quality is OpenAI's ImagesResponse only (docs/contracts.md).
      ...(profile.parameters.outputFormat ? { usage: usageFor(prompt, n, size, body['quality']) } : {}),
      ...(profile.parameters.outputFormat && cloud === 'openai' ? { output_format: outputFormat, size, quality: body['quality'] ?? 'medium' } : {}),
    });
  }

  return startStandIn<FaultRule, RecordedCall>(options, async (state, req, res, url) => {
    const azure = /^\/openai\/deployments\/([^/]+)\/images\/(generations|edits)$/.exec(url.pathname);
    const openAi = /^\/v1\/images\/(generations|edits)$/.exec(url.pathname);
    const operation = azure?.[2] ?? openAi?.[1];
    if (req.method !== 'POST' || operation === undefined) return send(res, 404, { error: { code: '404', message: 'Resource not found' } });
    return handleGeneration(state, req, res, url, azure ? decodeURIComponent(azure[1] ?? '') : undefined, operation === 'edits' ? 'edits' : 'generations');
  });
}
