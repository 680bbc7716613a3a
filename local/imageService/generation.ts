import { createHash } from 'node:crypto';
import type http from 'node:http';
import { findModel, getModel, parseSize, type Cloud, type ModelEntry } from '../../shared/models/modelCatalogue';
import { sendJson as send, type StandInState } from '../standIn';
import { answerFault, ruleMatches, type Fault, type FaultRule } from './faults';
import { renderPlaceholder, studentText } from './placeholderImage';
import { contentFilterAnswer, openAiError, serviceError, type ErrorAnswer } from './providerErrors';
import type { Quota } from './quota';
import type { RecordedCall } from './recordedCall';
import { readImageRequest, type EditPictures } from './requestBody';
import { checkEditInputs, checkImageRequest } from './requestValidation';
import { streamAnswer } from './streaming';
import { usageFor } from './usage';

/**
 * One call to the Images API, generation or edit, as a short pipeline: access, body, fault, quota, checks,
 * then pictures (in one JSON answer or streamed).
 */

/** The service's settings a call reads. */
export interface GenerationOptions {
  /** The model answered for a deployment whose name is not itself a model name. */
  readonly defaultModel?: string;
  /** Added before every answer, to look like a real model's generation time. */
  readonly latencyMs?: number;
  /** Refuse `stream` and `partial_images` as unknown parameters, as an API version without streaming would. */
  readonly refuseStreaming?: boolean;
}

/** What the service keeps between calls. */
export interface GenerationContext {
  readonly options: GenerationOptions;
  readonly quota: Quota;
  /** Calls made so far per prompt (by hash), so the same prompt gets a different picture each time. */
  readonly variations: Map<string, number>;
}

export interface ImageCall {
  readonly url: URL;
  /** The Azure deployment named in the path; undefined on OpenAI's path. */
  readonly deployment: string | undefined;
  readonly operation: 'generations' | 'edits';
}

type OutputFormat = 'png' | 'jpeg' | 'webp';

const accessDeniedMessage =
  'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.';

export async function handleImageCall(
  context: GenerationContext,
  state: StandInState<FaultRule, RecordedCall>,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  call: ImageCall,
): Promise<void> {
  const { url, deployment, operation } = call;
  const cloud: Cloud = deployment === undefined ? 'openai' : 'azure-openai';
  const refused = refusedAccess(req, url, deployment);
  if (refused) return send(res, refused.status, refused.body);
  const request = await readImageRequest(req, operation);
  if (!request) return send(res, 400, openAiError(400, operation === 'edits' ? 'The body must be multipart/form-data.' : 'The body must be a JSON object.').body);
  const { body, edit } = request;
  const record = callLog(state, url, body, edit);
  const { prompt, size } = record;

  // A streamed answer spreads the latency over its partial images (streamAnswer) instead.
  const streaming = body['stream'] === true;
  const fault = state.takeRule((rule) => ruleMatches(rule, prompt))?.fault;
  const latencyMs = fault?.kind === 'pace' ? fault.ms : (context.options.latencyMs ?? 0);
  if (latencyMs && !streaming) await new Promise((resolve) => setTimeout(resolve, latencyMs));
  if (await answerFault(fault, { cloud, req, res, record: record.log, hold: (held) => state.hold(held) })) return;

  const overQuota = context.quota.wait();
  if (overQuota > 0) {
    record.log(429, 'rateLimit');
    return send(res, 429, serviceError(cloud, '429', 'rate_limit_exceeded', 'Requests to the Images_Generations Operation have exceeded the rate limit of your current tier.'), { 'retry-after': String(overQuota) });
  }
  const profile = modelFor(context.options, deployment, body['model']);
  const invalid = await invalidRequest(context.options, profile, cloud, body, edit);
  if (invalid) {
    record.log(invalid.status);
    return send(res, invalid.status, invalid.body);
  }
  const outputBlocked = fault?.kind === 'contentFilter' ? contentFilterAnswer(cloud, fault.category ?? 'violence', 'output') : undefined;
  if (outputBlocked && !streaming) {
    record.log(400, 'contentFilter');
    return send(res, outputBlocked.status, outputBlocked.body);
  }
  const outputFormat = typeof body['output_format'] === 'string' ? (body['output_format'] as OutputFormat) : 'png';
  const render = renderer(context.variations, profile, prompt, size, outputFormat, body['output_compression']);
  const pictures: Pictures = { profile, cloud, body, record, outputFormat, render };
  if (streaming) return streamPictures(res, pictures, operation, latencyMs, outputBlocked?.body);
  return sendPictures(res, pictures);
}

/** What an answer with pictures is made from. */
interface Pictures {
  readonly profile: ModelEntry;
  readonly cloud: Cloud;
  readonly body: Record<string, unknown>;
  readonly record: CallLog;
  readonly outputFormat: OutputFormat;
  readonly render: () => Promise<Buffer>;
}

/** The provider's server-sent events: partial images, then each picture, or the safety system's block of it. */
async function streamPictures(res: http.ServerResponse, pictures: Pictures, operation: ImageCall['operation'], latencyMs: number, blocked: object | undefined): Promise<void> {
  const { body, record, outputFormat } = pictures;
  const { prompt, n, size } = record;
  const partialImages = typeof body['partial_images'] === 'number' ? body['partial_images'] : 0;
  const settings = { size, quality: typeof body['quality'] === 'string' ? body['quality'] : 'medium', background: typeof body['background'] === 'string' ? body['background'] : 'opaque', output_format: outputFormat };
  // The HTTP status is 200 before the picture is checked: a block of the picture comes as an error event.
  const logged = record.log(200, blocked ? 'contentFilter' : undefined);
  await streamAnswer(res, {
    eventPrefix: operation === 'edits' ? 'image_edit' : 'image_generation',
    n,
    partialImages,
    latencyMs,
    render: pictures.render,
    settings,
    usage: () => usageFor(prompt, n, size, body['quality'], partialImages),
    ...(blocked ? { blocked } : {}),
  });
  logged.answeredInMs = Date.now() - record.receivedAt.getTime();
}

