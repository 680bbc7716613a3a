import { z } from 'zod';
import { BadRequestError } from '../errors';

/** The paging and time parameters every listing shares, so each says the same and checks the same. */
export function sinceQuery(description: string) {
  return z.iso.datetime({ offset: true, error: 'since must be a date and time such as 2026-11-25T08:00:00Z' }).optional().meta({ description });
}

export function topQuery(max: number, description: string) {
  const message = `top must be a whole number from 1 to ${max}`;
  return z.string().regex(/^\d+$/, message).transform(Number).pipe(z.int().min(1, message).max(max, message)).optional().meta({ description });
}

export function continuationTokenQuery(maxChars = 4096) {
  return z.string().min(1).max(maxChars).optional().meta({ description: "From the previous page's nextLink: opaque, pass it back as it is." });
}

/** Parses a listing's query with its schema: the first problem becomes a 400 naming the parameter. */
export function parseListQuery<Schema extends z.ZodObject>(schema: Schema, query: Record<string, string>): z.infer<Schema> {
  const parsed = schema.safeParse(query);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  if (issue?.code === 'unrecognized_keys') {
    const name = issue.keys[0] ?? 'query';
    return badQuery(name, `Unknown query parameter '${name.slice(0, 40)}'. Allowed: ${Object.keys(schema.shape).join(', ')}.`);
  }
  return badQuery(String(issue?.path[0] ?? 'query'), issue?.message ?? 'The query is not valid.');
}

/**
 * Whether a listing that was given a continuationToken failed because of the token: an edited or foreign one
 * makes the SDK throw before any request (not a RestError), or Table storage answer 400 for keys it cannot
 * read. Storage's other failures (5xx, throttling) stay outages, answered 503.
 */
export function failedOnToken(error: unknown): boolean {
  if (!(error instanceof Error && error.name === 'RestError')) return true;
  return 'statusCode' in error && error.statusCode === 400;
}

export function badQuery(target: string, message: string): never {
  throw new BadRequestError('InvalidField', message, { target });
}
