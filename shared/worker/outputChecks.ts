import type { AppConfig } from '../config/config';
import type { TenantSafety } from '../config/tenants';
import { failingForMsOf } from '../jobs/job';
import { recordCallSucceeded } from '../jobs/transitions';
import type { SafetyCategory } from '../safety/classifierPolicy';
import { ClassifierUnavailableError, type ContentSafety } from '../safety/contentSafety';
import { outputCheckFailure, outputRefusal } from '../safety/outputCheck';
import { recordRefusal } from '../safety/refusals';
import { failRun, type JobRun } from './jobRun';
import { afterFailure } from './providerCall';

/** The output check as a run uses it: the classifier, its settings, and the school's thresholds. */
export type OutputCheck = NonNullable<AppConfig['outputCheck']> & { readonly client: ContentSafety; readonly safety: TenantSafety };

/** A refused picture: the job ends ContentFiltered (source output), its blobs go, and the school's teachers get a safety event. */
async function withhold(run: JobRun, index: number, categories: readonly SafetyCategory[]): Promise<void> {
  const ended = await failRun(run, outputRefusal(categories));
  // A job erased meanwhile (right to erasure) gets no event: it would be the only trace of it.
  if (ended) await recordRefusal(run.services, { tenantId: run.job.tenantId, layer: 'outputCheck', categories, request: run.job.request, jobId: run.jobId }, run.log);
  run.log.warn(`Job ${run.jobId}: failed with ContentFiltered: the output check refused picture ${index} (${categories.join(', ')}).`);
}

/**
 * The output check of every saved picture that lacks the mark: read back from storage (so what is checked
 * is what a link would serve), checked, and marked. True when all are checked; false when the job ended or
 * this invocation is done with it. Checked one at a time: a resized copy of a 3840x2160 picture is made in
 * memory, and several at once would add up as thumbnails did (thumbnails.ts).
 */
export async function checkSavedPictures(run: JobRun, outputCheck: OutputCheck | undefined): Promise<boolean> {
  if (!outputCheck) return true;
  const { services, jobId, log } = run;
  for (let again = true; again; ) {
    again = false;
    const unchecked = (await services.images.list(jobId)).filter((image) => image.index < run.job.request.n && !image.outputChecked);
    for (const image of unchecked) {
      const bytes = await services.images.read(image.blobName);
      // Gone: the job was deleted or canceled meanwhile; complete() finds out which.
      if (!bytes) continue;
      const callStartedAt = run.now();
      try {
        const verdict = await outputCheck.client.checkImage(bytes, outputCheck.safety, { timeoutInMs: outputCheck.timeoutInMs });
        if (verdict.refused) {
          await withhold(run, image.index, verdict.categories);
          return false;
        }
        await services.images.markChecked(image.blobName);
        log.log(`Job ${jobId}: picture ${image.index} passed the output check (${verdict.durationMs} ms${verdict.resized ? ', a resized copy' : ''}).`);
      } catch (error) {
        if (!(error instanceof ClassifierUnavailableError)) throw error;
        const { failure, misconfigured } = outputCheckFailure(error.fault);
        if (misconfigured) log.error(`Job ${jobId}: ${failure.message} Check CONTENT_SAFETY_ENDPOINT and the managed identity's 'Cognitive Services User' role.`);
        const current = await services.jobs.get(jobId);
        if (!(await afterFailure(run, failure, callStartedAt, failingForMsOf(current)))) return false;
        again = true;
        break;
      }
    }
  }
  await recordSuccessAfterFailures(run);
  return true;
}

/** After a call or check that worked, the job's failing streak ends (recordCallSucceeded), once. */
export async function recordSuccessAfterFailures(run: JobRun): Promise<void> {
  if (run.transientFailures > 0) {
    run.transientFailures = 0;
    await run.apply(recordCallSucceeded);
  }
}

/** A partial image is shown the moment it is stored, so it is checked first; one that fails or cannot be checked is not shown. */
export async function previewPasses(run: JobRun, outputCheck: OutputCheck | undefined, bytes: Buffer): Promise<boolean> {
  if (!outputCheck) return true;
  try {
    const verdict = await outputCheck.client.checkImage(bytes, outputCheck.safety, { timeoutInMs: outputCheck.timeoutInMs });
    if (verdict.refused) run.log.warn(`Job ${run.jobId}: the output check refused a preview (${verdict.categories.join(', ')}); it is not shown.`);
    return !verdict.refused;
  } catch (error) {
    // A preview is a nicety: an unchecked one is withheld, and neither the (paid) call nor the job fails for it.
    run.log.warn(`Job ${run.jobId}: a preview could not be checked, so it is not shown: ${String(error)}`);
    return false;
  }
}
