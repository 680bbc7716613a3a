import type { QueueClient } from '@azure/storage-queue';
import type { z } from 'zod';

/**
 * One schema per queue message, checked at both ends. host.json sets `messageEncoding` to base64 (the
 * Functions default), so the trigger decodes base64 before it hands a message to the function, and senders
 * encode to match. The trigger's input arrives as parsed JSON or as a string; both are accepted.
 */
export interface QueueMessageCodec<T> {
  /** The message, or undefined for anything that is not one (retrying cannot make it valid). */
  parse(input: unknown): T | undefined;
  encode(message: T): string;
}

export function queueMessageCodec<S extends z.ZodType>(schema: S): QueueMessageCodec<z.infer<S>> {
  return {
    parse(input) {
      let value = input;
      if (typeof input === 'string') {
        try {
          value = JSON.parse(input);
        } catch {
          return undefined;
        }
      }
      const parsed = schema.safeParse(value);
      return parsed.success ? parsed.data : undefined;
    },
    encode(message) {
      return Buffer.from(JSON.stringify(schema.parse(message)), 'utf8').toString('base64');
    },
  };
}

/** Azure Storage allows a message to stay invisible for at most 7 days. */
const maxDelayInSeconds = 7 * 24 * 60 * 60;

/** Sends an encoded message, visible after `delayInSeconds` (rounded up, within what Azure allows). */
export async function sendMessage(queue: QueueClient, text: string, delayInSeconds = 0): Promise<void> {
  const delay = Math.min(maxDelayInSeconds, Math.max(0, Math.ceil(delayInSeconds)));
  await queue.sendMessage(text, delay > 0 ? { visibilityTimeout: delay } : {});
}
