import { z } from 'zod';
import { BadRequestError } from '../errors';
import {
  aspectRatios,
  describeSizeRule,
  formatsFor,
  orientationOfRatio,
  orientationOfSize,
  orientations,
  sizeForShape,
  sizeProblem,
  type Cloud,
  type ModelEntry,
} from '../models/modelCatalogue';
import { characterCount, normalizeText, safeText } from '../text/textHygiene';
import { callbackUrlSchema, imageRefSchema, jobKinds, jobMetadataSchema, reservedMetadataKey, userIdSchema, type ImageRef, type JobRequest, type ParsedJobRequest } from './jobRequest';

/**
 * The body of POST /api/jobs: one schema, checked once at the edge. The schema depends on the configured
 * model's catalogue entry (its size rule, qualities, styles, output formats in this cloud), so it is built
 * once from that entry. What it gives back is stored as the job's request (jobRequest.ts).
 */

export interface JobRequestLimits {
  /** The longest student prompt, in characters; already reduced so that metaprompt + prompt fits the model. */
  readonly promptMaxChars: number;
  readonly maxImagesPerJob: number;
  /** The most input images an edit may name (MAX_EDIT_IMAGES). */
  readonly maxEditImages: number;
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
