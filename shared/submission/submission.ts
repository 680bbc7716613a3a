import { randomUUID } from 'node:crypto';
import { hashRequest } from '../access/idempotency';
import type { Held, Quotas } from '../access/quotas';
import type { Tenant } from '../config/tenants';
import { cloudOf, type AppConfig } from '../config/config';
import { estimateJobCostUsd } from '../models/pricing';
import { partialImagesFor } from '../jobs/previews';
import { ConflictError, GoneError, ServiceError, ServiceUnavailableError } from '../errors';
import type { Logger } from '../logger';
import type { IdempotencyStore } from '../access/idempotency';
import type { JobRequestParser } from '../jobs/jobRequestParser';
import type { ModelEntry } from '../models/modelCatalogue';
import type { Metaprompt } from '../safety/metaprompt';
import type { JobStore } from '../storage/jobStore';
import type { LinePositions } from '../storage/linePositions';
import type { LineStore } from '../storage/lineStore';
import type { Pseudonyms } from '../access/pseudonyms';
import { lineEntryFor } from '../jobs/turns';
import type { JobRecord } from '../jobs/job';
import type { JobRequest } from '../jobs/jobRequest';
import { resolveSources, type SourceDeps } from './sources';
import { jobMessageFor, type JobMessage } from '../storage/jobMessage';
import { classifyPrompt, screenPrompt, type PromptCheckDeps } from './promptChecks';
import { jobMetrics } from '../telemetry/metrics';
import { errorCodeOf, SpanKind, withSpan } from '../telemetry/spans';

/**
 * Accepting a job (cancelJob.ts and deleteJob.ts end one).
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

/** What accepting a job uses: the parser and the prompt checks, quotas, the Idempotency-Key store, the job store and the line. */
export interface SubmitDeps extends Omit<PromptCheckDeps, 'config'>, Omit<SourceDeps, 'config'> {
  readonly config: PromptCheckDeps['config'] & SourceDeps['config'] & Pick<AppConfig, 'partialImages' | 'imageProvider'>;
  readonly profile: ModelEntry;
  readonly metaprompt: Pick<Metaprompt, 'version'>;
  readonly requestParser: Pick<JobRequestParser, 'parse'>;
  readonly quotas: Pick<Quotas, 'countSubmit' | 'countUserSubmit' | 'reserve'>;
  readonly idempotency: Pick<IdempotencyStore, 'claim' | 'isErased'>;
  readonly jobs: JobStore;
  /** The line of waiting jobs the worker takes them from in turns (jobs/turns.ts); the student in it by pseudonym. */
  readonly line: Pick<LineStore, 'add'>;
  /** Told of each job put in line, so the positions of a burst's answers count each other (storage/linePositions.ts). */
  readonly linePositions: Pick<LinePositions, 'noteAdded'>;
  readonly pseudonyms: Pick<Pseudonyms, 'studentKey'>;
  ensureStorage(): Promise<void>;
}

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
export async function submitJob(services: SubmitDeps, tenant: Tenant, options: SubmitOptions): Promise<Submitted> {
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

async function submitUntraced(services: SubmitDeps, tenant: Tenant, options: SubmitOptions): Promise<Submitted> {
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

async function acceptJob(services: SubmitDeps, tenant: Tenant, options: SubmitOptions, rates: RateSteps): Promise<Submitted> {
  const { log } = options;
  const parsed = services.requestParser.parse(await options.readBody());
  if (parsed.user !== undefined) await rates.studentKnown(parsed.user);
  const resolved = await resolveSources(services, tenant, parsed);
  const request: JobRequest = { ...parsed, prompt: resolved?.prompt ?? parsed.prompt ?? '' };
  await screenPrompt(services, tenant, request, log);
  // Before the classifier: a school at its rate refuses without paying for a classification.
  await rates.screenPassed();
  const verdict = await classifyPrompt(services, tenant, request, log);

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
      // The client retries because it never saw an answer: the first attempt may have stopped before its
      // message was sent, or before the job joined the line.
      if (existing?.status === 'NotStarted') {
        await joinLine(services, existing, log);
        return { job: existing, message: jobMessageFor(existing.id) };
      }
      if (existing) return { job: existing };
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
  await joinLine(services, job, log);
  log.log(`Job ${job.id} accepted for tenant ${tenant.id}: n=${request.n} size=${request.size} model=${job.model} estimate=$${reservedCostUsd}${verdict ? ` classifier=${verdict.durationMs}ms` : ''}`);
  return { job, message: jobMessageFor(job.id) };
}

/**
 * Puts the stored job in the line, before its message (its ticket) is sent. A job that fails to join is
 * still accepted: its own ticket runs it when it finds nothing else waiting (worker/tickets.ts), and the
 * sweep adds it to the line (upkeep/recovery.ts) if other jobs take that ticket first.
 */
async function joinLine(services: Pick<SubmitDeps, 'line' | 'linePositions' | 'pseudonyms'>, job: JobRecord, log: Logger): Promise<void> {
  const entry = lineEntryFor(job, services.pseudonyms.studentKey);
  await services.line.add(entry).then(
    () => services.linePositions.noteAdded(entry),
    (error: unknown) => log.warn(`Job ${job.id}: could not join the line (the sweep adds it): ${String(error)}`),
  );
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
function estimatedCostOf(services: Pick<SubmitDeps, 'profile' | 'config'>, request: JobRequest): number {
  const picturesPerCall = Math.min(request.n, services.profile.maxImagesPerCall);
  const partials = partialImagesFor(services.config.partialImages, services.profile, cloudOf(services.config.imageProvider), picturesPerCall);
  return estimateJobCostUsd(services.profile, request, partials) ?? 0;
}
