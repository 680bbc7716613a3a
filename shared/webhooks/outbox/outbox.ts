import type { AppConfig } from '../../config/config';
import type { Tenant } from '../../config/tenants';
import type { JobRecord } from '../../jobs/job';
import type { SafetyEvent } from '../../storage/safetyEventStore';
import type { SafetyDeliveryMessage } from './deliveryMessage';
import { eventTypeFor, safetyRefusedEventType, webhookIdFor } from './eventTypes';
import type { WebhookQueue } from './webhookQueue';

/**
 * The webhook outbox: what decides that a webhook is owed and puts its first message on the
 * `webhook-deliveries` queue. Sending is the deliverWebhook function's (webhooks/delivery.ts). The job store's
 * status follow-up (storage/jobEvents.ts) calls `queueWebhookFor`, and a refusal's report (wired in
 * functions/lib/services.ts) calls `queueSafetyWebhookFor`.
 */
export interface OutboxDeps {
  readonly config: Pick<AppConfig, 'tenants'>;
  readonly webhookQueue: Pick<WebhookQueue, 'enqueue'>;
}

export interface WebhookTarget {
  readonly url: string;
  readonly secrets: readonly string[];
}

/** Where a job's webhooks go: its callbackUrl, else its tenant's default; none without a signing secret. */
export function webhookTargetFor(tenants: readonly Tenant[], job: Pick<JobRecord, 'tenantId' | 'request'>): WebhookTarget | undefined {
  const webhook = tenants.find((tenant) => tenant.id === job.tenantId)?.webhook;
  const url = job.request.callbackUrl ?? webhook?.url;
  return url && webhook ? { url, secrets: webhook.secrets } : undefined;
}

/** Queues the webhook of a job that has ended, unless it has none or it was queued before (its log has it). */
export async function queueWebhookFor(services: OutboxDeps, job: JobRecord): Promise<void> {
  const type = eventTypeFor(job);
  if (!type || !webhookTargetFor(services.config.tenants, job)) return;
  if (job.webhooks?.some((delivery) => delivery.id === webhookIdFor(job.id, type))) return;
  await services.webhookQueue.enqueue({ jobId: job.id, type, attempt: 1 });
}

/**
 * Queues the safety.refused webhook of a refusal, when its school has a webhook.url and a secret. Only the
 * school's own receiver gets it: a job's callbackUrl is for that job's events.
 */
export async function queueSafetyWebhookFor(services: OutboxDeps, event: SafetyEvent): Promise<void> {
  const webhook = services.config.tenants.find((tenant) => tenant.id === event.tenantId)?.webhook;
  if (!webhook?.url) return;
  await queueSafetyRefused(services, { tenantId: event.tenantId, safetyEventId: event.id, createdDateTime: event.createdDateTime });
}

/** The first attempt of an event's safety.refused: at a refusal, or once its safety.urgent has ended (delivered, given up, poisoned). */
export function queueSafetyRefused(services: Pick<OutboxDeps, 'webhookQueue'>, event: Pick<SafetyDeliveryMessage, 'tenantId' | 'safetyEventId' | 'createdDateTime'>): Promise<void> {
  return services.webhookQueue.enqueue({ tenantId: event.tenantId, safetyEventId: event.safetyEventId, createdDateTime: event.createdDateTime, type: safetyRefusedEventType, attempt: 1 });
}

