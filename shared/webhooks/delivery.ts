import type { Tenant } from '../config/tenants';
import type { JobRecord } from '../jobs/job';
import { renderJob, type ViewDeps } from '../views/jobView';
import { recordWebhookAttempt } from '../jobs/transitions';
import type { Logger } from '../logger';
import type { AppConfig } from '../config/config';
import type { JobStore } from '../storage/jobStore';
import type { SafetyEvent, SafetyEventStore } from '../storage/safetyEventStore';
import type { WebhookQueue } from './outbox/webhookQueue';
import { queueSafetyRefused, webhookTargetFor } from './outbox/outbox';
import { decideDelivery, defaultDeliveryPolicy, type AttemptOutcome, type DeliveryDecision, type DeliveryPolicyOptions } from './deliveryPolicy';
import { parseDeliveryMessage, type DeliveryMessage, type JobDeliveryMessage, type SafetyDeliveryMessage } from './outbox/deliveryMessage';
import { safetyRefusedEventType, safetyUrgentEventType, safetyWebhookIdFor, webhookIdFor, type WebhookEventType } from './outbox/eventTypes';
import type { SafetyWebhookEvent, WebhookEvent } from './events';
import { renderSafetyEvent } from '../safety/safetyEventListing';
import { sendWebhook, type SendResult } from './sender';
import { signWebhook } from './signing';
import { jobMetrics } from '../telemetry/metrics';
import { annotateActiveSpan, SpanKind, withSpan } from '../telemetry/spans';

/**
 * Webhook delivery: queued when a job ends (outbox/outbox.ts, from storage/jobEvents.ts), sent by the deliverWebhook queue function,
 * one attempt per message. Each attempt is recorded in the job's delivery log; a retry is a new message with
 * a delay from the pure policy (deliveryPolicy.ts). The body is the job as a status read shows it to the
 * tenant (fresh image links), in the Standard Webhooks envelope `{ type, timestamp, data }`.
 */

/** What delivering reads and writes: the job (rendered as a status read shows it) or the safety event, and the queue for the next attempt. */
export interface DeliveryDeps extends ViewDeps {
  readonly config: ViewDeps['config'] & Pick<AppConfig, 'tenants' | 'webhooks' | 'publicBaseUrl'>;
  readonly jobs: Pick<JobStore, 'get' | 'update'>;
  readonly webhookQueue: Pick<WebhookQueue, 'enqueue'>;
  readonly safetyEvents: Pick<SafetyEventStore, 'get' | 'recordWebhookAttempt'>;
}

/**
 * The urgent webhook's first attempt is made in the submit itself, so the school hears at once (a message
 * sent with the SDK waits for the queue's next poll, up to maxPollingInterval). A backup message with this
 * delay is queued first: if the instance dies during that attempt, the backup makes it. When the attempt was
 * made, the backup finds it in the event's log and is dropped.
 */
export const urgentBackupDelayInSeconds = 60;
/** The child waits for the answer while this attempt runs: at most this long; a slow receiver is retried from the queue. */
const urgentInlineTimeoutInMs = 5_000;

/**
 * Sends the safety.urgent webhook of an urgent event at once, and then the event's safety.refused follows it
 * (queued when the urgent one is delivered or given up: deliverSafetyWebhook), so a receiver always gets the
 * urgent one first. At least once: the backup message is queued before the attempt. Nothing when the school
 * has no webhook.url (the event is still listed with urgent: true).
 */
export async function sendUrgentSafetyWebhook(services: SafetyDeliveryDeps, event: SafetyEvent, context: DeliveryContext): Promise<void> {
  const webhook = services.config.tenants.find((tenant) => tenant.id === event.tenantId)?.webhook;
  if (!webhook?.url) return;
  const message: SafetyDeliveryMessage = { tenantId: event.tenantId, safetyEventId: event.id, createdDateTime: event.createdDateTime, type: safetyUrgentEventType, attempt: 1 };
  await services.webhookQueue.enqueue(message, { delayInSeconds: urgentBackupDelayInSeconds });
  await deliverSafetyWebhook(services, message, { ...context, timeoutInMs: Math.min(urgentInlineTimeoutInMs, services.config.webhooks.timeoutInSeconds * 1000) });
}

export interface DeliveryContext {
  readonly log: Logger;
  /** The whole attempt's limit; the WEBHOOK_TIMEOUT_SECONDS setting unless shorter here. */
  readonly timeoutInMs?: number;
  readonly now?: () => number;
  readonly random?: () => number;
  readonly policy?: DeliveryPolicyOptions;
}

