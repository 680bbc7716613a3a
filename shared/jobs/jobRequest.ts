import { z } from 'zod';
import { BadRequestError } from '../errors';
import { characterCount } from '../safety/metaprompt';
import {
  aspectRatios,
  describeSizeRule,
  formatsFor,
  orientationOfRatio,
  orientationOfSize,
  orientations,
  sizeForShape,
  sizeProblem,
  outputFormats,
  type Cloud,
  type ModelEntry,
} from '../provider/modelCatalogue';

/**
 * The body of POST /api/jobs: one schema, checked once at the edge. The schema depends on the configured
 * model's catalogue entry (its size rule, qualities, styles, output formats in this cloud), so it is built
 * once from that entry.
 */

/**
 * A request as accepted and stored on the job: the parser's output, whatever the model. Stored records
 * are parsed with this schema on read (older records without outputFormat were PNG).
 */
/** A picture a job starts from: one of the tenant's earlier job images, or an upload (POST /api/uploads). */
export const imageRefSchema = z.union([
  z.strictObject({ jobId: z.uuid({ error: 'jobId must be a job id' }), index: z.int({ error: 'index must be a whole number from 0 to 9' }).min(0).max(9) }),
  z.strictObject({ uploadId: z.uuid({ error: 'uploadId must be an upload id from POST /api/uploads' }) }),
], { error: 'an image is { "jobId", "index" } (an earlier job\'s image) or { "uploadId" } (an upload)' });
export type ImageRef = z.infer<typeof imageRefSchema>;

export const jobKinds = ['generate', 'edit', 'variation'] as const;

export const jobRequestSchema = z.object({
  /** edit (images + prompt, optional mask) or variation (one image, made again); absent: generate (text to image). */
  kind: z.enum(['edit', 'variation']).optional(),
  prompt: z.string(),
  /** edit and variation: the pictures the job starts from (a variation has exactly one). */
  images: z.array(imageRefSchema).optional(),
  /** edit: a PNG upload, transparent where the picture may change, the size of the first image. */
  mask: z.strictObject({ uploadId: z.uuid() }).optional(),
  n: z.int().min(1),
  orientation: z.enum(orientations),
  /** As asked for; absent when the shape came from orientation or size. */
  aspectRatio: z.enum(aspectRatios).optional(),
  /** The size the job gets (on fixed-size models, the nearest to the shape asked for). */
  size: z.string(),
  quality: z.string().optional(),
  style: z.string().optional(),
  outputFormat: z.enum(outputFormats).default('png'),
  /** 0-100, for jpeg and webp only. */
  outputCompression: z.int().min(0).max(100).optional(),
  user: z.string().optional(),
  metadata: z.record(z.string(), z.string()).optional(),
  /** Where this job's webhooks go, instead of the tenant's default. */
  callbackUrl: z.string().optional(),
});

export type JobRequest = z.infer<typeof jobRequestSchema>;
/** What the parser gives back: a variation may leave its prompt to the picture it starts from. */
export type ParsedJobRequest = Omit<JobRequest, 'prompt'> & { prompt?: string };

export interface JobRequestLimits {
  /** The longest student prompt, in characters; already reduced so that metaprompt + prompt fits the model. */
  readonly promptMaxChars: number;
  readonly maxImagesPerJob: number;
  /** The most input images an edit may name (MAX_EDIT_IMAGES). */
  readonly maxEditImages: number;
}

const metadataLimits = { maxEntries: 8, maxKeyChars: 40, maxValueChars: 128 } as const;
const userIdPattern = /^[A-Za-z0-9._:@-]{1,64}$/;
const emailLike = /^[^@]+@[^@]+\.[A-Za-z]{2,}$/;
/** International (+31…, 0031…) or Dutch national (06…) numbers, with or without separators. */
const phoneLike = /^(?:(?:\+|00)\d{8,15}|0[1-9]\d{8})$/;

/** A student id as the LMS gives it: opaque, never an e-mail address or phone number (children's data). */
export const userIdSchema = z
  .string({ error: 'user must be a string' })
  // Contact details first: they deserve their own message, whatever else is wrong with them.
  .refine((value) => !emailLike.test(value), 'user looks like an e-mail address: send the LMS\'s opaque student id instead, never contact details')
  .refine((value) => !phoneLike.test(value.replace(/[\s.:()-]/g, '')), 'user looks like a phone number: send the LMS\'s opaque student id instead, never contact details')
  .regex(userIdPattern, 'user must be an opaque student id of 1 to 64 letters, digits or . _ : @ -');
