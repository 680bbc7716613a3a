import type { HttpHandler, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { BadRequestError, type ErrorBody, PayloadTooLargeError, ServiceError, ServiceUnavailableError, UnsupportedMediaTypeError } from '../../shared/errors';

/**
 * HTTP plumbing shared by the HTTP functions, and the one place that maps errors (and CORS) to responses:
 * JSON bodies in, Azure-style JSON responses and `{ "error": { "code", "message", "target" } }` out.
 */

/** Job requests are a few hundred bytes; anything far larger is a mistake or an attack. */
const maxRequestBodyBytes = 16 * 1024;

export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponseInit {
  return { status, jsonBody: body, headers: { 'Cache-Control': 'no-store', ...headers } };
}

function errorBody(code: string, message: string, target?: string, innerCode?: string): ErrorBody {
  return { error: { code, message, ...(target ? { target } : {}), ...(innerCode ? { innererror: { code: innerCode } } : {}) } };
}

/** Maps any error to a response; only ServiceError details reach the client, 5xx details stay in the log. */
export function errorResponse(error: unknown, context: Pick<InvocationContext, 'error'>): HttpResponseInit {
  if (error instanceof ServiceUnavailableError) {
    context.error(`${error.message} ${String(error.cause)}`);
    return json(503, errorBody(error.code, `${error.message} Please try again shortly.`), { 'Retry-After': String(error.retryAfterInSeconds ?? 5) });
  }
  if (error instanceof ServiceError) {
    const headers: Record<string, string> = {};
    if (error.retryAfterInSeconds !== undefined) headers['Retry-After'] = String(Math.max(1, Math.ceil(error.retryAfterInSeconds)));
    // A studio page authenticates with its session token; everyone else with the API key.
    if (error.status === 401) headers['WWW-Authenticate'] = error.code.startsWith('Session') ? 'Bearer' : 'ApiKey header="api-key"';
    return json(error.status, errorBody(error.code, error.message, error.target, error.innerCode), headers);
  }
  // By name, not class: the blob and queue SDKs may each bring their own copy of RestError.
  if (error instanceof Error && error.name === 'RestError') {
    // Storage failed under us (an outage, throttling): the client can retry; the details stay in the log.
    context.error(`Storage error: ${error.message}`);
    return json(503, errorBody('ServiceUnavailable', 'Storage is not available right now. Please try again shortly.'), { 'Retry-After': '5' });
  }
  context.error(`Unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  return json(500, errorBody('InternalError', 'An unexpected error occurred. Please try again later.'));
}

/**
 * CORS for browsers that poll with a status token: GET needs no preflight, so echoing an allowed Origin is
 * enough. (In Azure, leave the platform's CORS list empty so these headers reach the browser.)
 */
function corsHeaders(request: HttpRequest, allowedOrigins: readonly string[]): Record<string, string> {
  const origin = request.headers.get('origin');
  return origin && allowedOrigins.includes(origin) ? { 'Access-Control-Allow-Origin': origin, Vary: 'Origin' } : { Vary: 'Origin' };
}

export interface RespondOptions {
  /** Origins whose pages may read the answer (status reads from a student's browser). */
  readonly corsAllowedOrigins?: readonly string[];
}

/** Wraps a handler: whatever it throws becomes the error shape, and CORS headers go on every answer. */
export function respond(handler: (request: HttpRequest, context: InvocationContext) => HttpResponseInit | Promise<HttpResponseInit>, options: RespondOptions = {}): HttpHandler {
  return async (request, context) => {
    let response: HttpResponseInit;
    try {
      response = await handler(request, context);
    } catch (error) {
      response = errorResponse(error, context);
    }
    if (!options.corsAllowedOrigins) return response;
    return { ...response, headers: { ...(response.headers as Record<string, string> | undefined), ...corsHeaders(request, options.corsAllowedOrigins) } };
  };
}

/** Reads a JSON body: 415 for another media type, 413 when too large, 400 when not valid JSON. */
export async function readJsonBody(request: HttpRequest): Promise<unknown> {
  const contentType = request.headers.get('content-type') ?? '';
  if (!/^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(contentType)) {
    throw new UnsupportedMediaTypeError('UnsupportedMediaType', "The body must be JSON, sent with 'Content-Type: application/json'.", { target: 'Content-Type' });
  }
  // JSON is UTF-8 (RFC 8259); a body declared in another charset would be read wrongly, so it is refused.
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType)?.[1];
  if (charset !== undefined && !/^utf-?8$/i.test(charset)) {
    throw new UnsupportedMediaTypeError('UnsupportedMediaType', `The body must be JSON in UTF-8; charset ${charset.slice(0, 40)} is not accepted.`, { target: 'Content-Type' });
  }
  const declaredLength = Number(request.headers.get('content-length') ?? '0');
  if (declaredLength > maxRequestBodyBytes) throw tooLarge();
  const bytes = Buffer.from(await request.arrayBuffer());
  if (bytes.length > maxRequestBodyBytes) throw tooLarge();
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new BadRequestError('InvalidJson', 'The body is not valid UTF-8 text.', { target: 'body' });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new BadRequestError('InvalidJson', 'The body is not valid JSON.', { target: 'body' });
  }
}

function tooLarge(): PayloadTooLargeError {
  return new PayloadTooLargeError('PayloadTooLarge', `The body must be at most ${maxRequestBodyBytes} bytes.`, { target: 'body' });
}

/** Hosts a local stack answers on; any port. */
const loopbackHosts = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * The absolute URL of a job (its Operation-Location and status URL). With PUBLIC_BASE_URL set (a proxy or
 * custom domain in front) that base; otherwise the request's own origin, but only when it is a host this
 * app serves (its Azure host name, WEBSITE_HOSTNAME, or loopback locally), so a client-sent Host header
 * is never reflected into a link; a malformed Host is a 400.
 */
export function jobUrl(request: HttpRequest, jobId: string, config: { readonly publicBaseUrl?: string | undefined; readonly serviceHostname?: string | undefined }): string {
  if (config.publicBaseUrl) return `${config.publicBaseUrl}/api/jobs/${jobId}`;
  if (!URL.canParse(request.url)) throw new BadRequestError('InvalidHost', 'The Host header is not a valid host name.', { target: 'Host' });
  const url = new URL(request.url);
  const served = loopbackHosts.has(url.hostname) || (config.serviceHostname !== undefined && url.hostname === config.serviceHostname.toLowerCase());
  if (!served) {
    if (!config.serviceHostname) throw new BadRequestError('InvalidHost', `This service does not answer to the host ${url.host.slice(0, 100)}.`, { target: 'Host' });
    return `https://${config.serviceHostname}/api/jobs/${jobId}`;
  }
  const routeBase = url.pathname.replace(/\/jobs(\/[^/]*)?\/?$/, '');
  return `${url.origin}${routeBase}/jobs/${jobId}`;
}

/**
 * The absolute URL of another route of this service (under /api), built as job URLs are: PUBLIC_BASE_URL,
 * else the request's own origin when this app serves it, else the Azure host name; never a client's Host.
 */
export function apiUrl(request: HttpRequest, apiPath: string, config: { readonly publicBaseUrl?: string | undefined; readonly serviceHostname?: string | undefined }): string {
  if (config.publicBaseUrl) return `${config.publicBaseUrl}/api/${apiPath}`;
  if (!URL.canParse(request.url)) throw new BadRequestError('InvalidHost', 'The Host header is not a valid host name.', { target: 'Host' });
  const url = new URL(request.url);
  if (loopbackHosts.has(url.hostname) || (config.serviceHostname !== undefined && url.hostname === config.serviceHostname.toLowerCase())) {
    return `${url.origin}/api/${apiPath}`;
  }
  if (!config.serviceHostname) throw new BadRequestError('InvalidHost', `This service does not answer to the host ${url.host.slice(0, 100)}.`, { target: 'Host' });
  return `https://${config.serviceHostname}/api/${apiPath}`;
}
