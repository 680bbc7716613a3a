import { z } from 'zod';
import { readResource } from '../resources';

/**
 * The image models the service knows, read from `resources/model-catalogue.json` and checked against the
 * schema below at load. The configured model (IMAGE_MODEL) picks the entry that validates requests, maps a
 * shape to a size, shapes the provider call and prices it; the lifecycle per cloud drives the start-up and
 * health guard. Adding a model is a data change plus a test row: no code branches on model names.
 */

export const clouds = ['azure-openai', 'openai'] as const;
export type Cloud = (typeof clouds)[number];

export const orientations = ['square', 'landscape', 'portrait'] as const;
export type Orientation = (typeof orientations)[number];

/** The shapes people ask for; the portrait forms are the landscape ones turned. */
export const aspectRatios = ['1:1', '4:3', '3:2', '16:9', '3:4', '2:3', '9:16'] as const;
export type AspectRatio = (typeof aspectRatios)[number];

export const outputFormats = ['png', 'jpeg', 'webp'] as const;
export type OutputFormat = (typeof outputFormats)[number];

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD');
const sizeText = z.string().regex(/^\d+x\d+$/, 'a size as WIDTHxHEIGHT');
const ratioText = z.string().regex(/^\d+:\d+$/, 'a ratio as W:H');

const lifecycleSchema = z.strictObject({
  status: z.enum(['ga', 'current', 'limited-access', 'no-new-customers', 'deprecated', 'retired']),
  /** The day the model stops answering in this cloud (for Azure "no earlier than" dates, that date). */
  retires: isoDate.nullable(),
  source: z.string().min(10),
});

const sizeRuleSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('list'), sizes: z.array(sizeText).min(1) }),
  z.strictObject({
    kind: z.literal('rule'),
    multipleOf: z.int().positive(),
    minAspectRatio: ratioText,
    maxAspectRatio: ratioText,
    minPixels: z.int().positive(),
    maxPixels: z.int().positive(),
    maxEdge: z.int().positive(),
    /** Sizes above this many pixels work but are marked experimental by the provider. */
    experimentalAbovePixels: z.int().positive().optional(),
  }),
]);

/**
 * How the call is shaped for one cloud's published contract (its API spec, checked by test/contracts/; the
 * answers and their evidence are in docs/contracts.md): optional parameters the model takes elsewhere but this
 * cloud does not document are not sent; the pseudonymous end-user id goes in the field the cloud documents;
 * whatever is sent although the cloud's spec lacks it names the evidence that the cloud takes it.
 */
const cloudRequestSchema = z.strictObject({
  omitted: z.array(z.enum(['moderation'])),
  /** null when the model takes no end-user id. */
  endUserField: z.enum(['user', 'safety_identifier']).nullable(),
  beyondSpec: z.array(
    z.strictObject({ parameter: z.string().min(1), operations: z.array(z.enum(['generations', 'edits'])).min(1), evidence: z.string().min(10) }),
  ),
  source: z.string().min(10),
});

const tokenPrices = z.strictObject({ textInput: z.number().nonnegative(), imageInput: z.number().nonnegative(), imageOutput: z.number().nonnegative() });

const modelEntrySchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/),
  /** What to move to when this model retires; null for the current default. */
  replacement: z.string().nullable(),
  /** The model version an Azure deployment names (infra/ deploys it). */
  azureModelVersion: z.string(),
  lifecycle: z.strictObject({ 'azure-openai': lifecycleSchema, openai: lifecycleSchema }),
  sizes: sizeRuleSchema,
  shapes: z.strictObject(Object.fromEntries(aspectRatios.map((ratio) => [ratio, sizeText])) as Record<AspectRatio, typeof sizeText>),
  orientations: z.strictObject({ square: z.enum(aspectRatios), landscape: z.enum(aspectRatios), portrait: z.enum(aspectRatios) }),
  maxImagesPerCall: z.int().min(1).max(10),
  qualities: z.array(z.string()).min(1),
  /** Empty when the model has no `style` parameter. */
  styles: z.array(z.string()),
  outputFormats: z.strictObject({ 'azure-openai': z.array(z.enum(outputFormats)).min(1), openai: z.array(z.enum(outputFormats)).min(1) }),
  /** The optional request parameters the model takes; the provider call sends only these. */
  parameters: z.strictObject({
    responseFormat: z.boolean(),
    outputFormat: z.boolean(),
    outputCompression: z.boolean(),
    background: z.boolean(),
    moderation: z.boolean(),
    partialImages: z.boolean(),
    edits: z.boolean(),
    safetyIdentifier: z.boolean(),
  }),
  requestContract: z.strictObject({ 'azure-openai': cloudRequestSchema, openai: cloudRequestSchema }),
  /**
   * Live previews: the model streams partial images (`stream: true`, `partial_images`) in these clouds, for
   * generations and edits; null when it cannot. Each partial costs the provider's extra output tokens.
   */
  streaming: z
    .strictObject({
      maxPartialImages: z.int().min(1).max(3),
      clouds: z.array(z.enum(clouds)),
      extraOutputTokensPerPartial: z.int().nonnegative(),
      source: z.string().min(10),
      checked: isoDate,
    })
    .nullable(),
  revisesPrompt: z.boolean(),
  /** The provider's limit on the whole prompt (metaprompt included), in characters. */
  maxPromptChars: z.int().positive(),
  prices: z.strictObject({
    currency: z.literal('USD'),
    /** Per image, by quality and size, where the provider publishes it. */
    perImage: z.record(z.string(), z.record(sizeText, z.number().nonnegative())).optional(),
    /** Per million tokens, where the provider prices by the `usage` it returns. */
    perMillionTokens: tokenPrices.optional(),
    /**
     * With perMillionTokens: the image output tokens of one 1024x1024 picture by quality (the gpt-image
     * models' published counts), scaled by area. The usage comes only after the call, and a budget must be
     * checked before it (models/pricing.ts estimateJobCostUsd).
     */
    outputTokensPer1024Square: z.record(z.string(), z.int().positive()).optional(),
    source: z.string().min(10),
  }),
});

export const catalogueSchema = z.strictObject({
  $comment: z.string().optional(),
  checked: isoDate,
  models: z.array(modelEntrySchema).min(1),
});

export type ModelEntry = z.infer<typeof modelEntrySchema>;
export type SizeRule = ModelEntry['sizes'];
export type Lifecycle = z.infer<typeof lifecycleSchema>;
export type CloudRequestContract = z.infer<typeof cloudRequestSchema>;

/** Parses a catalogue and checks what the schema cannot: unique names, shapes valid under the size rule. */
export function parseCatalogue(value: unknown): ModelEntry[] {
  const { models } = catalogueSchema.parse(value);
  const names = new Set<string>();
  for (const model of models) {
    if (names.has(model.name)) throw new Error(`model catalogue: ${model.name} appears twice`);
    names.add(model.name);
    for (const [ratio, size] of Object.entries(model.shapes)) {
      const problem = sizeProblem(model, size);
      if (problem) throw new Error(`model catalogue: ${model.name} shape ${ratio} is ${size}, which breaks its rule: ${problem}`);
    }
    // Money budgets need a price before the call (models/pricing.ts estimateJobCostUsd) for whatever a job may ask.
    for (const quality of model.qualities) {
      const perImage = model.prices.perImage?.[quality];
      const listed = model.sizes.kind === 'list' && perImage !== undefined && model.sizes.sizes.every((size) => perImage[size] !== undefined);
      const byTokens = model.prices.perMillionTokens !== undefined && model.prices.outputTokensPer1024Square?.[quality] !== undefined;
      if (!listed && !byTokens) throw new Error(`model catalogue: ${model.name} cannot be priced before a call at quality ${quality} (perImage for every size, or perMillionTokens with outputTokensPer1024Square)`);
    }
    if (model.streaming && !model.parameters.partialImages) {
      throw new Error(`model catalogue: ${model.name} streams partial images but has no partialImages parameter`);
    }
  }
  for (const model of models) {
    if (model.replacement !== null && !names.has(model.replacement)) {
      throw new Error(`model catalogue: ${model.name}'s replacement ${model.replacement} is not in the catalogue`);
    }
  }
  return models;
}

export const modelCatalogue: readonly ModelEntry[] = parseCatalogue(JSON.parse(readResource('model-catalogue.json')));
export const modelNames: readonly string[] = modelCatalogue.map((model) => model.name);
/** The model new settings, infra and the README default to. */
export const defaultModelName = 'gpt-image-2';

export function findModel(name: string): ModelEntry | undefined {
  return modelCatalogue.find((model) => model.name === name);
}

export function getModel(name: string): ModelEntry {
  const model = findModel(name);
  if (!model) throw new Error(`Unknown image model ${name}; the catalogue has ${modelNames.join(', ')}`);
  return model;
}

