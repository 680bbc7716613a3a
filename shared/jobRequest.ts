import { z } from 'zod';
import { RequestError } from './errors';
import { characterCount } from './metaprompt';
import {
  orientationOfSize,
  orientations,
  supportedSizes,
  type ModelProfile,
  type Orientation,
} from './modelProfiles';

/**
 * The body of POST /api/jobs: one schema, checked once at the edge. The schema depends on the configured
 * model's profile (its sizes, qualities and styles), so it is built once from that profile.
 */

export interface JobRequest {
  readonly prompt: string;
  readonly n: number;
  readonly orientation: Orientation;
  readonly size: string;
  readonly quality?: string;
  readonly style?: string;
  readonly user?: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

export interface JobRequestLimits {
  /** The longest student prompt, in characters; already reduced so that metaprompt + prompt fits the model. */
  readonly promptMaxChars: number;
  readonly maxImagesPerJob: number;
}

export const metadataLimits = { maxEntries: 8, maxKeyChars: 40, maxValueChars: 128 } as const;
export const userIdPattern = /^[A-Za-z0-9._:@-]{1,64}$/;
const metadataKeyPattern = new RegExp(`^[A-Za-z0-9_.-]{1,${metadataLimits.maxKeyChars}}$`);
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

function safeText(field: string) {
  return z
    .string({ error: `${field} must be a string` })
    .refine((value) => !loneSurrogates.test(value), `${field} is not valid Unicode text (it has a lone surrogate)`)
    .refine((value) => !bidiControls.test(value), `${field} must not contain bidirectional control characters`)
    .refine((value) => !controlCharacters.test(value), `${field} must not contain control characters`);
}

/** Fields that other image APIs or the lesson text use, with a hint instead of a bare "unknown field". */
const unsupportedFieldHints: Record<string, string> = {
  temperature: 'temperature is not supported: the Images API has no temperature parameter (it belongs to text models).',
  model: 'model is not accepted: the service decides the model by configuration.',
  response_format: 'response_format is not accepted: images are always returned as links to PNG files.',
};

export interface JobRequestParser {
  parse(body: unknown): JobRequest;
  readonly allowedFields: readonly string[];
}

export function createJobRequestParser(profile: ModelProfile, limits: JobRequestLimits): JobRequestParser {
  const sizes = supportedSizes(profile);
  const oneOf = (values: readonly string[]) => values.join(', ');
  const maxN = limits.maxImagesPerJob;

  const fields = {
    prompt: z
      .string({ error: 'prompt must be a string describing the picture' })
      .pipe(safeText('prompt'))
      .transform((value) => normalizeText(value).trim())
      .pipe(
        z
          .string()
          .min(1, 'prompt must not be empty')
          .refine((value) => characterCount(value) <= limits.promptMaxChars, {
            message: `prompt is too long: at most ${limits.promptMaxChars} characters are allowed`,
            params: { tooLong: true },
          }),
      ),
    n: z
      .int({ error: `n must be a whole number from 1 to ${maxN}` })
      .min(1, `n must be a whole number from 1 to ${maxN}`)
      .max(maxN, `n must be a whole number from 1 to ${maxN}`)
      .default(1),
    orientation: z.enum(orientations, { error: `orientation must be one of ${oneOf(orientations)}` }).optional(),
    size: z
      .string({ error: `size must be one of ${oneOf(sizes)}` })
      .refine((value) => sizes.includes(value), `size must be one of ${oneOf(sizes)} for model ${profile.name}`)
      .optional(),
    quality: z
      .string({ error: `quality must be one of ${oneOf(profile.qualities)}` })
      .refine(
        (value) => profile.qualities.includes(value),
        `quality must be one of ${oneOf(profile.qualities)} for model ${profile.name}`,
      )
      .optional(),
    style: z
      .string({ error: 'style must be a string' })
      .refine(
        (value) => profile.styles.includes(value),
        profile.styles.length > 0
          ? `style must be one of ${oneOf(profile.styles)}`
          : `style is not supported by model ${profile.name}`,
      )
      .optional(),
    user: z
      .string({ error: 'user must be a string' })
      .regex(userIdPattern, 'user must be an opaque student id of 1 to 64 letters, digits or . _ : @ -')
      .optional(),
    metadata: z
      .record(
        z.string().regex(
          metadataKeyPattern,
          `metadata keys must be 1 to ${metadataLimits.maxKeyChars} letters, digits or _ . -`,
        ),
        z
          .string({ error: 'metadata values must be strings' })
          .pipe(safeText('metadata values'))
          .transform(normalizeText)
          .pipe(z.string().max(metadataLimits.maxValueChars, `metadata values must be at most ${metadataLimits.maxValueChars} characters`)),
        { error: 'metadata must be an object of string values' },
      )
      .refine(
        (value) => Object.keys(value).length <= metadataLimits.maxEntries,
        `metadata must have at most ${metadataLimits.maxEntries} entries`,
      )
      .optional(),
  };
  const schema = z.strictObject(fields);
  const allowedFields = Object.keys(fields);

  function toRequestError(body: Record<string, unknown>, issue: z.core.$ZodIssue): RequestError {
    if (issue.code === 'unrecognized_keys') {
      const field = issue.keys[0] ?? 'body';
      const hint = unsupportedFieldHints[field];
      return new RequestError(
        400,
        'UnknownField',
        hint ?? `Unknown field '${field}'. Allowed fields: ${allowedFields.join(', ')}.`,
        field,
      );
    }
    const field = String(issue.path[0] ?? 'body');
    const target = issue.path.map(String).join('.');
    if (body[field] === undefined) {
      return new RequestError(400, 'MissingField', `${field} is required`, field);
    }
    if (issue.code === 'custom' && issue.params?.['tooLong'] === true) {
      return new RequestError(400, 'PromptTooLong', issue.message, field);
    }
    return new RequestError(400, 'InvalidField', issue.message, target);
  }

  return {
    allowedFields,
    parse(body: unknown): JobRequest {
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw new RequestError(400, 'InvalidRequest', 'The request body must be a JSON object.', 'body');
      }
      const record = body as Record<string, unknown>;
      const parsed = schema.safeParse(record);
      if (!parsed.success) {
        // Unknown fields first: they usually explain the other errors (a misspelt field is also "missing").
        const issues = [...parsed.error.issues].sort(
          (a, b) => Number(b.code === 'unrecognized_keys') - Number(a.code === 'unrecognized_keys'),
        );
        throw toRequestError(record, issues[0] as z.core.$ZodIssue);
      }
      const { size, orientation, ...rest } = parsed.data;
      const sizeOrientation = size === undefined ? undefined : orientationOfSize(profile, size);
      if (orientation && sizeOrientation && orientation !== sizeOrientation) {
        throw new RequestError(
          400,
          'InvalidField',
          `size ${size} is ${sizeOrientation}, which contradicts orientation ${orientation}; give one of them or make them agree`,
          'size',
        );
      }
      const finalOrientation = orientation ?? sizeOrientation ?? 'square';
      return {
        ...withoutUndefined(rest),
        orientation: finalOrientation,
        size: profile.sizeByOrientation[finalOrientation],
      };
    },
  };
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
