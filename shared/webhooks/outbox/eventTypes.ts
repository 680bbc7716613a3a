import type { JobRecord } from '../../jobs/job';

/**
 * Webhook events: a job's end (`job.*`, to the job's callbackUrl or the school's webhook.url), a refused
 * prompt (`safety.refused`, to the school's webhook.url only: a school-level receiver, for its teachers) and
 * a child who may be at risk (`safety.urgent`, the same receiver, sent at once and before the event's
 * safety.refused). Receivers must ignore types they do not know.
 */
export const webhookEventTypes = ['job.succeeded', 'job.failed', 'job.canceled'] as const;
export type WebhookEventType = (typeof webhookEventTypes)[number];

/** The event a job's status raises, if any. */
export function eventTypeFor(job: Pick<JobRecord, 'status'>): WebhookEventType | undefined {
  switch (job.status) {
    case 'Succeeded':
      return 'job.succeeded';
    case 'Failed':
      return 'job.failed';
    case 'Canceled':
      return 'job.canceled';
    default:
      return undefined;
  }
}

/**
 * The `webhook-id`: derived from the job and the event, so every retry and every duplicate message of the
 * same event carries the same id, and a receiver can drop what it has already handled.
 */
export function webhookIdFor(jobId: string, type: WebhookEventType): string {
  return `msg_${jobId.replaceAll('-', '')}_${type.replace('.', '_')}`;
}

/** A refused prompt, from any layer; its body's data is the safety event as GET /api/safety-events lists it. */
export const safetyRefusedEventType = 'safety.refused';

/** An urgent safety event (a self-harm signal in the first person); its data is the same safety event. */
export const safetyUrgentEventType = 'safety.urgent';
export const safetyEventTypes = [safetyRefusedEventType, safetyUrgentEventType] as const;
export type SafetyEventType = (typeof safetyEventTypes)[number];

/** Derived from the safety event and the type, so every retry (and every duplicate message) carries the same id. */
export function safetyWebhookIdFor(eventId: string, type: SafetyEventType = safetyRefusedEventType): string {
  return `msg_${eventId.replaceAll('-', '')}_${type.replace('.', '_')}`;
}

