import { z } from 'zod';
import { queueMessageCodec } from '../storage/queueMessage';

/**
 * The message on the `image-jobs` queue: only the job id, so that it stays far below the queue's
 * 64 KiB limit (48 KiB of payload once base64-encoded) whatever the prompt; the job record holds the rest.
 */
const jobMessageSchema = z.strictObject({
  jobId: z.uuid(),
});

export type JobMessage = z.infer<typeof jobMessageSchema>;

const codec = queueMessageCodec(jobMessageSchema);

/** The message for a job, as an output binding sends it (the host encodes it as host.json says). */
export const jobMessageFor = (jobId: string): JobMessage => jobMessageSchema.parse({ jobId });
export const parseJobMessage = (input: unknown): JobMessage | undefined => codec.parse(input);
export const encodeJobMessage = (message: JobMessage): string => codec.encode(message);
