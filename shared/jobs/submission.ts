import { randomUUID } from 'node:crypto';
import { notFound } from '../access/callers';
import { hashRequest } from '../access/idempotency';
import type { Held } from '../access/quotas';
import type { Tenant } from '../access/tenants';
import { cloudOf } from '../config/config';
import { estimateJobCostUsd } from '../provider/pricing';
import { partialImagesFor } from './previews';
import { BadRequestError, ConflictError, GoneError, ServiceError, ServiceUnavailableError } from '../errors';
import type { Logger } from '../logger';
import type { Services } from '../services';
import type { JobRecord } from './job';
import type { JobRequest } from './jobRequest';
import { resolveSources } from './sources';
import { jobMessageFor, type JobMessage } from './jobMessage';
import { cancel } from './transitions';
import { checkWithClassifier } from '../safety/classifierCheck';
import { recordRefusal } from '../safety/refusals';
import { literalTargetRefusal } from '../webhooks/targetGuard';
import { refuseSelfHarmSignal } from '../safety/safeguardingRefusal';
import { jobMetrics } from '../telemetry/metrics';
import { errorCodeOf, SpanKind, withSpan } from '../telemetry/spans';

/**
 * Accepting, cancelling and deleting jobs.
 *
 * Submit: count the submit, validate, screen, classify (Azure AI Content Safety), reserve quota (images and
 * the estimated cost), store. Nothing is stored or spent for a request that fails validation, the screen,
 * the classifier or the quota (images or money); a refusal by the screen or the classifier is recorded as
 * a safety event for the teachers (safety/refusals.ts). If storing fails the quota is given back, so the
 * client's 5xx means "no job". Storing also writes the job's listing-index entry (jobEvents.ts).
 *
 * Submit rates: a student's submit (a studio session's, or the LMS's naming `user`) counts first against
 * that student's own rate, accepted or not, which is what bounds their calls to the classifier (paid per
 * call). It takes one of the school's submits only once it has passed the screen, and gives it back if it
 * then makes no job (classifier refusal, quota, …): one child's refused prompts must not lock the school
 * out. The LMS's own submits count against the school's rate from the start, valid or not, as a brake on a
 * runaway client; a body that names no student is the LMS's own.
 *
 * The job's queue message is not sent here: the caller hands it to the function's queue output binding
 * (functions/submitJob.ts), which the host sends after the function returns and before the 202 leaves.
 * Sent that way, the host's own queue listener looks at once instead of waiting out its polling back-off
 * (queueOutput.ts in the local host; the shared queue watcher in Azure). If that send fails the client gets
 * a 5xx and the stored job is found by recovery.ts (a NotStarted job whose message is not on the queue).
 */

export interface SubmitOptions {
  readonly readBody: () => Promise<unknown>;
  /** The Idempotency-Key header, already checked; the LMS and each session have their own keys (access/idempotency.ts). */
  readonly idempotencyKey?: string;
  /** The URL a job id will have (its Operation-Location); kept on the job for the links in its webhooks. */
  readonly jobUrlFor?: (jobId: string) => string;
  /** The studio session submitting (sessions/): recorded on the job, so only that session can read it. */
  readonly sessionId?: string;
  /** The studio session's student: their submit rate is counted before the body is even read. */
  readonly sessionUser?: string;
  readonly log: Logger;
}

export type SubmitServices = Pick<
  Services,
  'ensureStorage' | 'quotas' | 'requestParser' | 'promptScreenFor' | 'bullyingGuard' | 'contentSafety' | 'safetyEvents' | 'webhookQueue' | 'config' | 'idempotency' | 'jobs' | 'waitingLine' | 'profile' | 'metaprompt' | 'uploads' | 'images'
>;

export interface Submitted {
  readonly job: JobRecord;
  /**
   * The message to put on the job queue through the output binding: for a new job, and again for a job an
   * Idempotency-Key names that has not started (the first attempt's send may have failed; a second message
   * is harmless, the worker's claim lets one of them run the job).
   */
  readonly message?: JobMessage;
}

