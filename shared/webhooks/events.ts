import { z } from 'zod';
import { jobResourceSchema } from '../views/jobView';
import { safetyEventSchema } from '../safety/safetyEventListing';
import { safetyRefusedEventType, safetyUrgentEventType, webhookEventTypes } from './outbox/eventTypes';

/** The bodies of the webhook events (outbox/eventTypes.ts names them): the OpenAPI document is made from these schemas. */

/** A webhook's body: the Standard Webhooks envelope around the job as a status read shows it to its tenant. */
export const webhookEventSchema = z
  .object({
    type: z.enum(webhookEventTypes),
    timestamp: z.string().meta({ description: 'When this attempt was made (ISO 8601); the webhook-timestamp header says the same in Unix seconds.' }),
    data: jobResourceSchema,
  })
  .meta({ id: 'WebhookEvent' });
export type WebhookEvent = z.infer<typeof webhookEventSchema>;

export const safetyWebhookEventSchema = z
  .object({
    type: z.literal(safetyRefusedEventType),
    timestamp: z.string().meta({ description: 'When this attempt was made (ISO 8601).' }),
    data: safetyEventSchema,
  })
  .meta({ id: 'SafetyWebhookEvent' });

export const safetyUrgentWebhookEventSchema = z
  .object({
    type: z.literal(safetyUrgentEventType),
    timestamp: z.string().meta({ description: 'When this attempt was made (ISO 8601).' }),
    data: safetyEventSchema,
  })
  .meta({ id: 'SafetyUrgentWebhookEvent' });

export type SafetyWebhookEvent = z.infer<typeof safetyWebhookEventSchema> | z.infer<typeof safetyUrgentWebhookEventSchema>;
