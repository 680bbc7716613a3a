import { parseSize } from '../../shared/models/modelCatalogue';

/** Output tokens per 1024x1024 image by quality (the gpt-image models' published token counts), scaled by area. */
const outputTokensPerMegapixel: Readonly<Record<string, number>> = { low: 272, medium: 1056, high: 4160 };

/** OpenAI's image generation guide ("Partial images cost", read 2026-11-25): each partial image adds 100 image output tokens. */
const outputTokensPerPartialImage = 100;

/** The `usage` the gpt-image models report for a call, in their token counts. */
export function usageFor(prompt: string, n: number, size: string, quality: unknown, partialImages = 0) {
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