/** The webhook body: the Standard Webhooks envelope around the job as its tenant sees it. */
export async function webhookBody(services: ViewDeps & { readonly config: Pick<AppConfig, 'publicBaseUrl'> }, tenant: Tenant, job: JobRecord, type: WebhookEventType, at: Date): Promise<string> {
  const jobUrl = job.location ?? `${services.config.publicBaseUrl ?? ''}/api/jobs/${job.id}`;
  const data = await renderJob(services, job, { caller: { kind: 'tenant', tenant }, jobUrl, now: at });
  const event: WebhookEvent = { type, timestamp: at.toISOString(), data };
  return JSON.stringify(event);
}

/**
 * Handles one message of the `webhook-deliveries` queue: one attempt, recorded, and the next one queued if
 * due; in a span of the job's trace (the message's traceparent), so every attempt shows under the job.
 */
export async function deliverWebhook(services: DeliveryDeps, input: unknown, context: DeliveryContext): Promise<void> {
  const message = parseDeliveryMessage(input);
  if (!message) {
    context.log.error('Dropped a webhook queue message that is not a delivery message.');
    return;
  }
  const facts = 'safetyEventId' in message ? { schoolId: message.tenantId, safetyEventId: message.safetyEventId } : { jobId: message.jobId };
  return withSpan(
    'webhook.deliver',
    { ...facts, webhookType: message.type, attempt: message.attempt },
    () => ('safetyEventId' in message ? deliverSafetyWebhook(services, message, context) : deliverJobWebhook(services, message, context)),
    { kind: SpanKind.CONSUMER, ...(message.traceparent ? { traceparent: message.traceparent } : {}) },
  );
}

async function deliverJobWebhook(services: DeliveryDeps, message: JobDeliveryMessage, context: DeliveryContext): Promise<void> {
  const { log } = context;
  const now = context.now ?? Date.now;
  const job = await services.jobs.get(message.jobId);
  // An erased job sends nothing more (its data is gone on purpose).
  if (!job) return log.log(`Webhook for job ${message.jobId}: the job is gone; not sent.`);
  const tenant = services.config.tenants.find((candidate) => candidate.id === job.tenantId);
  const target = webhookTargetFor(services.config.tenants, job);
  if (!tenant || !target) return log.warn(`Webhook for job ${job.id}: its tenant has no webhook secret or target now; not sent.`);
  const id = webhookIdFor(job.id, message.type);
  const logged = job.webhooks?.find((delivery) => delivery.id === id);
  if (logged && (logged.state !== 'Pending' || logged.attemptCount >= message.attempt)) {
    return log.log(`Webhook ${id}: attempt ${message.attempt} already made; duplicate message dropped.`);
  }

  const attemptAt = now();
  const firstAttemptAt = message.firstAttemptDateTime ? Date.parse(message.firstAttemptDateTime) : attemptAt;
  const body = await webhookBody(services, tenant, job, message.type, new Date(attemptAt));
  const sent: SendResult = await sendWebhook(target.url, signWebhook(target.secrets, id, new Date(attemptAt), body), body, {
    allowPrivateTargets: services.config.webhooks.allowPrivateTargets,
    timeoutInMs: services.config.webhooks.timeoutInSeconds * 1000,
  });
  const decision = decideDelivery(sent.outcome, { attempt: message.attempt, firstAttemptAt, now: now(), random: (context.random ?? Math.random)() }, context.policy ?? defaultDeliveryPolicy);
  // The next attempt is queued before this one is recorded: a crash in between repeats an attempt (same
  // webhook-id, so the receiver drops it) rather than losing the rest of the schedule.
  if (decision.kind === 'retry') {
    await services.webhookQueue.enqueue(
      { jobId: job.id, type: message.type, attempt: message.attempt + 1, firstAttemptDateTime: new Date(firstAttemptAt).toISOString() },
      { delayInSeconds: (decision.at - now()) / 1000 },
    );
  }
  await services.jobs.update(job.id, (current) =>
    recordWebhookAttempt(current, {
      id,
      type: message.type,
      attempt: message.attempt,
      result: attemptResult(sent, attemptAt),
      state: decision.kind === 'delivered' ? 'Delivered' : decision.kind === 'retry' ? 'Pending' : 'Failed',
      ...(decision.kind === 'retry' ? { nextAttemptAt: decision.at } : {}),
    }),
  );
  reportAttempt(id, message, sent, decision, log);
}

/** A safety event's delivery: no job to render. */
export interface SafetyDeliveryDeps {
  readonly config: Pick<AppConfig, 'tenants' | 'webhooks'>;
  readonly webhookQueue: Pick<WebhookQueue, 'enqueue'>;
  readonly safetyEvents: Pick<SafetyEventStore, 'get' | 'recordWebhookAttempt'>;
}