/** Keys that name Object.prototype's members. */
const reservedKeys = new Set(['__proto__', 'constructor', 'prototype']);
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

function normalizeText(value: string): string {
  return value.normalize('NFKC').replace(invisibleFormatCharacters, '');
}

function safeText(field: string) {
  return z
    .string({ error: `${field} must be a string` })
    .refine((value) => !loneSurrogates.test(value), `${field} is not valid Unicode text (it has a lone surrogate)`)
    .refine((value) => !bidiControls.test(value), `${field} must not contain bidirectional control characters`)
    .refine((value) => !controlCharacters.test(value), `${field} must not contain control characters`);
}

/**
 * One metadata value as it is stored: safe text, normalised, at most 128 characters. The listings filter
 * with the same schema, so a query value matches what was stored and cannot hold what never is.
 */
export function metadataValueSchema(field: string) {
  return safeText(field)
    .transform(normalizeText)
    .pipe(z.string().max(metadataLimits.maxValueChars, `${field} must be at most ${metadataLimits.maxValueChars} characters`));
}

/**
 * The LMS's bookkeeping on a job (classId, assignmentId, …): a few short strings. Also fixed on a studio
 * session (sessions/), so a student's page cannot change it.
 */
export const jobMetadataSchema = z
  .record(
    z.string().regex(metadataKeyPattern, `metadata keys must be 1 to ${metadataLimits.maxKeyChars} letters, digits or _ . -`),
    z.string({ error: 'metadata values must be strings' }).pipe(metadataValueSchema('metadata values')),
    { error: 'metadata must be an object of string values' },
  )
  .refine((value) => Object.keys(value).length <= metadataLimits.maxEntries, `metadata must have at most ${metadataLimits.maxEntries} entries`);

/** A metadata key that names one of Object.prototype's members (refused: it would be dropped or misread). */
export function reservedMetadataKey(metadata: unknown): string | undefined {
  return typeof metadata === 'object' && metadata !== null ? Object.keys(metadata).find((key) => reservedKeys.has(key)) : undefined;
}

/** Fields that other image APIs or the lesson text use, with a hint instead of a bare "unknown field". */
const unsupportedFieldHints: Record<string, string> = {
  temperature: 'temperature is not supported: the Images API has no temperature parameter (it belongs to text models).',
  model: 'model is not accepted: the service decides the model by configuration.',
  response_format: 'response_format is not accepted: images are always returned as links to image files (see outputFormat).',
  output_format: 'output_format is spelt outputFormat here.',
  moderation: 'moderation is not accepted: a school service always asks the provider for its standard ("auto") moderation.',
};

export interface JobRequestParser {
  parse(body: unknown): ParsedJobRequest;
  readonly allowedFields: readonly string[];
  /** The schema that checks a body (the model's rules in its messages); the OpenAPI document is made from it. */
  readonly schema: z.ZodType;
}

/**
 * A webhook target: an absolute http(s) URL without credentials. Whether http and which addresses are
 * allowed needs the configuration: an IP literal is judged at submit (jobs/submission.ts), a name when
 * delivering, where it is resolved (webhooks/targetGuard.ts).
 */
export const callbackUrlSchema = z
  .string({ error: 'callbackUrl must be a string' })
  .max(2048, 'callbackUrl must be at most 2048 characters')
  .refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), 'callbackUrl must be an absolute https URL')
  .refine((value) => !URL.canParse(value) || (new URL(value).username === '' && new URL(value).password === ''), 'callbackUrl must not contain a user name or password')
  .meta({
    format: 'uri',
    description:
      'Where this job\'s webhooks go (https; instead of the tenant\'s default). A host that is an IP address in a range webhooks may not target (private, loopback, link-local, ' +
      'IANA special-purpose, the metadata service) is refused with 400 InvalidField naming the range; a host name is resolved and checked when delivering.',
  });

