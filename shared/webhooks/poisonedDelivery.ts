import { failWebhookDelivery } from '../jobs/transitions';
import type { Logger } from '../logger';
import type { JobStore } from '../storage/jobStore';
import type { SafetyEventStore } from '../storage/safetyEventStore';
import type { WebhookQueue } from './outbox/webhookQueue';
import { jobMetrics } from '../telemetry/metrics';
import { SpanKind, withSpan } from '../telemetry/spans';
import { parseDeliveryMessage } from './outbox/deliveryMessage';
import { safetyUrgentEventType, safetyWebhookIdFor, webhookIdFor } from './outbox/eventTypes';
import { queueSafetyRefused } from './outbox/outbox';

/**
 * Handles a message of `webhook-deliveries-poison`: a delivery whose function failed maxDequeueCount times
 * (not a receiver that said no, which the retry policy handles; a fault of ours or of storage). No attempt
 * follows, so the delivery is marked Failed in the job's log or the safety event's, counted, and logged as an
 * error for the operator. An urgent safety webhook that ends so still lets its safety.refused follow.
 */
const reason = 'given up: the delivery kept failing on our side and went to the poison queue';

export interface PoisonedDeliveryDeps {
  readonly jobs: Pick<JobStore, 'update'>;
  readonly safetyEvents: Pick<SafetyEventStore, 'recordWebhookAttempt'>;
  readonly webhookQueue: Pick<WebhookQueue, 'enqueue'>;
}

export async function failPoisonedDelivery(services: PoisonedDeliveryDeps, input: unknown, log: Logger, now: () => number = Date.now): Promise<void> {
  const message = parseDeliveryMessage(input);
  if (!message) {
    log.error('Dropped a webhook poison message that is not a delivery message.');
    return;
  }
  await withSpan(
    'webhook.poisoned',
    { ...('safetyEventId' in message ? { schoolId: message.tenantId, safetyEventId: message.safetyEventId } : { jobId: message.jobId }), webhookType: message.type, attempt: message.attempt, outcome: 'poisoned' },
    async (span) => {
      jobMetrics.webhookDelivery({ type: message.type, outcome: 'poisoned' });
      span.fail('WebhookPoisoned');
      if ('safetyEventId' in message) {
        const urgent = message.type === safetyUrgentEventType;
        const id = safetyWebhookIdFor(message.safetyEventId, message.type);
        await services.safetyEvents.recordWebhookAttempt(message.tenantId, message.safetyEventId, message.createdDateTime, { attemptCount: message.attempt, state: 'Failed' }, { urgent });
        if (urgent) await queueSafetyRefused(services, message);
        log.error(`Webhook ${id}: its delivery message was poisoned at attempt ${message.attempt}; marked Failed.`);
        return;
      }
      const id = webhookIdFor(message.jobId, message.type);
      const job = await services.jobs.update(message.jobId, (current) => failWebhookDelivery(current, { id, type: message.type, attempt: message.attempt, at: now(), reason }));
      log.error(`Webhook ${id}: its delivery message was poisoned at attempt ${message.attempt}; ${job ? 'marked Failed' : 'the job is gone'}.`);
    },
    { kind: SpanKind.CONSUMER, ...(message.traceparent ? { traceparent: message.traceparent } : {}) },
  );
}