/**
 * Accepts a job; with an Idempotency-Key that was seen before, returns the job it named. In its own span,
 * the first of the job's trace: the queue message names it, and the worker's span continues from it.
 */
export async function submitJob(services: SubmitServices, tenant: Tenant, options: SubmitOptions): Promise<Submitted> {
  const model = services.profile.name;
  return withSpan(
    'job.submit',
    { schoolId: tenant.id, model },
    async (span) => {
      try {
        const submitted = await submitUntraced(services, tenant, options);
        span.set({ jobId: submitted.job.id, outcome: 'accepted', images: submitted.job.request.n, costUsd: submitted.job.reservedCostUsd });
        jobMetrics.submitted({ school: tenant.id, model, outcome: 'accepted' });
        return submitted;
      } catch (error) {
        // A refusal (4xx) is an answer, not a fault of the service; a 5xx is counted as failed.
        const refused = error instanceof ServiceError && error.status < 500;
        span.set({ outcome: refused ? 'refused' : 'failed' });
        jobMetrics.submitted({ school: tenant.id, model, outcome: refused ? 'refused' : 'failed', errorCode: errorCodeOf(error) });
        throw error;
      }
    },
    { kind: SpanKind.SERVER },
  );
}

async function submitUntraced(services: SubmitServices, tenant: Tenant, options: SubmitOptions): Promise<Submitted> {
  try {
    await services.ensureStorage();
  } catch (error) {
    throw new ServiceUnavailableError('The job could not be stored.', { cause: error });
  }
  const { sessionUser } = options;
  if (sessionUser !== undefined) await services.quotas.countUserSubmit(tenant, sessionUser);
  let schoolSlot: Held | undefined = sessionUser === undefined ? await services.quotas.countSubmit(tenant) : undefined;
  let student = sessionUser;
  try {
    return await acceptJob(services, tenant, options, {
      studentKnown: async (user) => {
        if (student === undefined) {
          student = user;
          await services.quotas.countUserSubmit(tenant, user);
        }
      },
      screenPassed: async () => {
        schoolSlot ??= await services.quotas.countSubmit(tenant);
      },
    });
  } catch (error) {
    // A student's submit that made no job leaves the school's rate as it found it (their own rate keeps it).
    if (student !== undefined) await schoolSlot?.release().catch(() => undefined);
    throw error;
  }
}

/** Where submitJob counts the submit rates while a job is accepted. */
interface RateSteps {
  /** The request names a student (once parsed). */
  studentKnown(user: string): Promise<void>;
  /** The prompt passed the screen; the classifier (paid) comes next. */
  screenPassed(): Promise<void>;
}

