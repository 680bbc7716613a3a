import { parseSize, type ModelEntry } from './modelCatalogue';

/** Tokens one call used, as the gpt-image models report them; the cost is computed from these. */
export interface TokenUsage {
  readonly textInputTokens: number;
  readonly imageInputTokens: number;
  readonly outputTokens: number;
}

/**
 * What a job's images are estimated to cost, from the catalogue's prices: per image (by quality and size)
 * where the provider publishes such prices, else from the tokens the answers reported. An estimate: the
 * provider's invoice is the truth (cached-input discounts, currency, contract prices).
 */

/** Quality "auto" (what the gpt-image models use when none is given) is priced as medium. */
const defaultQuality = 'medium';

export function addUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  return {
    textInputTokens: a.textInputTokens + b.textInputTokens,
    imageInputTokens: a.imageInputTokens + b.imageInputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
  };
}

export const noUsage: TokenUsage = { textInputTokens: 0, imageInputTokens: 0, outputTokens: 0 };

export function estimateCostUsd(
  model: ModelEntry,
  images: { readonly count: number; readonly size: string; readonly quality?: string },
  usage: TokenUsage | undefined,
): number | undefined {
  const { perImage, perMillionTokens } = model.prices;
  const price = perImage?.[images.quality ?? defaultQuality]?.[images.size];
  if (price !== undefined) return roundUsd(price * images.count);
  if (perMillionTokens && usage) {
    return roundUsd(
      (usage.textInputTokens * perMillionTokens.textInput +
        usage.imageInputTokens * perMillionTokens.imageInput +
        usage.outputTokens * perMillionTokens.imageOutput) /
        1_000_000,
    );
  }
  return undefined;
}

/**
 * What a job is estimated to cost before any call is made, for the money budgets (access/quotas.ts): the
 * per-image price where the catalogue has one, else the image output tokens a picture of this size and
 * quality comes to (outputTokensPer1024Square, scaled by area) plus those of its partial images, at the
 * output token price. Text and input-image tokens are left out: the metaprompt and a prompt are a few
 * hundred tokens at $5 a million, under a tenth of a cent. Undefined when the catalogue cannot price it;
 * parseCatalogue makes sure that every model prices its own shapes and qualities.
 */
export function estimateJobCostUsd(
  model: ModelEntry,
  job: { readonly n: number; readonly size: string; readonly quality?: string | undefined },
  partialImagesPerPicture = 0,
): number | undefined {
  // As estimateCostUsd: "auto" is priced as medium; a model without medium (dall-e-3) as its first quality.
  const quality = job.quality ?? (model.qualities.includes(defaultQuality) ? defaultQuality : model.qualities[0]);
  if (quality === undefined) return undefined;
  const price = model.prices.perImage?.[quality]?.[job.size];
  if (price !== undefined) return roundUsd(price * job.n);
  const { perMillionTokens, outputTokensPer1024Square } = model.prices;
  const tokensPerMegapixel = outputTokensPer1024Square?.[quality];
  if (!perMillionTokens || tokensPerMegapixel === undefined) return undefined;
  const { width, height } = parseSize(job.size);
  const partialTokens = partialImagesPerPicture * (model.streaming?.extraOutputTokensPerPartial ?? 0);
  const tokensPerPicture = Math.ceil((tokensPerMegapixel * width * height) / (1024 * 1024)) + partialTokens;
  return roundUsd((job.n * tokensPerPicture * perMillionTokens.imageOutput) / 1_000_000);
}

/** To a millionth of a dollar: counters add whole micro-dollars. */
function roundUsd(value: number): number {
  return Math.round(value * 1_000_000) / 1_000_000;
}
