import type { Cloud, ModelEntry } from '../models/modelCatalogue';
import { maxPartialImages } from '../models/modelCatalogue';
import type { JobRecord } from './job';

/**
 * Live previews: when the worker streams a call, each partial image the provider sends is stored as the
 * picture's preview, and a running job's status links to the latest one of each picture.
 *
 * Only calls for one picture are streamed. The Images API's stream events carry no picture index (only
 * `partial_image_index`, the partial's own number), so with n > 1 a partial cannot be told apart from its
 * siblings. Splitting a job of n pictures into n streamed calls would fix that, but on Azure the image quota
 * counts requests (gpt-image-1.5: 9 a minute by default), so a class of four-picture jobs would drain four
 * times slower; jobs ask for one picture by default, so they get previews, and larger jobs keep one call.
 */

/** The partial images one provider call asks for: 0 means a plain (not streamed) call. */
export function partialImagesFor(setting: number, model: ModelEntry, cloud: Cloud, picturesInCall: number): number {
  if (picturesInCall !== 1) return 0;
  return Math.max(0, Math.min(setting, maxPartialImages(model, cloud)));
}

/**
 * Whether a job's status should expect previews (and ask to be polled every second): it is running, and its
 * pictures are made one per streamed call. A job of several pictures whose last call happens to be for one
 * still shows that preview; its poll interval stays the usual one.
 */
export function previewsExpected(setting: number, model: ModelEntry, cloud: Cloud, job: Pick<JobRecord, 'status' | 'request'>): boolean {
  return job.status === 'Running' && partialImagesFor(setting, model, cloud, job.request.n) > 0;
}

/** A preview link is fetched at once and replaced at the next poll: a few minutes is plenty. */
export const previewLinkLifetimeInMinutes = 5;
