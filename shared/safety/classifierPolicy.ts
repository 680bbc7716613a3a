import type { TenantSafety } from '../config/tenants';

/**
 * The classifier layer's two pure decisions: whether a prompt is refused, from Azure AI Content Safety's
 * answers and the school's thresholds; and what a failed call means. Neither talks to the network, so both
 * are tested on plain values (test/shared/safety/classifierPolicy.test.ts).
 */

/** The service's text categories, as `text:analyze` names them. */
export const serviceCategories = ['Hate', 'SelfHarm', 'Sexual', 'Violence'] as const;
export type ServiceCategory = (typeof serviceCategories)[number];

/** Our names for the categories (a school's thresholds, safety events); `promptAttack` is Prompt Shields. */
export type SafetyCategory = 'hate' | 'selfHarm' | 'sexual' | 'violence' | 'promptAttack';

const categoryFor: Readonly<Record<ServiceCategory, keyof TenantSafety['thresholds']>> = {
  Hate: 'hate',
  SelfHarm: 'selfHarm',
  Sexual: 'sexual',
  Violence: 'violence',
};

export interface ClassifierAnswers {
  readonly categoriesAnalysis: ReadonlyArray<{ readonly category: string; readonly severity?: number }>;
  /** Absent when the school turned Prompt Shields off. */
  readonly attackDetected?: boolean;
}

export interface ClassifierVerdict {
  readonly refused: boolean;
  /** The categories at or above the school's threshold, and `promptAttack` for a detected attack. */
  readonly categories: readonly SafetyCategory[];
}

/** Refused when any category's severity reaches its threshold, or Prompt Shields saw an attack. */
export function judgeClassifierAnswers(answers: ClassifierAnswers, safety: TenantSafety): ClassifierVerdict {
  const categories: SafetyCategory[] = [];
  for (const { category, severity } of answers.categoriesAnalysis) {
    const ours = categoryFor[category as ServiceCategory] as keyof TenantSafety['thresholds'] | undefined;
    // A category the service adds later has no threshold here: it is not ours to judge yet.
    if (ours === undefined || severity === undefined) continue;
    if (severity >= safety.thresholds[ours] && !categories.includes(ours)) categories.push(ours);
  }
  if (safety.promptShield && answers.attackDetected === true) categories.push('promptAttack');
  return { refused: categories.length > 0, categories };
}

/** What went wrong with a classifier call, in the words the log and docs/safety.md use. */
export type ClassifierFault =
  | { readonly kind: 'timeout' }
  | { readonly kind: 'network' }
  | { readonly kind: 'status'; readonly status: number; readonly retryAfterInSeconds?: number }
  | { readonly kind: 'malformed' };

export interface FaultDecision {
  /** Always false: a prompt that was not checked is not sent to the image model (fail closed). */
  readonly proceed: false;
  /** What the client is told to wait before trying again (Retry-After). */
  readonly retryAfterInSeconds: number;
  /** For the log: never the prompt. */
  readonly reason: string;
  /** A setting or role is wrong: an operator must act (logged as an error, not a passing fault). */
  readonly misconfigured: boolean;
}

/** The longest Retry-After we pass on; a service that asks for more is down for us, and the client may try later. */
const maxRetryAfterInSeconds = 30;
/** For a timeout, a 5xx or a network fault: short, since these pass quickly or not at all. */
const defaultRetryAfterInSeconds = 5;

/**
 * The fault policy: every failure to get a verdict fails closed. Nothing is stored or spent; the client gets
 * 503 SafetyCheckUnavailable with Retry-After (the service's own for a 429, capped), because the student did
 * nothing wrong and the same prompt may pass a minute later. 401/403/404 mean a wrong endpoint, key or role:
 * still 503 to the client (nothing it can fix), but an error in the log for the operator.
 */
export function decideClassifierFault(fault: ClassifierFault): FaultDecision {
  switch (fault.kind) {
    case 'timeout':
      return { proceed: false, retryAfterInSeconds: defaultRetryAfterInSeconds, reason: 'the content safety service did not answer in time', misconfigured: false };
    case 'network':
      return { proceed: false, retryAfterInSeconds: defaultRetryAfterInSeconds, reason: 'the content safety service could not be reached', misconfigured: false };
    case 'malformed':
      return { proceed: false, retryAfterInSeconds: defaultRetryAfterInSeconds, reason: 'the content safety service gave an answer we do not understand', misconfigured: false };
    case 'status': {
      if (fault.status === 429) {
        const asked = fault.retryAfterInSeconds ?? 1;
        return { proceed: false, retryAfterInSeconds: Math.min(maxRetryAfterInSeconds, Math.max(1, Math.ceil(asked))), reason: 'the content safety service is rate limiting us (429)', misconfigured: false };
      }
      const misconfigured = fault.status === 401 || fault.status === 403 || fault.status === 404;
      return {
        proceed: false,
        retryAfterInSeconds: defaultRetryAfterInSeconds,
        reason: misconfigured
          ? `the content safety service refused our call (${fault.status}): check CONTENT_SAFETY_ENDPOINT and the managed identity's 'Cognitive Services User' role`
          : `the content safety service answered ${fault.status}`,
        misconfigured,
      };
    }
  }
}
