import { failingForMsOf, isTerminal, type JobError } from '../jobs/job';
import { claimCall, recordWait } from '../jobs/transitions';
import type { GenerationResult, ImageGenerationRequest } from '../provider/imageProvider';
import { callOutcomeOf, classifyProviderFailure, type ProviderFailure } from '../provider/providerFailure';
import { recordRefusal } from '../safety/refusals';
import { activeSpanEvent } from '../telemetry/spans';
import type { SourcePictures } from '../submission/sources';
import { failRun, handOverAt, type JobRun } from './jobRun';
import { decide, decideSlotWait } from './retryPolicy';

/** Thrown to make the host retry the message later (the policy's `retryLater`). */
export class RetryableJobError extends Error {
  constructor(
    readonly jobId: string,
    readonly failure: JobError,
  ) {
    super(`Job ${jobId}: ${failure.code}: ${failure.message}`);
    this.name = 'RetryableJobError';
  }

  /** The failure's code, which a span records for the retried delivery. */
  get code(): string {
    return this.failure.code;
  }
}

/**
 * One provider call of a batch: a slot on a deployment of the pool first (each deployment is paced to its own
 * quota, shared by the instances), then the call claimed on the job record under its ETag (no call starts
 * after a cancel), then the call. A call that fails for the deployment's sake (5xx, timeout, refused
 * credentials, not found, a 429 beyond its pace) goes at once to another deployment that has not failed this
 * job yet; when every one has, or the failure is the job's own, the retry policy decides (afterFailure). The
 * result, or undefined when this invocation is done with the job (it ended, or a later message goes on).
 */
export async function callProvider(run: JobRun, request: ImageGenerationRequest, pictures: SourcePictures | undefined): Promise<GenerationResult | undefined> {
  const { services, jobId, log, now } = run;
  // Deployments that failed this job since its last call that worked: failover skips them.
  const failedHere = new Set<string>();
  for (;;) {
    const slot = await slotFor(run, failedHere);
    if (!slot) return undefined;
    if (slot === 'out') {
      // Every deployment is taken out: the job is failing, and its deadline runs, as when its own call fails.
      const current = await services.jobs.get(jobId);
      const failure: ProviderFailure = { retryable: true, code: 'ProviderUnavailable', message: 'Every image deployment is out of service for now.' };
      if (!(await afterFailure(run, failure, now(), failingForMsOf(current)))) return undefined;
      continue;
    }
    const claimed = await run.apply((job) => claimCall(job, run.worker()));
    if (!claimed || isTerminal(claimed.status)) {
      await services.images.deleteAll(jobId).catch(() => undefined);
      log.log(`Job ${jobId}: ${claimed?.status ?? 'deleted'}; no further calls.`);
      return undefined;
    }
    const { deployment } = slot;
    const callStartedAt = now();
    try {
      const result = pictures
        ? await deployment.provider.edit({ ...request, images: pictures.images, ...(pictures.mask ? { mask: pictures.mask } : {}) })
        : await deployment.provider.generate(request);
      services.imagePool.report(deployment.name, 'succeeded', new Date(now()));
      return result;
    } catch (error) {
      const failure = classifyProviderFailure(error);
      const outcome = callOutcomeOf(error, failure);
      services.imagePool.report(deployment.name, outcome, new Date(now()));
      if (outcome !== 'jobFault') {
        failedHere.add(deployment.name);
        if (services.imagePool.hasOtherThan(failedHere, new Date(now()))) {
          log.warn(`Job ${jobId}: deployment ${deployment.name} failed the call (${failure.code}); trying another deployment.`);
          continue;
        }
      }
      failedHere.clear();
      if (!(await afterFailure(run, failure, callStartedAt, failingForMsOf(claimed)))) return undefined;
    }
  }
}

/**
 * A slot on the best deployment that has not failed this job, waited for (or the job handed to a later
 * message when the wait would be long); `out` when every deployment is taken out; undefined when this
 * invocation is done with the job.
 */
async function slotFor(run: JobRun, failedHere: ReadonlySet<string>) {
  const { services, now, sleep } = run;
  let slot = await services.imagePool.acquire(new Date(now()), failedHere);
  while (!slot.granted) {
    if (slot.reason === 'out') return 'out';
    const decision = decideSlotWait(slot.retryAt.getTime(), { now: now(), invocationStartedAt: run.invocationStartedAt }, run.policy);
    if (decision.kind === 'handOver') {
      await handOverAt(run, decision.at);
      return undefined;
    }
    await sleep(decision.ms);
    slot = await services.imagePool.acquire(new Date(now()), failedHere);
  }
  const untilSlot = slot.startAt.getTime() - now();
  if (untilSlot > 0) await sleep(untilSlot);
  return slot;
}

/**
 * Carries out the retry policy's decision on a failed call, the image call's or an output check's: true to
 * try again now, false when this invocation is done with the job (it ended, or a later message goes on).
 */
export async function afterFailure(run: JobRun, failure: ProviderFailure, callStartedAt: number, failingForMs: number): Promise<boolean> {
  const { services, jobId, log, now, sleep } = run;
  if (failure.code === 'ProviderRateLimited') run.transientFailures = 0;
  else if (failure.retryable) run.transientFailures++;
  const decision = decide(failure, { now: now(), invocationStartedAt: run.invocationStartedAt, callStartedAt, transientFailures: run.transientFailures, failingForMs }, run.policy);
  activeSpanEvent(`job.${decision.kind}`, { errorCode: failure.code });
  if (decision.kind === 'fail') {
    if (failure.code === 'ProviderAuthFailed') {
      log.error(
        `Job ${jobId}: the image provider refused our credentials. Check AZURE_OPENAI_API_KEY, or the managed identity's ` +
          "'Cognitive Services OpenAI User' role on the Azure OpenAI resource (or OPENAI_API_KEY).",
      );
    }
    const ended = await failRun(run, decision.error);
    // A job erased meanwhile gets no event: it would be the only trace of it (as in withhold).
    if (ended && !failure.retryable && failure.code === 'ContentFiltered') {
      await recordRefusal(
        services,
        {
          tenantId: run.job.tenantId,
          layer: failure.source === 'output' ? 'providerOutput' : 'providerPrompt',
          // The providers' snake case (self_harm) in the names the other layers use (selfHarm).
          categories: (failure.categories ?? []).map((category) => category.replace(/_(\w)/g, (_, letter: string) => letter.toUpperCase())),
          request: run.job.request,
          jobId,
        },
        log,
      );
    }
    log.warn(`Job ${jobId}: failed with ${decision.error.code}.`);
    return false;
  }
  const waiting = await run.apply((job) => recordWait(job, run.worker(), { ...decision.record, claimTtlMs: run.claimTtlMs }));
  if (!waiting || isTerminal(waiting.status)) {
    await services.images.deletePreviews(jobId).catch(() => undefined);
    log.log(`Job ${jobId}: ended as ${waiting?.status ?? 'deleted'} while waiting; stopping.`);
    return false;
  }
  if (decision.kind === 'retryLater') throw new RetryableJobError(jobId, decision.record.error);
  if (decision.kind === 'handOver') {
    await handOverAt(run, decision.at);
    return false;
  }
  log.log(`Job ${jobId}: ${failure.code}; trying again in ${Math.round(decision.ms / 1000)} s.`);
  await sleep(decision.ms);
  return true;
}