/** One JSON answer with every picture in base64, and usage for the models that report it. */
async function sendPictures(res: http.ServerResponse, pictures: Pictures): Promise<void> {
  const { profile, cloud, body, record, outputFormat } = pictures;
  const { prompt, n, size } = record;
  const data = [];
  for (let i = 0; i < n; i++) {
    const image = await pictures.render();
    data.push({
      b64_json: image.toString('base64'),
      ...(profile.revisesPrompt ? { revised_prompt: `A colourful, child-friendly picture: ${studentText(prompt).slice(0, 300)}` } : {}),
    });
  }
  const logged = record.log(200);
  logged.answeredInMs = Date.now() - record.receivedAt.getTime();
  return send(res, 200, {
    created: Math.floor(Date.now() / 1000),
    data,
    // Azure's generateImagesResponse (inference spec 2025-04-01-preview) has created, data and usage; the
    // echo of output_format, size and quality is OpenAI's ImagesResponse only (docs/contracts.md).
    ...(profile.parameters.outputFormat ? { usage: usageFor(prompt, n, size, body['quality']) } : {}),
    ...(profile.parameters.outputFormat && cloud === 'openai' ? { output_format: outputFormat, size, quality: body['quality'] ?? 'medium' } : {}),
  });
}

/** Azure's routes need an api-version (else 404, as Azure answers); both clouds need a key or a bearer token. */
function refusedAccess(req: http.IncomingMessage, url: URL, deployment: string | undefined): ErrorAnswer | undefined {
  if (deployment !== undefined && !url.searchParams.get('api-version')) {
    return { status: 404, body: { error: { code: '404', message: 'Resource not found' } } };
  }
  const authorized = Boolean(req.headers['api-key']) || /^Bearer\s+\S+/i.test(String(req.headers['authorization'] ?? ''));
  if (authorized) return undefined;
  return { status: 401, body: serviceError(deployment === undefined ? 'openai' : 'azure-openai', '401', 'invalid_request_error', accessDeniedMessage) };
}

interface CallLog {
  readonly prompt: string;
  readonly n: number;
  readonly size: string;
  readonly receivedAt: Date;
  /** Records the call with the status it got; the entry is returned so the answer's duration can be added. */
  readonly log: (status: number, fault?: Fault['kind']) => RecordedCall;
}

/** The call as the log keeps it: prompt, n and size apart, the other parameters as sent (an edit's pictures counted). */
function callLog(state: StandInState<FaultRule, RecordedCall>, url: URL, body: Record<string, unknown>, edit: EditPictures | undefined): CallLog {
  const prompt = typeof body['prompt'] === 'string' ? body['prompt'] : '';
  const n = typeof body['n'] === 'number' ? body['n'] : 1;
  const size = typeof body['size'] === 'string' ? body['size'] : '1024x1024';
  const { prompt: _prompt, n: _n, size: _size, ...fields } = body;
  const parameters = edit ? { ...fields, images: edit.images.length, mask: edit.mask !== undefined } : fields;
  const receivedAt = new Date();
  return {
    prompt,
    n,
    size,
    receivedAt,
    log: (status, fault) => {
      const call: RecordedCall = { at: new Date().toISOString(), receivedAt: receivedAt.toISOString(), path: url.pathname, prompt, n, size, status, parameters, ...(fault ? { fault } : {}) };
      state.record(call);
      return call;
    },
  };
}

/** The deployment's model if it is named for one, else the body's `model`, else the service's default. */
function modelFor(options: GenerationOptions, deployment: string | undefined, bodyModel: unknown): ModelEntry {
  for (const candidate of [deployment, bodyModel]) {
    const found = typeof candidate === 'string' ? findModel(candidate) : undefined;
    if (found) return found;
  }
  return getModel(options.defaultModel ?? 'gpt-image-2');
}

/** The first problem the model would answer 400 for: streaming on a service without it, a parameter, an edit's pictures. */
async function invalidRequest(options: GenerationOptions, model: ModelEntry, cloud: Cloud, body: Record<string, unknown>, edit: EditPictures | undefined): Promise<ErrorAnswer | undefined> {
  const refused = options.refuseStreaming ? (['stream', 'partial_images'] as const).find((name) => body[name] !== undefined) : undefined;
  if (refused) return openAiError(400, `Unknown parameter: '${refused}'.`, refused, 'unknown_parameter');
  return checkImageRequest(model, cloud, body) ?? (edit ? await checkEditInputs(model, edit) : undefined);
}

/** Draws the call's placeholders, each a new variation of its prompt. */
function renderer(variations: Map<string, number>, model: ModelEntry, prompt: string, size: string, format: OutputFormat, compression: unknown): () => Promise<Buffer> {
  const { width, height } = parseSize(size);
  const key = createHash('sha256').update(prompt).digest('hex');
  return () => {
    const variation = (variations.get(key) ?? 0) + 1;
    variations.set(key, variation);
    return renderPlaceholder({
      prompt, width, height, variation, model: model.name, format, ...(typeof compression === 'number' ? { compression } : {}),
    });
  };
}
