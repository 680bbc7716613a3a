import { z } from 'zod';

/**
 * The message on the `image-jobs` queue: only the job id, so that it stays far below the queue's
 * 64 KiB limit (48 KiB of payload once base64-encoded) whatever the prompt; the job record holds the rest.
 */
const jobMessageSchema = z.strictObject({
  jobId: z.uuid(),
});

export type JobMessage = z.infer<typeof jobMessageSchema>;

/** Accepts the trigger's input as the Functions runtime gives it: parsed JSON, or a string. */
export function parseJobMessage(input: unknown): JobMessage | undefined {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch {
      return undefined;
    }
  }
  const parsed = jobMessageSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/**
 * The text to put on the queue. host.json sets `messageEncoding` to base64 (the Functions default), so the
 * trigger decodes base64 before it hands the message to the function; senders must encode to match.
 */
export function encodeJobMessage(message: JobMessage): string {
  return Buffer.from(JSON.stringify(jobMessageSchema.parse(message)), 'utf8').toString('base64');
}