export function createJobRequestParser(profile: ModelEntry, cloud: Cloud, limits: JobRequestLimits): JobRequestParser {
  const oneOf = (values: readonly string[]) => values.join(', ');
  const formats = formatsFor(profile, cloud);
  const sizeRule = `size must be ${describeSizeRule(profile)} for model ${profile.name}`;
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
      )
      .optional(),
    n: z
      .int({ error: `n must be a whole number from 1 to ${maxN}` })
      .min(1, `n must be a whole number from 1 to ${maxN}`)
      .max(maxN, `n must be a whole number from 1 to ${maxN}`)
      .default(1),
    orientation: z.enum(orientations, { error: `orientation must be one of ${oneOf(orientations)}` }).optional(),
    aspectRatio: z.enum(aspectRatios, { error: `aspectRatio must be one of ${oneOf(aspectRatios)}` }).optional(),
    size: z
      .string({ error: sizeRule })
      .superRefine((value, context) => {
        const problem = sizeProblem(profile, value);
        if (problem) context.addIssue({ code: 'custom', message: `${sizeRule}; ${value}: ${problem}` });
      })
      .optional()
      .meta({ description: `WIDTHxHEIGHT; ${sizeRule}. Not together with aspectRatio.` }),
    quality: z
      .string({ error: `quality must be one of ${oneOf(profile.qualities)}` })
      .refine(
        (value) => profile.qualities.includes(value),
        `quality must be one of ${oneOf(profile.qualities)} for model ${profile.name}`,
      )
      .optional()
      .meta({ description: `One of ${oneOf(profile.qualities)} for model ${profile.name} (absent: the model's auto).` }),
    style: z
      .string({ error: 'style must be a string' })
      .refine(
        (value) => profile.styles.includes(value),
        profile.styles.length > 0
          ? `style must be one of ${oneOf(profile.styles)}`
          : `style is not supported by model ${profile.name}`,
      )
      .optional(),
    outputFormat: z
      .enum(formats, { error: `outputFormat must be one of ${oneOf(formats)} for model ${profile.name} on ${cloud}` })
      .default('png'),
    outputCompression: z
      .int({ error: 'outputCompression must be a whole number from 0 to 100' })
      .min(0, 'outputCompression must be a whole number from 0 to 100')
      .max(100, 'outputCompression must be a whole number from 0 to 100')
      .optional(),
    kind: z.enum(jobKinds, { error: `kind must be one of ${oneOf(jobKinds)}` }).default('generate'),
    images: z
      .array(imageRefSchema, { error: 'images must be a list of { "jobId", "index" } or { "uploadId" }' })
      .min(1, `images must name 1 to ${limits.maxEditImages} pictures`)
      .max(limits.maxEditImages, `images must name 1 to ${limits.maxEditImages} pictures`)
      .optional(),
    image: imageRefSchema.optional(),
    mask: z.strictObject({ uploadId: z.uuid({ error: 'mask.uploadId must be an upload id from POST /api/uploads' }) }, { error: 'mask is { "uploadId" } of a PNG upload' }).optional(),
    user: userIdSchema.optional().meta({ description: 'The LMS\'s opaque student id; never an e-mail address or phone number. Never sent to the provider.' }),
    metadata: jobMetadataSchema.optional(),
    callbackUrl: callbackUrlSchema.optional(),
  };
  const schema = z.strictObject(fields);
  const allowedFields = Object.keys(fields);

  function toRequestError(body: Record<string, unknown>, issue: z.core.$ZodIssue): BadRequestError {
    if (issue.code === 'unrecognized_keys') {
      const field = issue.keys[0] ?? 'body';
      // Own properties only: a field named constructor or __proto__ must not find Object.prototype's.
      const hint = Object.hasOwn(unsupportedFieldHints, field) ? unsupportedFieldHints[field] : undefined;
      return new BadRequestError('UnknownField', hint ?? `Unknown field '${field}'. Allowed fields: ${allowedFields.join(', ')}.`, { target: field });
    }
    const field = String(issue.path[0] ?? 'body');
    const target = issue.path.map(String).join('.');
    if (body[field] === undefined) {
      return new BadRequestError('MissingField', `${field} is required`, { target: field });
    }
    if (issue.code === 'custom' && issue.params?.['tooLong'] === true) {
      return new BadRequestError('PromptTooLong', issue.message, { target: field });
    }
    return new BadRequestError('InvalidField', issue.message, { target });
  }

  return {
    allowedFields,
    schema,
    parse(body: unknown): ParsedJobRequest {
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw new BadRequestError('InvalidRequest', 'The request body must be a JSON object.', { target: 'body' });
      }
      const record = body as Record<string, unknown>;
      // Names every JavaScript object has would be dropped or misread on the way: refused, not repaired.
      const reserved = reservedMetadataKey(Object.hasOwn(record, 'metadata') ? record['metadata'] : undefined);
      if (reserved !== undefined) {
        throw new BadRequestError('InvalidField', `metadata key ${reserved} is reserved; use another name`, { target: `metadata.${reserved}` });
      }
      const parsed = schema.safeParse(record);
      if (!parsed.success) {
        // Unknown fields first: they usually explain the other errors (a misspelt field is also "missing").
        const issues = [...parsed.error.issues].sort(
          (a, b) => Number(b.code === 'unrecognized_keys') - Number(a.code === 'unrecognized_keys'),
        );
        throw toRequestError(record, issues[0] as z.core.$ZodIssue);
      }
      const { size, orientation, aspectRatio, image, images, mask, kind, ...rest } = parsed.data;
      const inputs = kindInputs(kind, { image, images, mask, prompt: rest.prompt });
      if (kind !== 'generate' && !profile.parameters.edits) {
        throw new BadRequestError('UnsupportedKind', `kind ${kind} needs a model with edits; ${profile.name} has none.`, { target: 'kind' });
      }
      if (size !== undefined && aspectRatio !== undefined) {
        throw new BadRequestError('InvalidField', 'Give size or aspectRatio, not both: a size already has its aspect ratio.', { target: 'aspectRatio' });
      }
      const shapeOrientation =
        size !== undefined ? orientationOfSize(size) : aspectRatio !== undefined ? orientationOfRatio(aspectRatio) : undefined;
      if (orientation && shapeOrientation && orientation !== shapeOrientation) {
        const field = size !== undefined ? 'size' : 'aspectRatio';
        throw new BadRequestError(
          'InvalidField',
          `${field} ${size ?? aspectRatio} is ${shapeOrientation}, which contradicts orientation ${orientation}; give one of them or make them agree`,
          { target: field },
        );
      }
      if (rest.outputCompression !== undefined && (rest.outputFormat === 'png' || !profile.parameters.outputCompression)) {
        throw new BadRequestError('InvalidField', 'outputCompression applies only to outputFormat jpeg or webp.', { target: 'outputCompression' });
      }
      const finalOrientation = orientation ?? shapeOrientation ?? 'square';
      return {
        ...withoutUndefined(rest),
        // Absent means generate, so a text-to-image job reads as it always did.
        ...(kind !== 'generate' ? { kind } : {}),
        ...inputs,
        orientation: finalOrientation,
        ...(aspectRatio ? { aspectRatio } : {}),
        size: size ?? sizeForShape(profile, { orientation: finalOrientation, ...(aspectRatio ? { aspectRatio } : {}) }),
      };
    },
  };
}

