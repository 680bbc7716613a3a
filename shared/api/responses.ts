import { z } from 'zod';

/** The building blocks the document's paths share: references, JSON and error answers, query parameters. */

export type Json = Record<string, unknown>;

export const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** A query parameter for each field of a listing query schema, with its JSON Schema. */
export function listQueryParameters(schema: z.ZodObject): Json[] {
  return Object.entries(schema.shape).map(([name, field]) => {
    const { $schema: _schema, description, ...schema } = z.toJSONSchema(field, { io: 'input', unrepresentable: 'any' }) as Json;
    return { name, in: 'query', required: false, schema, ...(typeof description === 'string' ? { description } : {}) };
  });
}

/** An error response whose examples name the codes it can carry. */
export function errorResponse(description: string, codes: readonly string[], headers: Json = {}): Json {
  return {
    description: `${description} Codes: ${codes.join(', ')}.`,
    headers,
    content: {
      'application/json': {
        schema: ref('Error'),
        examples: Object.fromEntries(codes.map((code) => [code, { value: { error: { code, message: `(${code}: a sentence saying what to do)` } } }])),
      },
    },
  };
}

export function jsonResponse(description: string, schema: string, example?: unknown, headers: Json = {}): Json {
  return { description, headers, content: { 'application/json': { schema: ref(schema), ...(example !== undefined ? { example } : {}) } } };
}

export const retryAfterHeader = { $ref: '#/components/headers/Retry-After' };
export const unauthorized = errorResponse('No valid api-key header.', ['Unauthorized'], { 'WWW-Authenticate': { schema: { type: 'string' } } });
export const unavailable = errorResponse('Storage is not available right now; retry after Retry-After.', ['ServiceUnavailable'], { 'Retry-After': retryAfterHeader });
