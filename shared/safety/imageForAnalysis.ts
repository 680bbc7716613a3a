import sharp from 'sharp';

/**
 * The picture the output check sends to Content Safety's `image:analyze`: the stored bytes themselves when
 * the service takes them, else a downscaled copy. Limits, read 2026-12-06 (Microsoft Learn, image quickstart
 * and "Input requirements"; not checked against the live service): JPEG, PNG, GIF, BMP, TIFF or WEBP, at most
 * 4 MB, between 50 x 50 and 7,200 x 7,200 pixels. The SDK 1.0.1's typings (written for 2023-10-01) still say
 * 2,048 x 2,048. We keep to the smaller edge: a picture with an edge over 2,048 px (gpt-image-2 makes up to
 * 3840x2160) is checked as a copy that fits 2,048 px, which shows the same scene, and a wrong guess the other
 * way would fail every large picture closed. The copy is never stored or shown: only the original is.
 */

/** The longest edge sent: the stricter of the two documented limits (see above). */
export const maxAnalysisEdge = 2048;
export const minAnalysisEdge = 50;
/** 4 MB as the service counts it, read as decimal megabytes to stay on the safe side of either reading. */
export const maxAnalysisBytes = 4_000_000;
const acceptedFormats = new Set(['jpeg', 'png', 'gif', 'tiff', 'webp']);

export interface AnalysisImage {
  readonly bytes: Buffer;
  readonly width: number;
  readonly height: number;
  /** True when the bytes are a smaller (or, for a tiny picture, larger) copy, not the stored picture. */
  readonly resized: boolean;
}

/** The scale that brings a picture within the service's edges (1 when it already fits). */
export function analysisScale(width: number, height: number): number {
  const longest = Math.max(width, height);
  const shortest = Math.min(width, height);
  if (longest > maxAnalysisEdge) return maxAnalysisEdge / longest;
  if (shortest < minAnalysisEdge) return minAnalysisEdge / shortest;
  return 1;
}

export async function imageForAnalysis(bytes: Buffer): Promise<AnalysisImage> {
  const { width, height, format } = await sharp(bytes).metadata();
  const scale = analysisScale(width, height);
  if (scale === 1 && bytes.length <= maxAnalysisBytes && acceptedFormats.has(format)) return { bytes, width, height, resized: false };
  const target = { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
  // WebP keeps an alpha channel (a transparent background stays transparent, as JPEG would not) and is small:
  // a 2048x1152 copy of 3840x2160 noise is 1.5 MB at quality 90; lower qualities are a fallback only. Effort 0
  // (the fastest) because the copy lives for one call: it halved the encode of that copy here (≈ 470 → 200 ms).
  for (const quality of [90, 75, 60]) {
    const { data, info } = await sharp(bytes).resize(target.width, target.height, { fit: 'fill' }).webp({ quality, effort: 0 }).toBuffer({ resolveWithObject: true });
    if (data.length <= maxAnalysisBytes) return { bytes: data, width: info.width, height: info.height, resized: true };
  }
  throw new Error(`A ${width}x${height} picture could not be brought under ${maxAnalysisBytes} bytes for the output check.`);
}