/**
 * What each kind takes: generate a prompt and no pictures; edit a prompt, 1 to N pictures and an optional
 * mask; variation one picture (`image`) and, if it likes, a prompt (else its source's). Stored as `images`.
 */
function kindInputs(
  kind: (typeof jobKinds)[number],
  fields: { image?: ImageRef | undefined; images?: ImageRef[] | undefined; mask?: { uploadId: string } | undefined; prompt?: string | undefined },
): Pick<JobRequest, 'images' | 'mask'> {
  const refuse = (field: string, message: string) => new BadRequestError(fields[field as keyof typeof fields] === undefined ? 'MissingField' : 'InvalidField', message, { target: field });
  if (kind !== 'variation' && fields.prompt === undefined) throw refuse('prompt', 'prompt is required');
  if (kind === 'generate') {
    for (const field of ['images', 'image', 'mask'] as const) {
      if (fields[field] !== undefined) throw refuse(field, `${field} belongs to kind edit or variation; this job is kind generate`);
    }
    return {};
  }
  if (kind === 'edit') {
    if (fields.image !== undefined) throw refuse('image', 'an edit names its pictures in images (a list); image is for kind variation');
    if (!fields.images) throw refuse('images', 'an edit needs images: 1 or more of { "jobId", "index" } or { "uploadId" }');
    return { images: fields.images, ...(fields.mask ? { mask: fields.mask } : {}) };
  }
  if (fields.images !== undefined) throw refuse('images', 'a variation starts from one picture: give it as image');
  if (fields.mask !== undefined) throw refuse('mask', 'a variation has no mask; use kind edit to change part of a picture');
  if (!fields.image) throw refuse('image', 'a variation needs image: { "jobId", "index" } or { "uploadId" }');
  return { images: [fields.image] };
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
