import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { RequestError, ServiceUnavailableError } from '../../shared/errors';

/** HTTP plumbing shared by the HTTP functions: JSON bodies in, Azure-style JSON responses and errors out. */

/** Job requests are a few hundred bytes; anything far larger is a mistake or an attack. */
export const maxRequestBodyBytes = 16 * 1024;

export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponseInit {
  return { status, jsonBody: body, headers: { 'Cache-Control': 'no-store', ...headers } };
}

export function errorBody(code: string, message: string, target?: string) {
  return { error: { code, message, ...(target ? { target } : {}) } };
}

/** Maps any error to a response; only RequestError details reach the client, 5xx details stay in the log. */
export function errorResponse(error: unknown, context: InvocationContext): HttpResponseInit {
  if (error instanceof RequestError) {
    return json(error.status, errorBody(error.code, error.message, error.target));
  }
  if (error instanceof ServiceUnavailableError) {
    context.error(`${error.message} ${String(error.cause)}`);
    return json(503, errorBody('ServiceUnavailable', `${error.message} Please try again shortly.`), { 'Retry-After': '5' });
  }
  context.error(`Unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  return json(500, errorBody('InternalError', 'An unexpected error occurred. Please try again later.'));
}

/** Runs a handler and turns whatever it throws into the error shape. */
export async function respond(
  context: InvocationContext,
  handler: () => Promise<HttpResponseInit>,
): Promise<HttpResponseInit> {
  try {
    return await handler();
  } catch (error) {
    return errorResponse(error, context);
  }
}

/** Reads a JSON body: 415 for another media type, 413 when too large, 400 when not valid JSON. */
export async function readJsonBody(request: HttpRequest): Promise<unknown> {
  const contentType = request.headers.get('content-type') ?? '';
  if (!/^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(contentType)) {
    throw new RequestError(415, 'UnsupportedMediaType', "The body must be JSON, sent with 'Content-Type: application/json'.", 'Content-Type');
  }
  const declaredLength = Number(request.headers.get('content-length') ?? '0');
  if (declaredLength > maxRequestBodyBytes) throw tooLarge();
  const bytes = Buffer.from(await request.arrayBuffer());
  if (bytes.length > maxRequestBodyBytes) throw tooLarge();
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new RequestError(400, 'InvalidJson', 'The body is not valid UTF-8 text.', 'body');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new RequestError(400, 'InvalidJson', 'The body is not valid JSON.', 'body');
  }
}

function tooLarge(): RequestError {
  return new RequestError(413, 'PayloadTooLarge', `The body must be at most ${maxRequestBodyBytes} bytes.`, 'body');
}

/** The absolute URL of a job's status, for Operation-Location. */
export function jobStatusUrl(request: HttpRequest, jobId: string, publicBaseUrl: string | undefined): string {
  if (publicBaseUrl) return `${publicBaseUrl}/api/jobs/${jobId}`;
  const url = new URL(request.url);
  url.search = '';
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/${jobId}`;
  return url.toString();
}
