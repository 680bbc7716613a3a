/**
 * The few error types the service raises on purpose. Everything else is unexpected and is reported to
 * clients as a 500 without details (see `toErrorBody`).
 */

/** A request the client can fix: carries the HTTP status, a stable code and the field it concerns. */
export class RequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly target?: string,
    /** For 429s: when trying again can succeed. */
    readonly retryAfterInSeconds?: number,
  ) {
    super(message);
    this.name = 'RequestError';
  }
}

/** A setting that is missing or wrong; thrown once at start-up. */
export class ConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigurationError';
  }
}

/** A dependency (storage, the image provider) that cannot serve us right now; worth retrying later. */
export class ServiceUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ServiceUnavailableError';
  }
}

export function ensureError(value: unknown): Error {
  if (value instanceof Error) return value;
  return new Error(typeof value === 'string' ? value : JSON.stringify(value));
}

export function errorMessage(value: unknown): string {
  return ensureError(value).message;
}
