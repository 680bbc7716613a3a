import { z } from 'zod';
import { queueMessageCodec } from './queueMessage';
import { activeTraceparent, traceparentPattern } from '../telemetry/traceparent';

/**
 * The message on the `image-jobs` queue: only the job id, so that it stays far below the queue's
 * 64 KiB limit (48 KiB of payload once base64-encoded) whatever the prompt; the job record holds the rest.
 * `traceparent` (W3C) continues the sender's trace in the worker, since queue messages carry no trace
 * context of their own; messages from before it, or sent with telemetry off, have none and stay valid.
 */
const jobMessageSchema = z.strictObject({
  jobId: z.uuid(),
  traceparent: z.string().regex(traceparentPattern).optional(),
});

export type JobMessage = z.infer<typeof jobMessageSchema>;

const codec = queueMessageCodec(jobMessageSchema);

/**
 * The message for a job, as an output binding sends it (the host encodes it as host.json says), naming the
 * active span as the worker's parent when there is one.
 */
export const jobMessageFor = (jobId: string): JobMessage => {
  const traceparent = activeTraceparent();
  return jobMessageSchema.parse(traceparent ? { jobId, traceparent } : { jobId });
};
export const parseJobMessage = (input: unknown): JobMessage | undefined => codec.parse(input);
export const encodeJobMessage = (message: JobMessage): string => codec.encode(message);
