import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import type { Tenant } from '../config/tenants';
import type { AppConfig } from '../config/config';
import { BadRequestError, ForbiddenError, UnauthorizedError } from '../errors';
import type { JobRecord } from '../jobs/job';
import { continuationTokenQuery, failedOnToken, topQuery } from '../listing/listingQuery';
import { jobMetadataSchema, reservedMetadataKey, userIdSchema } from '../jobs/jobRequest';
import { orientations } from '../models/modelCatalogue';
import { looksLikeSessionToken, sessionLocales, type Session } from './sessionTokens';
import type { JobIndex } from '../storage/jobIndex';
import type { JobStore } from '../storage/jobStore';
import type { SessionTokens } from './sessionTokens';
import type { PresenceStore } from '../storage/presenceStore';

/**
 * Studio sessions: the LMS (with its API key) opens a session for one student, and the studio page works
 * with the session's token alone, so no school key ever reaches a browser. A token may submit jobs for
 * its student (their quota; user and metadata fixed by the session), read the jobs made in this session
 * and list them; every other route wants the API key. Tokens are stateless (sessionTokens.ts): nothing
 * about the student is stored beyond the jobs themselves, which carry the session id and go with RETENTION_DAYS,
 * and a presence mark (pseudonym and time, removed after the fairness window) for the estimates' forecast.
 */

export const sessionLifetime = { minMinutes: 5, maxMinutes: 480, defaultMinutes: 120 } as const;

export const createSessionRequestSchema = z
  .strictObject({
    user: userIdSchema.meta({ description: 'The LMS\'s opaque student id: every job of the session is theirs (and counts against their quota).' }),
    metadata: jobMetadataSchema.optional().meta({ description: 'Put on every job of the session (classId, assignmentId, …); the page cannot change it.' }),
    locale: z.enum(sessionLocales, { error: `locale must be one of ${sessionLocales.join(', ')}` }).optional().meta({ description: 'The page\'s language; absent: the browser\'s.' }),
    lifetimeMinutes: z
      .int({ error: `lifetimeMinutes must be a whole number from ${sessionLifetime.minMinutes} to ${sessionLifetime.maxMinutes}` })
      .min(sessionLifetime.minMinutes, `lifetimeMinutes must be a whole number from ${sessionLifetime.minMinutes} to ${sessionLifetime.maxMinutes}`)
      .max(sessionLifetime.maxMinutes, `lifetimeMinutes must be a whole number from ${sessionLifetime.minMinutes} to ${sessionLifetime.maxMinutes}`)
      .default(sessionLifetime.defaultMinutes),
  })
  .meta({ id: 'CreateSessionRequest' });

export type CreateSessionRequest = z.infer<typeof createSessionRequestSchema>;

export const sessionResourceSchema = z
  .object({
    id: z.string(),
    studioUrl: z.string().meta({ description: 'Open this in the student\'s browser. The token is in the fragment (#session=…), so it never reaches a server log or a Referer.' }),
    expiresDateTime: z.string(),
    user: z.string(),
    metadata: z.record(z.string(), z.string()).optional(),
    locale: z.enum(sessionLocales).optional(),
  })
  .meta({ id: 'Session' });

export type SessionResource = z.infer<typeof sessionResourceSchema>;

/** What the studio page learns about its own session (GET /api/sessions/current). */
export const sessionInfoSchema = z
  .object({
    id: z.string(),
    expiresDateTime: z.string(),
    locale: z.enum(sessionLocales).optional(),
    placeholderPictures: z.boolean().meta({ description: 'True when the pictures come from the local image service (placeholders), not a real model.' }),
    maxImagesPerJob: z.int().meta({ description: 'The studio offers 1 to this many pictures a job (n).' }),
    orientations: z.array(z.enum(orientations)).meta({ description: 'The shapes the studio offers (orientation); a session may ask for nothing else (studioOffer).' }),
    promptMaxChars: z.int(),
    safeguarding: z
      .object({ contact: z.string().optional(), contactUrl: z.string().optional() })
      .optional()
      .meta({ description: 'Who at school a student can turn to (TENANTS safeguarding), shown with the help lines when a prompt carries a self-harm signal.' }),
  })
  .meta({ id: 'SessionInfo' });