async function acceptJob(services: SubmitServices, tenant: Tenant, options: SubmitOptions, rates: RateSteps): Promise<Submitted> {
  const { log } = options;
  const parsed = services.requestParser.parse(await options.readBody());
  if (parsed.user !== undefined) await rates.studentKnown(parsed.user);
  const resolved = await resolveSources(services, tenant, parsed);
  const request: JobRequest = { ...parsed, prompt: resolved?.prompt ?? parsed.prompt ?? '' };
  if (request.callbackUrl !== undefined && !tenant.webhook) {
    throw new BadRequestError('WebhooksNotConfigured', 'callbackUrl needs a webhook signing secret for this school, which the service operator sets (TENANTS webhook.secrets).', {
      target: 'callbackUrl',
    });
  }
  // An IP literal is judged now, so the client hears at once instead of from a failed delivery; a name is
  // resolved and checked when delivering (its addresses may change meanwhile).
  const refusedTarget = request.callbackUrl === undefined ? undefined : literalTargetRefusal(request.callbackUrl, services.config.webhooks);
  if (refusedTarget) throw new BadRequestError('InvalidField', `callbackUrl: ${refusedTarget}.`, { target: 'callbackUrl' });
  // Before the screen, which refuses many of the same words but would neither show the help lines nor alert the school.
  await refuseSelfHarmSignal(services, tenant, request, log);
  // Before the screen, so a hurtful picture of a classmate is answered as what it is, even where a listed word is in it too.
  const bullying = services.bullyingGuard.check(request.prompt);
  if (bullying.refused) {
    await recordRefusal(services, { tenantId: tenant.id, layer: 'screen', categories: ['bullying'], request }, log);
    throw new BadRequestError(
      'PromptBlocked',
      'The prompt makes fun of a real person (a classmate, a friend or a teacher). Pictures that make fun of real people can hurt them. Please make a kind picture, or leave the real person out.',
      { target: 'prompt', innerCode: 'Bullying' },
    );
  }
  const screen = services.promptScreenFor(tenant).screen(request.prompt);
  if (screen.blocked) {
    await recordRefusal(services, { tenantId: tenant.id, layer: 'screen', categories: ['blockedTerms'], request }, log);
    // Names the list's terms, never the prompt's own words; context terms were not the reason.
    const refusedTerms = screen.matchedTerms.filter((term) => !(screen.contextTerms ?? []).includes(term));
    throw new BadRequestError(
      'PromptBlocked',
      `The prompt contains words that are not allowed for school pictures (${refusedTerms.join(', ')}). Please describe the picture differently.`,
      { target: 'prompt' },
    );
  }
  // Before the classifier: a school at its rate refuses without paying for a classification.
  await rates.screenPassed();
  // Every prompt the screen lets through; fails closed (503) when the classifier gives no verdict.
  const verdict = await checkWithClassifier(services, tenant, request.prompt, log);
  if (verdict?.refused) {
    await refuseSelfHarmSignal(services, tenant, request, log, verdict);
    await recordRefusal(services, { tenantId: tenant.id, layer: 'classifier', categories: verdict.categories, request }, log);
    throw new BadRequestError('PromptBlocked', 'This prompt is not right for school pictures. Please describe the picture differently.', { target: 'prompt' });
  }

  let id: string = randomUUID();
  if (options.idempotencyKey) {
    const requestHash = hashRequest(request);
    const scope = options.sessionId === undefined ? ({ kind: 'tenant' } as const) : ({ kind: 'session', sessionId: options.sessionId } as const);
    const record = await services.idempotency.claim(tenant.id, scope, options.idempotencyKey, requestHash, id);
    if (!record.fresh) {
      if (record.erased) throw jobErased();
      if (record.requestHash !== requestHash) {
        throw new ConflictError('IdempotencyKeyReused', 'This Idempotency-Key was already used with a different request.', { target: 'Idempotency-Key' });
      }
      const existing = await services.jobs.get(record.jobId);
      // The client retries because it never saw an answer: the first attempt may have stopped before its message was sent.
      if (existing) return existing.status === 'NotStarted' ? { job: existing, message: jobMessageFor(existing.id) } : { job: existing };
      if (await services.idempotency.isErased(record.jobId)) throw jobErased();
      // The first attempt failed before its job was stored: finish it now, under the same id.
      id = record.jobId;
    }
  }

  const reservedCostUsd = estimatedCostOf(services, request);
  const reservation = await services.quotas.reserve(tenant, request.user, { images: request.n, costUsd: reservedCostUsd });
  try {
    await resolved?.claim(id);
  } catch (error) {
    await reservation.release().catch(() => undefined);
    throw error;
  }
  const ticket = await services.waitingLine.join().catch(() => undefined);
  const now = new Date().toISOString();
  const job: JobRecord = {
    id,
    tenantId: tenant.id,
    status: 'NotStarted',
    createdDateTime: now,
    lastUpdatedDateTime: now,
    request,
    model: services.profile.name,
    metapromptVersion: services.metaprompt.version,
    attempts: 0,
    reservedCostUsd,
    ...(ticket !== undefined ? { ticket } : {}),
    ...(resolved ? { sources: resolved.sources } : {}),
    ...(options.jobUrlFor ? { location: options.jobUrlFor(id) } : {}),
    ...(options.sessionId ? { sessionId: options.sessionId } : {}),
  };
  try {
    await services.jobs.create(job);
  } catch (error) {
    await reservation.release().catch(() => undefined);
    throw new ServiceUnavailableError('The job could not be stored.', { cause: error });
  }
  log.log(`Job ${job.id} accepted for tenant ${tenant.id}: n=${request.n} size=${request.size} model=${job.model} estimate=$${reservedCostUsd}${verdict ? ` classifier=${verdict.durationMs}ms` : ''}`);
  return { job, message: jobMessageFor(job.id) };
}

