import { safetyOf, type Tenant } from '../config/tenants';
import { ServiceUnavailableError } from '../errors';
import type { Logger } from '../logger';
import { decideClassifierFault } from './classifierPolicy';
import { ClassifierUnavailableError, type ClassifierResult, type ContentSafety } from './contentSafety';

/**
 * The classifier layer at submit: the school's verdict on a prompt the screen let through, or, when the
 * service gives none, the fault policy (classifierPolicy.ts): fail closed with 503 SafetyCheckUnavailable
 * and Retry-After, before anything is stored or spent. Undefined when the layer is off (local only).
 */
export async function checkWithClassifier(services: { readonly contentSafety: ContentSafety | undefined }, tenant: Tenant, prompt: string, log: Logger): Promise<ClassifierResult | undefined> {
  if (!services.contentSafety) return undefined;
  try {
    return await services.contentSafety.check(prompt, safetyOf(tenant));
  } catch (error) {
    if (!(error instanceof ClassifierUnavailableError)) throw error;
    const decision = decideClassifierFault(error.fault);
    // The prompt never reaches the log; the reason names the fault only.
    if (decision.misconfigured) log.error(`Classifier: ${decision.reason}.`);
    else log.warn(`Classifier: ${decision.reason}; the submit fails closed.`);
    throw new ServiceUnavailableError('The safety check for prompts is not available right now, so nothing was made or counted.', {
      code: 'SafetyCheckUnavailable',
      retryAfterInSeconds: decision.retryAfterInSeconds,
      cause: error,
    });
  }
}
