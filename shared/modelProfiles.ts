/**
 * What each supported image model accepts. The configured model (setting IMAGE_MODEL) picks the profile
 * that validates requests, maps an orientation to a size, and shapes the provider call, so retiring a
 * model is a change of setting. Values from the Azure OpenAI image-generation docs.
 */

export const orientations = ['square', 'landscape', 'portrait'] as const;
export type Orientation = (typeof orientations)[number];

export interface ModelProfile {
  readonly name: string;
  /** The size each orientation maps to; the model accepts exactly these sizes. */
  readonly sizeByOrientation: Readonly<Record<Orientation, string>>;
  /** How many images one provider call may ask for; larger jobs are fanned out over several calls. */
  readonly maxImagesPerCall: number;
  readonly qualities: readonly string[];
  /** Empty when the model has no `style` parameter. */
  readonly styles: readonly string[];
  /** dall-e-3 returns a URL unless asked for base64; the gpt-image family always returns base64. */
  readonly acceptsResponseFormat: boolean;
  /** gpt-image models take `output_format`; we always ask for PNG. */
  readonly acceptsOutputFormat: boolean;
  /** The provider's limit on the whole prompt (metaprompt included), in characters. */
  readonly maxPromptChars: number;
  /** dall-e-3 rewrites prompts and returns `revised_prompt`. */
  readonly revisesPrompt: boolean;
  readonly retired?: string;
}

const gptImageFamily = {
  sizeByOrientation: { square: '1024x1024', landscape: '1536x1024', portrait: '1024x1536' },
  maxImagesPerCall: 10,
  qualities: ['low', 'medium', 'high'],
  styles: [],
  acceptsResponseFormat: false,
  acceptsOutputFormat: true,
  maxPromptChars: 32_000,
  revisesPrompt: false,
} as const;

export const modelProfiles = {
  'dall-e-3': {
    name: 'dall-e-3',
    sizeByOrientation: { square: '1024x1024', landscape: '1792x1024', portrait: '1024x1792' },
    maxImagesPerCall: 1,
    qualities: ['standard', 'hd'],
    styles: ['vivid', 'natural'],
    acceptsResponseFormat: true,
    acceptsOutputFormat: false,
    maxPromptChars: 4_000,
    revisesPrompt: true,
    retired: 'dall-e-3 was retired by Azure OpenAI and OpenAI in 2026; prefer the gpt-image-1 family.',
  },
  'gpt-image-1': { name: 'gpt-image-1', ...gptImageFamily },
  'gpt-image-1-mini': { name: 'gpt-image-1-mini', ...gptImageFamily },
  'gpt-image-1.5': { name: 'gpt-image-1.5', ...gptImageFamily },
} as const satisfies Record<string, ModelProfile>;

export type ModelName = keyof typeof modelProfiles;
export const modelNames = ['dall-e-3', 'gpt-image-1', 'gpt-image-1-mini', 'gpt-image-1.5'] as const satisfies readonly ModelName[];

export function getModelProfile(name: ModelName): ModelProfile {
  return modelProfiles[name];
}

export function isModelName(value: string): value is ModelName {
  return Object.hasOwn(modelProfiles, value);
}

export function supportedSizes(profile: ModelProfile): string[] {
  return Object.values(profile.sizeByOrientation);
}

export function orientationOfSize(profile: ModelProfile, size: string): Orientation | undefined {
  return orientations.find((o) => profile.sizeByOrientation[o] === size);
}

export function parseSize(size: string): { width: number; height: number } {
  const match = /^(\d+)x(\d+)$/.exec(size);
  if (!match) throw new Error(`Not a size: ${size}`);
  return { width: Number(match[1]), height: Number(match[2]) };
}
