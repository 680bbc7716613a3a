import { z } from 'zod';

/**
 * The text hygiene every stored string goes through (the prompt, metadata, listing filters), and the
 * character count the model's limits are in.
 */

/**
 * Hostile text: rejected, not repaired, where it can only be a trick or a broken client: control
 * characters (other than tab and line breaks), bidirectional overrides and isolates (which make text read
 * differently than it is stored), and lone surrogates (not text at all). Invisible format characters
 * (zero-width spaces and joiners, soft hyphens, BOMs) are removed, so they cannot split a blocked word,
 * and the text is NFKC-normalised (full-width and styled letters become plain ones).
 */
const controlCharacters = /(?![\t\n\r])\p{Cc}/u;
const bidiControls = /[\u202A-\u202E\u2066-\u2069]/u;
const loneSurrogates = /\p{Cs}/u;
const invisibleFormatCharacters = /\p{Cf}/gu;

export function normalizeText(value: string): string {
  return value.normalize('NFKC').replace(invisibleFormatCharacters, '');
}

export function safeText(field: string) {
  return z
    .string({ error: `${field} must be a string` })
    .refine((value) => !loneSurrogates.test(value), `${field} is not valid Unicode text (it has a lone surrogate)`)
    .refine((value) => !bidiControls.test(value), `${field} must not contain bidirectional control characters`)
    .refine((value) => !controlCharacters.test(value), `${field} must not contain control characters`);
}

/** Characters as the provider counts them (Unicode code points, not UTF-16 units). */
export function characterCount(text: string): number {
  return [...text].length;
}