export type SessionInfo = z.infer<typeof sessionInfoSchema>;

export function parseCreateSessionRequest(body: unknown): CreateSessionRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BadRequestError('InvalidRequest', 'The request body must be a JSON object.', { target: 'body' });
  }
  const record = body as Record<string, unknown>;
  const reserved = reservedMetadataKey(Object.hasOwn(record, 'metadata') ? record['metadata'] : undefined);
  if (reserved !== undefined) throw new BadRequestError('InvalidField', `metadata key ${reserved} is reserved; use another name`, { target: `metadata.${reserved}` });
  const parsed = createSessionRequestSchema.safeParse(record);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues.find((i) => i.code === 'unrecognized_keys') ?? parsed.error.issues[0];
  if (issue?.code === 'unrecognized_keys') {
    const field = issue.keys[0] ?? 'body';
    throw new BadRequestError('UnknownField', `Unknown field '${field.slice(0, 40)}'. Allowed fields: ${Object.keys(createSessionRequestSchema.shape).join(', ')}.`, { target: field });
  }
  const field = String(issue?.path[0] ?? 'body');
  if (record[field] === undefined) throw new BadRequestError('MissingField', `${field} is required`, { target: field });
  throw new BadRequestError('InvalidField', issue?.message ?? `${field} is not valid`, { target: issue?.path.map(String).join('.') || field });
}

/** What reading a session token needs: the token keys, and the tenants (a tenant removed takes its sessions with it). */
export interface SessionDeps {
  readonly config: Pick<AppConfig, 'tenants'>;
  readonly sessionTokens: SessionTokens;
}

/** What marking a student present touches. */
export interface PresenceDeps {
  readonly presence: Pick<PresenceStore, 'note'>;
  /** The student's keyed pseudonym, as the line names them (access/pseudonyms.ts). */
  readonly pseudonyms: { studentKey(tenantId: string, user: string): string };
  ensureStorage(): Promise<void>;
}

/**
 * Marks the student present: opening the studio is the sign that they are about to press Generate, which
 * the wait shown to their classmates forecasts (jobs/lineForecast.ts). Only the pseudonym and the time.
 */
export async function notePresence(services: PresenceDeps, tenant: Tenant, user: string, now: Date = new Date()): Promise<void> {
  await services.ensureStorage();
  await services.presence.note({ tenantId: tenant.id, student: services.pseudonyms.studentKey(tenant.id, user), seenAt: now.getTime() });
}

/** Opens a session for one student of this tenant; `studioUrlFor` makes the page's URL with the token in its fragment. */
export function createSession(
  services: Pick<SessionDeps, 'sessionTokens'>,
  tenant: Tenant,
  request: CreateSessionRequest,
  studioUrlFor: (token: string) => string,
  now: Date = new Date(),
): SessionResource {
  const session: Session = {
    id: randomUUID(),
    tenantId: tenant.id,
    user: request.user,
    ...(request.metadata && Object.keys(request.metadata).length > 0 ? { metadata: request.metadata } : {}),
    ...(request.locale ? { locale: request.locale } : {}),
    issuedOn: now,
    expiresOn: new Date(now.getTime() + request.lifetimeMinutes * 60_000),
  };
  return {
    id: session.id,
    studioUrl: studioUrlFor(services.sessionTokens.create(session)),
    expiresDateTime: session.expiresOn.toISOString(),
    user: session.user,
    ...(session.metadata ? { metadata: { ...session.metadata } } : {}),
    ...(session.locale ? { locale: session.locale } : {}),
  };
}

/** The bearer token of an `Authorization: Bearer …` header, or undefined for no (or another) scheme. */
export function bearerToken(authorization: string | null): string | undefined {
  const match = authorization === null ? null : /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return match?.[1];
}

