import { sendJson as send, startStandIn, type StandIn } from '../standIn';
import type { FaultRule } from './faults';
import { handleImageCall, type GenerationOptions } from './generation';
import { createQuota } from './quota';
import type { RecordedCall } from './recordedCall';

/**
 * A stand-in for the image model that speaks the Images HTTP API of Azure OpenAI
 * (POST /openai/deployments/{deployment}/images/generations?api-version=…) and OpenAI
 * (POST /v1/images/generations), and the edits routes beside them. It checks parameters as the model's
 * catalogue entry does (requestValidation.ts; gpt-image-2: any size under its rule), and answers with
 * placeholder images in base64 (PNG, JPEG or WebP) with `usage` for the gpt-image models; with `stream: true`
 * it answers in the provider's server-sent events instead (streaming.ts). Tests and the chaos run steer it at
 * the HTTP boundary with fault rules (faults.ts: rate limits, server errors, hangs, resets, content-filter
 * blocks of the prompt or of the picture), through /_control or settings.
 *
 * The parts, one concern a file: generation.ts (one call, as a pipeline), requestBody.ts (JSON and multipart),
 * requestValidation.ts, faults.ts, quota.ts, streaming.ts, usage.ts, providerErrors.ts (each cloud's error
 * shapes), placeholderImage.ts, recordedCall.ts (the call log's entry).
 */

export type { Fault, FaultRule } from './faults';
export type { RecordedCall } from './recordedCall';
export { checkImageRequest } from './requestValidation';

export interface ImageServiceOptions extends GenerationOptions {
  readonly port?: number;
  readonly host?: string;
  readonly rules?: readonly FaultRule[];
  /**
   * A quota like a deployment's: requests beyond requestsPerMinute / 6 in any 10-second window get a 429
   * with retry-after (Azure enforces per-minute quotas over short windows too).
   */
  readonly requestsPerMinute?: number;
}

export type ImageService = StandIn<FaultRule, RecordedCall>;

const azureRoute = /^\/openai\/deployments\/([^/]+)\/images\/(generations|edits)$/;
const openAiRoute = /^\/v1\/images\/(generations|edits)$/;

export function startImageService(options: ImageServiceOptions = {}): Promise<ImageService> {
  const context = { options, quota: createQuota(options.requestsPerMinute), variations: new Map<string, number>() };
  return startStandIn<FaultRule, RecordedCall>(options, async (state, req, res, url) => {
    const azure = azureRoute.exec(url.pathname);
    const openAi = openAiRoute.exec(url.pathname);
    const operation = azure?.[2] ?? openAi?.[1];
    if (req.method !== 'POST' || operation === undefined) return send(res, 404, { error: { code: '404', message: 'Resource not found' } });
    return handleImageCall(context, state, req, res, {
      url,
      deployment: azure ? decodeURIComponent(azure[1] ?? '') : undefined,
      operation: operation === 'edits' ? 'edits' : 'generations',
    });
  });
}
