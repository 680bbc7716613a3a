import { z } from 'zod';
import { queueMessageCodec } from '../storage/queueMessage';
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

const codec = queueMessageCodec(deliveryMessageSchema);

export const parseDeliveryMessage = (input: unknown): DeliveryMessage | undefined => codec.parse(input);
export const encodeDeliveryMessage = (message: DeliveryMessage): string => codec.encode(message);