export function parseSize(size: string): { width: number; height: number } {
  const match = /^(\d{1,5})x(\d{1,5})$/.exec(size);
  if (!match) throw new Error(`Not a size: ${size}`);
  return { width: Number(match[1]), height: Number(match[2]) };
}

function ratioValue(ratio: string): number {
  const [w, h] = ratio.split(':').map(Number);
  return (w ?? 1) / (h ?? 1);
}

/** The size rule in words, for error messages. */
export function describeSizeRule(model: ModelEntry): string {
  const rule = model.sizes;
  if (rule.kind === 'list') return `one of ${rule.sizes.join(', ')}`;
  const maxEdgeSize = `${rule.maxEdge}x${Math.round(rule.maxPixels / rule.maxEdge)}`;
  return (
    `WIDTHxHEIGHT with both sides multiples of ${rule.multipleOf}, an aspect ratio between ${rule.minAspectRatio} and ` +
    `${rule.maxAspectRatio}, from ${rule.minPixels.toLocaleString('en-US')} to ${rule.maxPixels.toLocaleString('en-US')} pixels ` +
    `and at most ${maxEdgeSize}`
  );
}

/** Why a size breaks the model's rule, or undefined when it is fine. */
export function sizeProblem(model: ModelEntry, size: string): string | undefined {
  const rule = model.sizes;
  if (rule.kind === 'list') return rule.sizes.includes(size) ? undefined : `not one of ${rule.sizes.join(', ')}`;
  const match = /^(\d{1,5})x(\d{1,5})$/.exec(size);
  if (!match) return 'not a size like 1536x864';
  const width = Number(match[1]);
  const height = Number(match[2]);
  if (width % rule.multipleOf !== 0 || height % rule.multipleOf !== 0) return `width and height must be multiples of ${rule.multipleOf}`;
  const aspect = width / height;
  if (aspect < ratioValue(rule.minAspectRatio) - 1e-9 || aspect > ratioValue(rule.maxAspectRatio) + 1e-9) {
    return `the aspect ratio must be between ${rule.minAspectRatio} and ${rule.maxAspectRatio}`;
  }
  const pixels = width * height;
  if (pixels < rule.minPixels) return `at least ${rule.minPixels.toLocaleString('en-US')} pixels are needed (this is ${pixels.toLocaleString('en-US')})`;
  if (pixels > rule.maxPixels) return `at most ${rule.maxPixels.toLocaleString('en-US')} pixels are allowed (this is ${pixels.toLocaleString('en-US')})`;
  if (Math.max(width, height) > rule.maxEdge) return `no side may be longer than ${rule.maxEdge}`;
  return undefined;
}

/** The orientation a size has. */
export function orientationOfSize(size: string): Orientation {
  const { width, height } = parseSize(size);
  return width === height ? 'square' : width > height ? 'landscape' : 'portrait';
}

export function orientationOfRatio(ratio: AspectRatio): Orientation {
  const value = ratioValue(ratio);
  return value === 1 ? 'square' : value > 1 ? 'landscape' : 'portrait';
}

/** The size a shape gets on this model: the catalogue's size for that aspect ratio. */
export function sizeForShape(model: ModelEntry, shape: { orientation?: Orientation; aspectRatio?: AspectRatio }): string {
  const ratio = shape.aspectRatio ?? model.orientations[shape.orientation ?? 'square'];
  return model.shapes[ratio];
}

/** For fixed-size models: the supported size whose aspect ratio is nearest (a test checks the catalogue's shapes). */
export function nearestListedSize(sizes: readonly string[], ratio: AspectRatio): string {
  const target = Math.log(ratioValue(ratio));
  let best = sizes[0] ?? '';
  for (const size of sizes) {
    const { width, height } = parseSize(size);
    const { width: bw, height: bh } = parseSize(best);
    if (Math.abs(Math.log(width / height) - target) < Math.abs(Math.log(bw / bh) - target)) best = size;
  }
  return best;
}

/** How many partial images a call may ask this model for in this cloud: 0 when it cannot stream there. */
export function maxPartialImages(model: ModelEntry, cloud: Cloud): number {
  return model.streaming?.clouds.includes(cloud) ? model.streaming.maxPartialImages : 0;
}

export function formatsFor(model: ModelEntry, cloud: Cloud): readonly OutputFormat[] {
  return model.parameters.outputFormat ? model.outputFormats[cloud] : ['png'];
}

export const contentTypes: Readonly<Record<OutputFormat, string>> = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp' };
export const fileExtensions: Readonly<Record<OutputFormat, string>> = { png: 'png', jpeg: 'jpg', webp: 'webp' };
