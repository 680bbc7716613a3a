import type { AppConfig } from '../config/config';
import type { Tenant } from '../config/tenants';
import { BadRequestError } from '../errors';
import type { JobRequest } from '../jobs/jobRequest';
import type { Logger } from '../logger';
import { literalTargetRefusal } from '../addresses/targetGuard';
import type { BullyingGuard } from '../safety/bullyingGuard';
import { checkWithClassifier } from '../safety/classifierCheck';
import type { ClassifierResult, ContentSafety } from '../safety/contentSafety';
import type { PromptScreen } from '../safety/promptScreen';
import { recordRefusal, type RefusalDeps } from '../safety/refusals';
import { refuseSelfHarmSignal } from '../safety/safeguardingRefusal';

/**
 * The checks of a submitted prompt, in their order: the webhook target, then the layers that refuse
 * (self-harm signals, bullying, the word screen: free and local), then the classifier (paid per call; the
 * submit counts the school's rate between the two). A refusal is recorded as a safety event (safety/refusals.ts)
 * and thrown as a 400.
 */
export interface PromptCheckDeps extends RefusalDeps {
  readonly config: Pick<AppConfig, 'webhooks'>;
  readonly bullyingGuard: Pick<BullyingGuard, 'check'>;
  promptScreenFor(tenant: Tenant): Pick<PromptScreen, 'screen'>;
  readonly contentSafety: ContentSafety | undefined;
}

/** The free checks: the callbackUrl, then self-harm signals, bullying and the word screen. Throws on a refusal. */
export async function screenPrompt(services: Omit<PromptCheckDeps, 'contentSafety'>, tenant: Tenant, request: JobRequest, log: Logger): Promise<void> {
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
}

/** The classifier's verdict on a prompt the screen let through; throws on a refusal. */
export async function classifyPrompt(services: Pick<PromptCheckDeps, 'contentSafety' | 'safetyEvents' | 'refusalReports'>, tenant: Tenant, request: JobRequest, log: Logger): Promise<ClassifierResult | undefined> {
  // Every prompt the screen lets through; fails closed (503) when the classifier gives no verdict.
  const verdict = await checkWithClassifier(services, tenant, request.prompt, log);
  if (verdict?.refused) {
    await refuseSelfHarmSignal(services, tenant, request, log, verdict);
    await recordRefusal(services, { tenantId: tenant.id, layer: 'classifier', categories: verdict.categories, request }, log);
    throw new BadRequestError('PromptBlocked', 'This prompt is not right for school pictures. Please describe the picture differently.', { target: 'prompt' });
  }
  return verdict;
}