/** One attempt of a safety.refused or safety.urgent webhook: the same sender, signature and retry policy as a job's. */
async function deliverSafetyWebhook(services: SafetyDeliveryDeps, message: SafetyDeliveryMessage, context: DeliveryContext): Promise<void> {
  const { log } = context;
  const now = context.now ?? Date.now;
  const urgent = message.type === safetyUrgentEventType;
  const id = safetyWebhookIdFor(message.safetyEventId, message.type);
  const found = await services.safetyEvents.get(message.tenantId, message.safetyEventId, message.createdDateTime);
  // An erased event (retention, or with its job) sends nothing more: its data is gone on purpose.
  if (!found) return log.log(`Webhook ${id}: the safety event is gone; not sent.`);
  const webhook = services.config.tenants.find((tenant) => tenant.id === message.tenantId)?.webhook;
  if (!webhook?.url) return log.warn(`Webhook ${id}: its tenant has no webhook url or secret now; not sent.`);
  const logged = urgent ? found.urgentWebhook : found.webhook;
  if (logged && (logged.state !== 'Pending' || logged.attemptCount >= message.attempt)) {
    return log.log(`Webhook ${id}: attempt ${message.attempt} already made; duplicate message dropped.`);
  }
  const attemptAt = now();
  const firstAttemptAt = message.firstAttemptDateTime ? Date.parse(message.firstAttemptDateTime) : attemptAt;
  const timestamp = new Date(attemptAt).toISOString();
  const eventData = renderSafetyEvent(found.event);
  const event: SafetyWebhookEvent = urgent ? { type: safetyUrgentEventType, timestamp, data: eventData } : { type: safetyRefusedEventType, timestamp, data: eventData };
  const body = JSON.stringify(event);
  const sent = await sendWebhook(webhook.url, signWebhook(webhook.secrets, id, new Date(attemptAt), body), body, {
    allowPrivateTargets: services.config.webhooks.allowPrivateTargets,
    timeoutInMs: context.timeoutInMs ?? services.config.webhooks.timeoutInSeconds * 1000,
  });
  const decision = decideDelivery(sent.outcome, { attempt: message.attempt, firstAttemptAt, now: now(), random: (context.random ?? Math.random)() }, context.policy ?? defaultDeliveryPolicy);
  if (decision.kind === 'retry') {
    await services.webhookQueue.enqueue({ ...message, attempt: message.attempt + 1, firstAttemptDateTime: new Date(firstAttemptAt).toISOString() }, { delayInSeconds: (decision.at - now()) / 1000 });
  } else if (urgent) {
    // The event's safety.refused follows its urgent one, never overtakes it. Queued before the attempt is
    // recorded: a crash in between repeats the urgent attempt (same webhook-id), never loses the refused one.
    await queueSafetyRefused(services, message);
  }
  await services.safetyEvents.recordWebhookAttempt(
    message.tenantId,
    message.safetyEventId,
    message.createdDateTime,
    { attemptCount: message.attempt, state: decision.kind === 'delivered' ? 'Delivered' : decision.kind === 'retry' ? 'Pending' : 'Failed' },
    { urgent },
  );
  reportAttempt(id, message, sent, decision, log);
}

/**
 * Logs, counts and annotates one attempt. Giving up is an error: the school's receiver will not hear of the
 * event, and an operator must (docs/operations.md, "A webhook receiver is down").
 */
function reportAttempt(id: string, message: DeliveryMessage, sent: SendResult, decision: DeliveryDecision, log: Logger): void {
  const what = describe(sent.outcome);
  const outcome = decision.kind === 'delivered' ? 'delivered' : decision.kind === 'retry' ? 'retry' : 'failed';
  jobMetrics.webhookDelivery({ type: message.type, outcome });
  annotateActiveSpan({ webhookId: id, outcome, ...('statusCode' in sent.outcome ? { statusCode: sent.outcome.statusCode } : {}) });
  if (decision.kind === 'delivered') log.log(`Webhook ${id}: delivered on attempt ${message.attempt} (${what}).`);
  else if (decision.kind === 'retry') log.log(`Webhook ${id}: attempt ${message.attempt} failed (${what}); next try at ${new Date(decision.at).toISOString()}.`);
  else log.error(`Webhook ${id}: gave up after attempt ${message.attempt} (${what}; ${decision.reason}); marked Failed.`);
}

function attemptResult(sent: SendResult, at: number) {
  const { outcome } = sent;
  return {
    at: new Date(at).toISOString(),
    durationMs: sent.durationMs,
    ...('statusCode' in outcome ? { statusCode: outcome.statusCode } : {}),
    ...(outcome.kind !== 'delivered' ? { error: describe(outcome) } : {}),
  };
}

function describe(outcome: AttemptOutcome): string {
  switch (outcome.kind) {
    case 'delivered':
      return `HTTP ${outcome.statusCode}`;
    case 'rejected':
      return outcome.statusCode >= 300 && outcome.statusCode < 400 ? `HTTP ${outcome.statusCode}: redirects are not followed` : `HTTP ${outcome.statusCode}`;
    case 'unreachable':
      return outcome.reason;
    case 'refused':
      return `target refused: ${outcome.reason}`;
  }
}
