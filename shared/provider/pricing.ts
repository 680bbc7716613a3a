import type { TokenUsage } from './imageProvider';
import type { ModelEntry } from './modelCatalogue';

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

/** To a millionth of a dollar: counters add whole micro-dollars. */
function roundUsd(value: number): number {
  return Math.round(value * 1_000_000) / 1_000_000;
}
