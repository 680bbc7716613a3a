import { getBearerTokenProvider, type TokenCredential } from '@azure/identity';
import OpenAI, { APIConnectionTimeoutError, AzureOpenAI, BadRequestError, toFile } from 'openai';
import type { ImageEditParamsNonStreaming, ImageGenerateParamsNonStreaming } from 'openai/resources/images';
import { contentTypes, fileExtensions } from '../models/modelCatalogue';
import { readImageStream, type ImageStreamEvent, type PartialImage } from './imageStream';
import type { ImageProviderConfig } from '../config/config';
import { createCredential } from '../storage/clients';
import type { Cloud, ModelEntry, OutputFormat } from '../models/modelCatalogue';
import type { TokenUsage } from '../models/pricing';

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
  readonly outputFormat: OutputFormat;
  readonly outputCompression?: number;
  /**
   * A keyed hash of tenant and student (never the raw id): the provider's abuse monitoring sees one user. Sent
   * as `safety_identifier` to OpenAI and as `user` to Azure (the catalogue's requestContract says which).
   */
  readonly safetyIdentifier?: string;
  /** Live previews: stream, asking for this many partial images (1-3); 0 or absent: one plain answer. */
  readonly partialImages?: number;
  /** Each partial image as it arrives (when streaming); awaited before the stream is read further. */
  readonly onPartialImage?: (partial: PartialImage) => Promise<void>;
}

export interface GeneratedImage {
  readonly bytes: Buffer;
  readonly revisedPrompt?: string;
}

export interface GenerationResult {
  readonly images: readonly GeneratedImage[];
  readonly usage?: TokenUsage;
}

/** An edit: the same parameters, plus the pictures to start from and an optional mask. */
export interface ImageEditRequest extends ImageGenerationRequest {
  readonly images: readonly { readonly bytes: Buffer; readonly format: OutputFormat }[];
  /** A PNG the size of the first image, transparent where the picture may change. */
  readonly mask?: Buffer;
}

export interface ImageProvider {
  generate(request: ImageGenerationRequest): Promise<GenerationResult>;
  edit(request: ImageEditRequest): Promise<GenerationResult>;
  /** Throws when the provider's credentials cannot be obtained (used by the health check). */
  checkCredentials(): Promise<void>;
}

export interface ImageProviderOptions {
  readonly timeoutInSeconds: number;
  readonly maxRetries: number;
}

const cognitiveServicesScope = 'https://cognitiveservices.azure.com/.default';

