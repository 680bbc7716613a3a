import { z } from 'zod';
import { aspectRatios, orientations, outputFormats } from '../models/modelCatalogue';
import { normalizeText, safeText } from '../text/textHygiene';

/**
 * The job's request as it is stored: the schema of what the parser (jobRequestParser.ts) accepted, and the
 * field schemas that the parser, the sessions and the listings share.
 */

/** A picture a job starts from: one of the tenant's earlier job images, or an upload (POST /api/uploads). */
export const imageRefSchema = z.union([
  z.strictObject({ jobId: z.uuid({ error: 'jobId must be a job id' }), index: z.int({ error: 'index must be a whole number from 0 to 9' }).min(0).max(9) }),
  z.strictObject({ uploadId: z.uuid({ error: 'uploadId must be an upload id from POST /api/uploads' }) }),
], { error: 'an image is { "jobId", "index" } (an earlier job\'s image) or { "uploadId" } (an upload)' });
export type ImageRef = z.infer<typeof imageRefSchema>;

export const jobKinds = ['generate', 'edit', 'variation'] as const;

/**
 * A request as accepted and stored on the job: the parser's output, whatever the model. Stored records
 * are parsed with this schema on read (older records without outputFormat were PNG).
 */
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

/**
 * A webhook target: an absolute http(s) URL without credentials. Whether http and which addresses are
 * allowed needs the configuration: an IP literal is judged at submit (submission/submission.ts), a name when
 * delivering, where it is resolved (addresses/targetGuard.ts).
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