/** The session whose token this is, and its tenant; 401 with a code the page can explain otherwise. */
export function requireSession(services: SessionDeps, token: string, now: Date = new Date()): { session: Session; tenant: Tenant } {
  const checked = services.sessionTokens.check(token, now);
  if (checked.verdict === 'expired') {
    throw new UnauthorizedError('SessionExpired', 'This studio link has expired. Open the studio again from the learning platform for a new one.');
  }
  // A tenant removed from TENANTS takes its sessions with it.
  const tenant = checked.verdict === 'valid' ? services.config.tenants.find((t) => t.id === checked.session.tenantId) : undefined;
  if (checked.verdict !== 'valid' || !tenant) {
    // Not even shaped like a session token: most likely an integrator's API key in the wrong header. The
    // code stays SessionInvalid (the studio page explains it by code); the message is for the integrator.
    if (!looksLikeSessionToken(token)) {
      throw new UnauthorizedError('SessionInvalid', "'Authorization: Bearer' carries only studio session tokens, and this is not one. An LMS sends its API key in the 'api-key' header.", { target: 'Authorization' });
    }
    throw new UnauthorizedError('SessionInvalid', 'This studio link is not valid. Open the studio again from the learning platform.');
  }
  return { session: checked.session, tenant };
}

/** The session of a studio request (`Authorization: Bearer <token>`), or 401. */
export function sessionFromAuthorization(services: SessionDeps, authorization: string | null): { session: Session; tenant: Tenant } {
  const token = bearerToken(authorization);
  if (token === undefined) throw new UnauthorizedError('SessionInvalid', "A studio session token is required in the 'Authorization: Bearer' header.");
  return requireSession(services, token);
}

/** Fields a studio page may not send: a session makes pictures from a prompt, nothing else. */
const refusedInSession: Record<string, string> = {
  callbackUrl: 'callbackUrl is set by the LMS with its API key, not from a studio session.',
  kind: 'A studio session makes new pictures from a prompt; edits and variations need the LMS.',
  images: 'A studio session makes new pictures from a prompt; edits and variations need the LMS.',
  image: 'A studio session makes new pictures from a prompt; edits and variations need the LMS.',
  mask: 'A studio session makes new pictures from a prompt; edits and variations need the LMS.',
};

/**
 * What the studio offers a student, and so all that a session may ask for: a prompt, one of these shapes
 * (`orientation`) and 1 to MAX_IMAGES_PER_JOB pictures (`n`, checked by the job request parser), at the
 * shape's size and the model's default quality. A picture the studio offers costs about $0.04 on gpt-image-2;
 * `size` and `quality` alone can make one 25 times that, which is the LMS's decision, not a child's. The
 * page draws its shapes and counts from GET /api/sessions/current, which carries this, so page and server
 * cannot disagree.
 */
export const studioOffer = {
  orientations,
  /** Fields a session may send; user and metadata only as the session's own. `kind` only as "generate". */
  fields: ['prompt', 'orientation', 'n', 'user', 'metadata', 'kind'],
} as const;

const offeredFields: ReadonlySet<string> = new Set(studioOffer.fields);

/**
 * A job body from a studio page, with the session's user and metadata put in. A body that names another
 * student or other metadata, or asks for anything the studio does not offer, is refused (403, naming the
 * field), not silently corrected: the page is wrong.
 */
export function sessionJobBody(session: Session, body: unknown): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const record = body as Record<string, unknown>;
  if (Object.hasOwn(record, 'user') && record['user'] !== session.user) {
    throw new ForbiddenError('SessionFieldFixed', 'user is fixed by the studio session: it cannot make pictures for another student.', { target: 'user' });
  }
  if (Object.hasOwn(record, 'metadata') && !isDeepStrictEqual(record['metadata'], session.metadata ?? {})) {
    throw new ForbiddenError('SessionFieldFixed', 'metadata is fixed by the studio session (the LMS set it).', { target: 'metadata' });
  }
  for (const field of Object.keys(refusedInSession)) {
    if (Object.hasOwn(record, field) && !(field === 'kind' && record[field] === 'generate')) {
      throw new ForbiddenError('NotAllowedInSession', refusedInSession[field] ?? field, { target: field });
    }
  }
  const notOffered = Object.keys(record).find((field) => !offeredFields.has(field));
  if (notOffered !== undefined) {
    throw new ForbiddenError(
      'NotAllowedInSession',
      `${notOffered.slice(0, 40)} is not offered in the studio: a studio session sends prompt, orientation (${studioOffer.orientations.join(', ')}) and n; the size and quality are the studio's.`,
      { target: notOffered.slice(0, 40) },
    );
  }
  return { ...record, user: session.user, ...(session.metadata ? { metadata: { ...session.metadata } } : {}) };
}

