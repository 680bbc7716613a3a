import { z } from 'zod';
import { webhookEventTypes } from './events';

/**
 * The message on the `webhook-deliveries` queue: one per attempt. A retry is a new message, sent with a
 * delay, carrying the next attempt number and the time of the first attempt (the retry window counts from it).
 */
const deliveryMessageSchema = z.strictObject({
  jobId: z.uuid(),
  type: z.enum(webhookEventTypes),
  /** 1 for the first attempt. */
  attempt: z.int().min(1).max(1000),
  firstAttemptDateTime: z.iso.datetime().optional(),
});

export type DeliveryMessage = z.infer<typeof deliveryMessageSchema>;

/** Accepts the trigger's input as the Functions runtime gives it: parsed JSON, or a string. */
export function parseDeliveryMessage(input: unknown): DeliveryMessage | undefined {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch {
      return undefined;
    }
  }
  const parsed = deliveryMessageSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** base64, as host.json's messageEncoding expects (see jobs/jobMessage.ts). */
export function encodeDeliveryMessage(message: DeliveryMessage): string {
  return Buffer.from(JSON.stringify(deliveryMessageSchema.parse(message)), 'utf8').toString('base64');
}
