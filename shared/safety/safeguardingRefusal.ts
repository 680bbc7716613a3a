import type { Tenant } from '../config/tenants';
import { BadRequestError } from '../errors';
import type { JobRequest } from '../jobs/jobRequest';
import type { Logger } from '../logger';
import { recordRefusal, type RefusalDeps } from './refusals';
import { safeguardingDetector } from './safeguarding';

/**
 * The refusal of a prompt with a self-harm signal, at submit: a safety event for the school (urgent in the
 * first person, with a `safety.urgent` webhook at once) and 400 PromptBlocked with innererror
 * SelfHarmSignal, so a client can show the child a caring message with the help lines instead of "those
 * words are not allowed". The studio page does (shared/studio/browser/care.ts). The message below is in
 * English for the LMS developer, and written so it does no harm if shown to the child as it is.
 */

export const selfHarmSignalCode = 'SelfHarmSignal';

export const selfHarmSignalMessage =
  'This prompt suggests the student may be thinking about hurting themselves, so no picture is made. They are not in trouble. ' +
  'Please show them, kindly, where to find help: De Kindertelefoon (free and anonymous, ages 8-18): call 0800-0432 or chat at kindertelefoon.nl; ' +
  '113 Zelfmoordpreventie (free and anonymous, day and night): call 113 or 0800-0113, or chat at 113.nl. ' +
  'The school sees it as a safety event (GET /api/safety-events), urgent when the student writes about themselves.';

/**
 * Refuses the prompt (throws) when it carries a self-harm signal: the lexicon's, or a classifier verdict with
 * selfHarm at or above the school's threshold. A classifier verdict is urgent only with a first-person marker,
 * as a lexicon signal is: the category also covers stories, history and eating in general, and an urgent
 * alert that is often wrong stops being read. Returns when there is no signal.
 */
export async function refuseSelfHarmSignal(
  services: RefusalDeps,
  tenant: Pick<Tenant, 'id'>,
  request: Pick<JobRequest, 'prompt' | 'user' | 'metadata'>,
  log: Logger,
  classifier?: { readonly categories: readonly string[] },
): Promise<void> {
  const detector = safeguardingDetector();
  let urgent: boolean;
  if (classifier) {
    if (!classifier.categories.includes('selfHarm')) return;
    urgent = detector.isFirstPerson(request.prompt);
  } else {
    const signal = detector.detect(request.prompt);
    if (!signal.signal) return;
    urgent = signal.urgent;
  }
  await recordRefusal(services, { tenantId: tenant.id, layer: classifier ? 'classifier' : 'safeguarding', categories: classifier?.categories ?? ['selfHarm'], request, urgent }, log);
  throw new BadRequestError('PromptBlocked', selfHarmSignalMessage, { target: 'prompt', innerCode: selfHarmSignalCode });
}