const jobErased = () =>
  new GoneError('JobErased', 'The job this Idempotency-Key made was deleted, and stays deleted. Send a new Idempotency-Key to make a new job.', {
    target: 'Idempotency-Key',
  });

/**
 * The job's estimated cost, reserved against the school's money budgets: its pictures at the requested
 * size and quality, with the partial images the worker will stream for them (processing.ts asks for
 * partials only in calls of one picture). 0 for a model the catalogue cannot price, which parseCatalogue
 * rules out.
 */
function estimatedCostOf(services: Pick<SubmitServices, 'profile' | 'config'>, request: JobRequest): number {
  const picturesPerCall = Math.min(request.n, services.profile.maxImagesPerCall);
  const partials = partialImagesFor(services.config.partialImages, services.profile, cloudOf(services.config.imageProvider), picturesPerCall);
  return estimateJobCostUsd(services.profile, request, partials) ?? 0;
}

/**
 * Cancels a job that has not finished. The change is made under the job's ETag, and the worker claims
 * every provider call under the same ETag, so no call starts after a cancel is accepted.
 */
export async function cancelJob(services: Pick<Services, 'jobs' | 'images' | 'quotas'>, tenant: Tenant, job: JobRecord, log: Logger): Promise<JobRecord> {
  let canceledNow = false;
  const current = await services.jobs.update(job.id, (found) => {
    const next = cancel(found, Date.now());
    canceledNow = next !== undefined;
    return next;
  });
  if (!current) throw notFound(job.id);
  if (current.status !== 'Canceled') {
    throw new ConflictError('NotCancelable', `The job has already finished (${current.status}).`, { target: 'id' });
  }
  if (canceledNow && !current.providerCalls) {
    // Nothing was spent on it (no provider call can start after the cancel): the quota is given back.
    const amount = { images: current.request.n, costUsd: current.reservedCostUsd ?? 0 };
    await services.quotas.refund(tenant, current.request.user, amount, new Date(current.createdDateTime)).catch((error: unknown) => {
      log.warn(`Job ${job.id}: its quota could not be given back: ${String(error)}`);
    });
  }
  // Images a running worker already saved are never returned; remove them now (the worker does too).
  await services.images.deleteAll(job.id);
  log.log(`Job ${job.id} canceled by tenant ${job.tenantId}.`);
  return current;
}

/** Erases a job at once (right to erasure): its images first, its safety events, then its record. */
export async function deleteJob(services: Pick<Services, 'jobs' | 'images' | 'idempotency' | 'uploads' | 'safetyEvents'>, job: JobRecord, log: Logger): Promise<void> {
  // The tombstone first: a retried Idempotency-Key must not re-create the job, however the delete ends.
  await services.idempotency.markErased(job.id);
  await services.images.deleteAll(job.id);
  // Uploads are children's pictures: they go with the job that used them.
  for (const uploadId of job.sources?.uploadIds ?? []) await services.uploads.delete(job.tenantId, uploadId);
  // The provider's refusals of this job (its prompt and student id); refusals at submit made no job and
  // are erased by retention (RETENTION_DAYS).
  await services.safetyEvents.deleteForJob(job.tenantId, job.id);
  await services.jobs.delete(job.id);
  // A worker that was generating when the record vanished removes what it saved (see processing.ts).
  log.log(`Job ${job.id} deleted by tenant ${job.tenantId}.`);
}

