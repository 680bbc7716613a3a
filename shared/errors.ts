/**
 * The one error tree, in the style of openai-node: a class per HTTP status a client can be answered with,
 * each carrying a stable `code` and, where it concerns one field or header, its `target`. Anything thrown
 * that is not a ServiceError is unexpected: clients get a 500 without details (functions/lib/http.ts is
 * the one place that maps errors to responses).
 */

import { z } from 'zod';

/** Every error answer's body (functions/lib/http.ts); a schema, so the OpenAPI document is made from it. */
export const errorBodySchema = z.object({
  error: z.object({
    code: z.string().meta({ description: 'Stable and machine-readable (InvalidField, NotFound, QuotaExceeded, …).' }),
    message: z.string().meta({ description: 'For a person; may change.' }),
    target: z.string().optional().meta({ description: 'The field, header or query parameter concerned.' }),
    innererror: z
      .object({ code: z.string() })
      .optional()
      .meta({ description: 'A more specific code where one helps the caller act (Azure REST guidelines): e.g. PromptBlocked has Bullying or SelfHarmSignal.' }),
  }),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;

export interface ServiceErrorOptions {
  /** The field or header the error concerns. */
  readonly target?: string;
  /** When trying again can succeed (429, 503). */
  readonly retryAfterInSeconds?: number;
  /** A more specific code, answered as `innererror.code` (e.g. why a prompt was blocked, for a kinder message). */
  readonly innerCode?: string;
  readonly cause?: unknown;
}

export abstract class ServiceError extends Error {
  abstract readonly status: number;
  readonly target: string | undefined;
  readonly retryAfterInSeconds: number | undefined;
  readonly innerCode: string | undefined;

  constructor(
    readonly code: string,
    message: string,
    options: ServiceErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.target = options.target;
    this.retryAfterInSeconds = options.retryAfterInSeconds;
    this.innerCode = options.innerCode;
  }
}

/** A request the client can fix (400): its `code` says what (InvalidField, MissingField, …). */
export class BadRequestError extends ServiceError {
  readonly status = 400;
}

export class UnauthorizedError extends ServiceError {
  readonly status = 401;
}

export class ForbiddenError extends ServiceError {
  readonly status = 403;
}

/** Also what another tenant's job looks like, so ids cannot be probed. */
export class NotFoundError extends ServiceError {
  readonly status = 404;
}

export class ConflictError extends ServiceError {
  readonly status = 409;
}

/** Something that existed and was erased on purpose, and stays erased. */
export class GoneError extends ServiceError {
  readonly status = 410;
}

export class PayloadTooLargeError extends ServiceError {
  readonly status = 413;
}

export class UnsupportedMediaTypeError extends ServiceError {
  readonly status = 415;
}

/** A quota or rate (429); `retryAfterInSeconds` says when it resets. */
export class RateLimitError extends ServiceError {
  readonly status = 429;
}

/**
 * A dependency (storage, the content safety service) that cannot serve us right now; worth retrying later.
 * Details stay in the log. The code is ServiceUnavailable unless a more precise one helps the client
 * (SafetyCheckUnavailable: the prompt was not checked, so nothing was made).
 */
export class ServiceUnavailableError extends ServiceError {
  readonly status = 503;
  constructor(message: string, options: ServiceErrorOptions & { readonly code?: string } = {}) {
    const { code = 'ServiceUnavailable', ...rest } = options;
    super(code, message, { retryAfterInSeconds: 5, ...rest });
  }
}

/** A setting that is missing or wrong; thrown once at start-up, never answered to a client. */
export class ConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigurationError';
  }
}

/** A stored record that does not parse (corrupt, or written by a version that is no longer understood). */
export class CorruptRecordError extends Error {
  constructor(what: string, detail: string) {
    super(`${what} is not a valid record: ${detail}`);
    this.name = 'CorruptRecordError';
  }
}

function ensureError(value: unknown): Error {
  if (value instanceof Error) return value;
  return new Error(typeof value === 'string' ? value : JSON.stringify(value));
}

export function errorMessage(value: unknown): string {
  return ensureError(value).message;
}
