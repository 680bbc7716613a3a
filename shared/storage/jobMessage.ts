import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { queueMessageCodec } from './queueMessage';
import { activeTraceparent, traceparentPattern } from '../telemetry/traceparent';

/**
 * The message on the `image-jobs` queue: only the job id, so that it stays far below the queue's
 * 64 KiB limit (48 KiB of payload once base64-encoded) whatever the prompt; the job record holds the rest.
 * `traceparent` (W3C) continues the sender's trace in the worker, since queue messages carry no trace
 * context of their own; messages from before it, or sent with telemetry off, have none and stay valid.
 *
 * A message is a ticket to run one waiting job, the fairest when its turn comes (worker/tickets.ts), not
 * necessarily the one it names. `ticket` names the ticket in the line's claims: unlike the queue's message
 * id it survives the move to the poison queue, so the poison handler finds the job its ticket had claimed.
 * Messages from before it have none; the worker then uses the message id.
 */
const jobMessageSchema = z.strictObject({
  jobId: z.uuid(),
  ticket: z.uuid().optional(),
  traceparent: z.string().regex(traceparentPattern).optional(),
});

export type JobMessage = z.infer<typeof jobMessageSchema>;

const codec = queueMessageCodec(jobMessageSchema);

/**
 * A new message for a job, with a ticket of its own, as an output binding sends it (the host encodes it as
 * host.json says), naming the active span as the worker's parent when there is one.
 */
export const jobMessageFor = (jobId: string, ticket: string = randomUUID()): JobMessage => {
  const traceparent = activeTraceparent();
  return jobMessageSchema.parse({ jobId, ticket, ...(traceparent ? { traceparent } : {}) });
};
export const parseJobMessage = (input: unknown): JobMessage | undefined => codec.parse(input);
export const encodeJobMessage = (message: JobMessage): string => codec.encode(message);
