import { z } from 'zod';
import { queueMessageCodec } from '../../storage/queueMessage';
import { safetyEventTypes, webhookEventTypes } from './eventTypes';
import { traceparentPattern } from '../../telemetry/traceparent';

/**
 * The message on the `webhook-deliveries` queue: one per attempt. A retry is a new message, sent with a
 * delay, carrying the next attempt number and the time of the first attempt (the retry window counts from it).
 */
const jobDeliveryMessageSchema = z.strictObject({
  jobId: z.uuid(),
  type: z.enum(webhookEventTypes),
  /** 1 for the first attempt. */
  attempt: z.int().min(1).max(1000),
  firstAttemptDateTime: z.iso.datetime().optional(),
  /** The trace of the job (or of the attempt before), W3C; absent in older messages and with telemetry off. */
  traceparent: z.string().regex(traceparentPattern).optional(),
});

/** A safety event's webhook: the event is found by its tenant, id and time (its Table storage key). */
const safetyDeliveryMessageSchema = z.strictObject({
  tenantId: z.string().min(1).max(32),
  safetyEventId: z.uuid(),
  createdDateTime: z.iso.datetime(),
  type: z.enum(safetyEventTypes),
  attempt: z.int().min(1).max(1000),
  firstAttemptDateTime: z.iso.datetime().optional(),
  traceparent: z.string().regex(traceparentPattern).optional(),
});

const deliveryMessageSchema = z.union([jobDeliveryMessageSchema, safetyDeliveryMessageSchema]);

export type JobDeliveryMessage = z.infer<typeof jobDeliveryMessageSchema>;
export type SafetyDeliveryMessage = z.infer<typeof safetyDeliveryMessageSchema>;
export type DeliveryMessage = z.infer<typeof deliveryMessageSchema>;

const codec = queueMessageCodec(deliveryMessageSchema);

export const parseDeliveryMessage = (input: unknown): DeliveryMessage | undefined => codec.parse(input);
export const encodeDeliveryMessage = (message: DeliveryMessage): string => codec.encode(message);