const pngSignature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The format the bytes are in, by their signature (never trusting what the answer says). */
export function imageFormatOf(bytes: Buffer): OutputFormat | undefined {
  if (bytes.length > 8 && bytes.subarray(0, 8).equals(pngSignature)) return 'png';
  if (bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length > 12 && bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WEBP') return 'webp';
  return undefined;
}

export function createImageProvider(
  config: ImageProviderConfig,
  profile: ModelEntry,
  options: ImageProviderOptions,
): ImageProvider {
  const clientOptions = {
    timeout: options.timeoutInSeconds * 1000,
    maxRetries: options.maxRetries,
  };
  const cloud: Cloud = config.kind === 'azure-openai' ? 'azure-openai' : 'openai';
  // What this cloud's published contract takes (docs/contracts.md): Azure documents `user`, not
  // `safety_identifier` or `moderation` (its content filter is the deployment's RAI policy).
  const contract = profile.requestContract[cloud];
  const sendsModeration = profile.parameters.moderation && !contract.omitted.includes('moderation');
  /** The keyed hash of tenant and student (never the raw id), in the field this cloud documents. */
  const endUser = (request: ImageGenerationRequest): { user: string } | { safety_identifier: string } | Record<string, never> => {
    if (!profile.parameters.safetyIdentifier || !request.safetyIdentifier || contract.endUserField === null) return {};
    return contract.endUserField === 'user' ? { user: request.safetyIdentifier } : { safety_identifier: request.safetyIdentifier };
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

  /** Set when the endpoint refused `stream`/`partial_images` (an API version without streaming): plain calls from then on. */
  let streamingRefused = false;

  /**
   * One call, streamed when previews are asked for: partials go to the request's callback, the completed
   * picture and usage become the same result a plain call gives. A stream has no overall timeout of its
   * own in the client (its `timeout` ends at the response headers), so the call's timeout bounds it here.
   */
  async function streamed(
    request: ImageGenerationRequest,
    plain: () => Promise<Answer>,
    stream: (partialImages: number, signal: AbortSignal) => Promise<AsyncIterable<ImageStreamEvent>>,
  ): Promise<GenerationResult> {
    const partialImages = request.partialImages ?? 0;
    if (partialImages <= 0 || streamingRefused) return resultOf(await plain(), request);
    const signal = AbortSignal.timeout(options.timeoutInSeconds * 1000);
    let events: AsyncIterable<ImageStreamEvent>;
    try {
      events = await stream(partialImages, signal);
    } catch (error) {
      if (!(error instanceof BadRequestError) || (error.param !== 'stream' && error.param !== 'partial_images')) throw error;
      // Nothing was made (a 400 is not billed): this endpoint does not stream, so ask again without.
      streamingRefused = true;
      return resultOf(await plain(), request);
    }
    const answer = await readImageStream(events, {
      outputFormat: request.outputFormat,
      formatOf: imageFormatOf,
      ...(request.onPartialImage ? { onPartial: request.onPartialImage } : {}),
    });
    // The client ends an aborted stream quietly; say it was the timeout rather than "no image".
    if (signal.aborted && answer.data.length < request.n) throw new APIConnectionTimeoutError();
    return resultOf(answer, request);
  }

  return {
    async generate(request) {
      const { parameters } = profile;
      const params: ImageGenerateParamsNonStreaming = {
        model: modelParameter,
        prompt: request.prompt,
        n: request.n,
        size: request.size,
        ...(request.quality ? { quality: request.quality as ImageGenerateParamsNonStreaming['quality'] } : {}),
        ...(request.style ? { style: request.style as ImageGenerateParamsNonStreaming['style'] } : {}),
        // Always base64: we store the bytes ourselves and never fetch a provider URL.
        ...(parameters.responseFormat ? { response_format: 'b64_json' as const } : {}),
        ...(parameters.outputFormat ? { output_format: request.outputFormat } : {}),
        ...(parameters.outputCompression && request.outputCompression !== undefined ? { output_compression: request.outputCompression } : {}),
        // A school service: the provider's standard moderation, never "low".
        ...(sendsModeration ? { moderation: 'auto' as const } : {}),
        ...endUser(request),
      };
      return streamed(request, () => client.images.generate(params), (partialImages, signal) =>
        client.images.generate({ ...params, stream: true, partial_images: partialImages }, { signal }),
      );
    },
    async edit(request) {
      const { parameters } = profile;
      const params: ImageEditParamsNonStreaming = {
        model: modelParameter,
        prompt: request.prompt,
        image: await Promise.all(
          request.images.map((image, i) => toFile(image.bytes, `image-${i}.${fileExtensions[image.format]}`, { type: contentTypes[image.format] })),
        ),
        ...(request.mask ? { mask: await toFile(request.mask, 'mask.png', { type: 'image/png' }) } : {}),
        n: request.n,
        size: request.size,
        ...(request.quality ? { quality: request.quality as ImageEditParamsNonStreaming['quality'] } : {}),
        ...(parameters.outputFormat ? { output_format: request.outputFormat } : {}),
        ...(parameters.outputCompression && request.outputCompression !== undefined ? { output_compression: request.outputCompression } : {}),
        // The edits endpoint has no moderation parameter: the provider's default (auto) applies.
        ...endUser(request),
      };
      return streamed(request, () => client.images.edit(params), (partialImages, signal) =>
        client.images.edit({ ...params, stream: true, partial_images: partialImages }, { signal }),
      );
    },
    async checkCredentials() {
      if (credential) {
        const token = await credential.getToken(cognitiveServicesScope);
        if (!token) throw new Error('no token for the Azure OpenAI scope');
      }
    },
  };
}

/** What resultOf reads from an answer, plain (ImagesResponse) or streamed (imageStream.ts). */
interface Answer {
  readonly data?: readonly { readonly b64_json?: string; readonly revised_prompt?: string }[];
  readonly usage?: {
    readonly input_tokens: number;
    readonly input_tokens_details?: { readonly text_tokens?: number; readonly image_tokens?: number };
    readonly output_tokens: number;
  };
}

/** The images of an answer, checked: base64 of the format asked for, as many as asked for; and the usage. */
function resultOf(response: Answer, request: ImageGenerationRequest): GenerationResult {
  const images = (response.data ?? []).map((item) => {
    if (!item.b64_json) throw new InvalidProviderResponseError('an image came without b64_json data');
    const bytes = Buffer.from(item.b64_json, 'base64');
    const format = imageFormatOf(bytes);
    if (format !== request.outputFormat) {
      throw new InvalidProviderResponseError(`an image is ${format ?? 'not an image'}, not the ${request.outputFormat} asked for`);
    }
    return { bytes, ...(item.revised_prompt ? { revisedPrompt: item.revised_prompt } : {}) };
  });
  if (images.length !== request.n) {
    throw new InvalidProviderResponseError(`asked for ${request.n} images, got ${images.length}`);
  }
  const usage = response.usage;
  return {
    images,
    ...(usage
      ? {
          usage: {
            textInputTokens: usage.input_tokens_details?.text_tokens ?? usage.input_tokens,
            imageInputTokens: usage.input_tokens_details?.image_tokens ?? 0,
            outputTokens: usage.output_tokens,
          },
        }
      : {}),
  };
}

export class InvalidProviderResponseError extends Error {
  constructor(detail: string) {
    super(`The image provider's answer was not usable: ${detail}`);
    this.name = 'InvalidProviderResponseError';
  }
}
