import { getBearerTokenProvider, type TokenCredential } from '@azure/identity';
import OpenAI, { AzureOpenAI } from 'openai';
import type { ImageGenerateParamsNonStreaming } from 'openai/resources/images';
import type { ImageProviderConfig } from './config';
import { createCredential } from './storageClients';
import type { ModelProfile } from './modelProfiles';

/**
 * The image model behind one small interface, through the official `openai` client. Azure OpenAI is keyless
 * by default (a Microsoft Entra token for the Cognitive Services scope); an API key is used only when set.
 * The same code talks to the local image service, which speaks the same HTTP API.
 */

export interface ImageGenerationRequest {
  readonly prompt: string;
  readonly n: number;
  readonly size: string;
  readonly quality?: string;
  readonly style?: string;
  readonly user?: string;
}

export interface GeneratedImage {
  readonly png: Buffer;
  readonly revisedPrompt?: string;
}

export interface ImageProvider {
  generate(request: ImageGenerationRequest): Promise<GeneratedImage[]>;
  /** Throws when the provider's credentials cannot be obtained (used by the health check). */
  checkCredentials(): Promise<void>;
}

export interface ImageProviderOptions {
  readonly timeoutInSeconds: number;
  readonly maxRetries: number;
}

export const cognitiveServicesScope = 'https://cognitiveservices.azure.com/.default';

const pngSignature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function isPng(bytes: Buffer): boolean {
  return bytes.length > pngSignature.length && bytes.subarray(0, pngSignature.length).equals(pngSignature);
}

export function createImageProvider(
  config: ImageProviderConfig,
  profile: ModelProfile,
  options: ImageProviderOptions,
): ImageProvider {
  const clientOptions = {
    timeout: options.timeoutInSeconds * 1000,
    maxRetries: options.maxRetries,
  };
  let credential: TokenCredential | undefined;
  let client: OpenAI;
  let modelParameter: string;
  if (config.kind === 'azure-openai') {
    if (!config.apiKey) credential = createCredential(config.clientId);
    client = new AzureOpenAI({
      endpoint: config.endpoint,
      deployment: config.deployment,
      apiVersion: config.apiVersion,
      ...(credential
        ? { azureADTokenProvider: getBearerTokenProvider(credential, cognitiveServicesScope) }
        : { apiKey: config.apiKey }),
      ...clientOptions,
    });
    // Azure routes by the deployment in the URL; the body's model names the same deployment.
    modelParameter = config.deployment;
  } else {
    client = new OpenAI({ apiKey: config.apiKey, baseURL: config.baseUrl ?? null, ...clientOptions });
    modelParameter = profile.name;
  }

  return {
    async generate(request) {
      const params: ImageGenerateParamsNonStreaming = {
        model: modelParameter,
        prompt: request.prompt,
        n: request.n,
        size: request.size,
        ...(request.quality ? { quality: request.quality as ImageGenerateParamsNonStreaming['quality'] } : {}),
        ...(request.style ? { style: request.style as ImageGenerateParamsNonStreaming['style'] } : {}),
        ...(request.user ? { user: request.user } : {}),
        // Always base64: we store the bytes ourselves and never fetch a provider URL.
        ...(profile.acceptsResponseFormat ? { response_format: 'b64_json' as const } : {}),
        ...(profile.acceptsOutputFormat ? { output_format: 'png' as const } : {}),
      };
      const response = await client.images.generate(params);
      const images = (response.data ?? []).map((item) => {
        if (!item.b64_json) throw new InvalidProviderResponseError('an image came without b64_json data');
        const png = Buffer.from(item.b64_json, 'base64');
        if (!isPng(png)) throw new InvalidProviderResponseError('an image is not a PNG');
        return { png, ...(item.revised_prompt ? { revisedPrompt: item.revised_prompt } : {}) };
      });
      if (images.length !== request.n) {
        throw new InvalidProviderResponseError(`asked for ${request.n} images, got ${images.length}`);
      }
      return images;
    },
    async checkCredentials() {
      if (credential) {
        const token = await credential.getToken(cognitiveServicesScope);
        if (!token) throw new Error('no token for the Azure OpenAI scope');
      }
    },
  };
}

export class InvalidProviderResponseError extends Error {
  constructor(detail: string) {
    super(`The image provider's answer was not usable: ${detail}`);
    this.name = 'InvalidProviderResponseError';
  }
}

/** The wait a response asks for, read as the openai client reads it: retry-after-ms, then retry-after. */
export function requestedRetryDelayInMs(headers: Headers): number | undefined {
  const milliseconds = parseFloat(headers.get('retry-after-ms') ?? '');
  if (!Number.isNaN(milliseconds)) return milliseconds;
  const retryAfter = headers.get('retry-after');
  if (!retryAfter) return undefined;
  const seconds = parseFloat(retryAfter);
  if (!Number.isNaN(seconds)) return seconds * 1000;
  const date = Date.parse(retryAfter);
  return Number.isNaN(date) ? undefined : date - Date.now();
}