/** The loopback hosts the local image service answers on. */
const loopbackHosts = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Whether the pictures are the local image service's placeholders (its endpoint is on this machine). */
export function usesPlaceholderPictures(config: Pick<AppConfig, 'imageProvider'>): boolean {
  const provider = config.imageProvider;
  const endpoint = provider.kind === 'azure-openai' ? provider.endpoint : provider.baseUrl;
  return endpoint !== undefined && URL.canParse(endpoint) && loopbackHosts.has(new URL(endpoint).hostname);
}

export function sessionInfo(services: { readonly config: Pick<AppConfig, 'imageProvider' | 'maxImagesPerJob'>; readonly promptMaxChars: number }, session: Session, tenant: Pick<Tenant, 'safeguarding'>): SessionInfo {
  const { safeguarding } = tenant;
  return {
    id: session.id,
    expiresDateTime: session.expiresOn.toISOString(),
    ...(session.locale ? { locale: session.locale } : {}),
    placeholderPictures: usesPlaceholderPictures(services.config),
    maxImagesPerJob: services.config.maxImagesPerJob,
    orientations: [...studioOffer.orientations],
    promptMaxChars: services.promptMaxChars,
    ...(safeguarding ? { safeguarding: { ...safeguarding } } : {}),
  };
}

/** The gallery holds the newest jobs of a session; a lesson makes far fewer. */
const maxGalleryJobs = 30;
/** Index pages read at most, so a long-lived student history cannot make one call slow. */
const maxIndexPages = 5;

/** GET /api/sessions/current/jobs's query: pages of the gallery, so one read renders a bounded number of jobs. */
export const sessionJobsQuerySchema = z.strictObject({
  top: topQuery(maxGalleryJobs, `Most jobs on one page (1-${maxGalleryJobs}, default ${maxGalleryJobs}).`),
  continuationToken: continuationTokenQuery(),
});
export type SessionJobsQuery = z.infer<typeof sessionJobsQuerySchema>;

/** One page of this session's jobs, newest first (from the listing index, then each job's own record). */
export async function listSessionJobs(
  services: { readonly jobIndex: Pick<JobIndex, 'list'>; readonly jobs: Pick<JobStore, 'get'>; ensureStorage(): Promise<void> },
  session: Session,
  query: SessionJobsQuery = {},
  /** Called with the number of jobs found, before their records are read (the session's read budget). */
  beforeReading: (found: number) => void = () => undefined,
): Promise<{ jobs: JobRecord[]; continuationToken?: string }> {
  await services.ensureStorage();
  const top = query.top ?? maxGalleryJobs;
  const ids: string[] = [];
  let continuationToken = query.continuationToken;
  // Jobs of a session are made after it was opened; a few minutes' margin for clocks between instances.
  const since = new Date(session.issuedOn.getTime() - 5 * 60_000);
  for (let page = 0; page < maxIndexPages && ids.length < top; page++) {
    let found: Awaited<ReturnType<JobIndex['list']>>;
    try {
      found = await services.jobIndex.list(session.tenantId, { user: session.user, sessionId: session.id, since }, { top: top - ids.length, ...(continuationToken ? { continuationToken } : {}) });
    } catch (error) {
      // A token this service did not give out is the client's mistake, not an outage.
      if (page === 0 && query.continuationToken && failedOnToken(error)) {
        throw new BadRequestError('InvalidField', 'continuationToken is not one this service gave out.', { target: 'continuationToken' });
      }
      throw error;
    }
    ids.push(...found.entries.map((entry) => entry.id));
    continuationToken = found.continuationToken;
    if (!continuationToken) break;
  }
  if (ids.length > 0) beforeReading(ids.length);
  const jobs = await Promise.all(ids.map((id) => services.jobs.get(id)));
  // The record decides, not the index: only jobs of this tenant and session are shown.
  const own = jobs.filter((job): job is JobRecord => job !== undefined && job.tenantId === session.tenantId && job.sessionId === session.id);
  return { jobs: own, ...(continuationToken ? { continuationToken } : {}) };
}
