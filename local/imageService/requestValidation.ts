import sharp from 'sharp';
import { describeSizeRule, formatsFor, sizeProblem, type Cloud, type ModelEntry } from '../../shared/models/modelCatalogue';
import { imageFormatOf } from '../../shared/provider/imageProvider';
import { openAiError, type ErrorAnswer } from './providerErrors';
import type { EditPictures } from './requestBody';

/** The parameters the Images API knows; anything else is refused as the provider does. */
const knownParameters = new Set([
  'prompt', 'model', 'n', 'size', 'quality', 'style', 'response_format', 'output_format', 'output_compression',
  'moderation', 'background', 'user', 'safety_identifier', 'stream', 'partial_images',
]);

/** Checks a request as the model does in this cloud; returns the error answer, or undefined when it is fine. */
export function checkImageRequest(model: ModelEntry, cloud: Cloud, body: Record<string, unknown>): ErrorAnswer | undefined {
  return checkCoreParameters(model, body) ?? checkModelParameters(model, body) ?? checkOutputParameters(model, cloud, body);
}

/** The parameters every image model has: prompt, n, size, quality, style. */
function checkCoreParameters(model: ModelEntry, body: Record<string, unknown>): ErrorAnswer | undefined {
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
  return undefined;
}

/** Parameters only some models take: one this model lacks is unknown to it, as the provider answers. */
function checkModelParameters(model: ModelEntry, body: Record<string, unknown>): ErrorAnswer | undefined {
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
  return undefined;
}

/** The values of the optional parameters: the answer's format, moderation, streaming, the safety identifier. */
function checkOutputParameters(model: ModelEntry, cloud: Cloud, body: Record<string, unknown>): ErrorAnswer | undefined {
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
export async function checkEditInputs(model: ModelEntry, edit: EditPictures): Promise<ErrorAnswer | undefined> {
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
