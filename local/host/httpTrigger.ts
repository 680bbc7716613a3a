import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RegisteredFunction, RpcHttpData, RpcInvocationResponse, RpcTypedData } from './functionsCore';
import type { Invoke } from './invoke';
import { describeError, writeLog } from './log';
import { stringProperty, type TriggerBinding } from './triggerBinding';

/**
 * HTTP triggers: a router over the functions' route templates under host.json's routePrefix, and the
 * server that turns each request into an invocation and the function's response back into HTTP.
 */

export interface HttpRoute {
  readonly fn: RegisteredFunction;
  readonly triggerName: string;
  readonly methods: readonly string[] | undefined;
  readonly pattern: RegExp;
  readonly paramNames: readonly string[];
  readonly template: string;
}

export interface HttpTriggerServerOptions {
  readonly port: number;
  readonly hostname?: string;
  readonly routePrefix: string;
  /**
   * How long a client may take to send the request headers (20 s by default) and the whole request
   * (60 s), as a production front end limits them, so slow or stalled connections are not kept open.
   */
  readonly headersTimeoutInMs?: number;
  readonly requestTimeoutInMs?: number;
}

export interface HttpTriggerServer {
  readonly url: string;
  /** Stops accepting connections and closes idle ones; requests in progress go on. */
  close(): void;
  /** Closes every connection still open. */
  closeAllConnections(): void;
}

/** The API takes small JSON bodies; anything over this is refused with 413. */
const maxBodyBytes = 1024 * 1024;
/**
 * A refused body is still read (and dropped), up to this much or this long, before the 413 is sent and the
 * connection closed: closing with unread bytes resets the connection, and the reset can reach Node's fetch
 * before it has read the answer ("fetch failed", one 2 MB request in three here). Past these bounds the
 * 413 goes out anyway.
 */
const maxDrainBytes = 8 * 1024 * 1024;
const maxDrainTimeInMs = 5_000;
const defaultHeadersTimeoutInMs = 20_000;
const defaultRequestTimeoutInMs = 60_000;

/** Compiles a Functions route template ("jobs/{id}", "{name?}", "{id:int}", "{*rest}") to a regex. */
export function compileRoute(routePrefix: string, template: string): { pattern: RegExp; paramNames: string[] } {
  const paramNames: string[] = [];
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const segments = [routePrefix, template]
    .filter((part) => part.length > 0)
    .join('/')
    .split('/')
    .map((segment) => {
      const param = /^\{(\*)?(\w+)(?::[^}?]+)?(\?)?\}$/.exec(segment);
      if (param) {
        paramNames.push(param[2] ?? '');
        const value = param[1] ? '(.*)' : '([^/]+)';
        return param[3] ? `(?:/${value})?` : `/${value}`;
      }
      // A complex segment such as "{id}:cancel": literal text around parameters.
      const parts = segment.split(/(\{\w+(?::[^}]+)?\})/);
      return `/${parts
        .map((part) => {
          const inner = /^\{(\w+)(?::[^}]+)?\}$/.exec(part);
          if (!inner) return escape(part);
          paramNames.push(inner[1] ?? '');
          return '([^/]+?)';
        })
        .join('')}`;
    });
  return { pattern: new RegExp(`^${segments.join('')}/?$`, 'i'), paramNames };
}

/** The route of one HTTP-triggered function: its template (the function name by default) and methods. */
export function createHttpRoute(fn: RegisteredFunction, trigger: TriggerBinding, routePrefix: string): HttpRoute {
  const template = stringProperty(trigger.binding, 'route') ?? fn.metadata.name;
  const methods = trigger.binding['methods'];
  return {
    fn,
    triggerName: trigger.name,
    methods: Array.isArray(methods) ? methods.map((method) => String(method).toUpperCase()) : undefined,
    template,
    ...compileRoute(routePrefix, template),
  };
}

function fromTypedData(data: RpcTypedData | null | undefined): Buffer {
  if (!data) return Buffer.alloc(0);
  if (data.bytes) return Buffer.from(data.bytes);
  if (typeof data.string === 'string') return Buffer.from(data.string);
  if (typeof data.json === 'string') return Buffer.from(data.json);
  return Buffer.alloc(0);
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

type RequestBody = { readonly tooLarge: false; readonly bytes: Buffer } | { readonly tooLarge: true };

function readRequestBody(req: http.IncomingMessage): Promise<RequestBody> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let drainTimer: NodeJS.Timeout | undefined;
    const settle = (body: RequestBody) => {
      clearTimeout(drainTimer);
      req.off('data', onData).off('end', onEnd).off('error', onError);
      resolve(body);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBodyBytes) {
        chunks.push(chunk);
        return;
      }
      chunks.length = 0;
      drainTimer ??= setTimeout(() => settle({ tooLarge: true }), maxDrainTimeInMs);
      if (size > maxDrainBytes) settle({ tooLarge: true });
    };
    const onEnd = () => settle(size > maxBodyBytes ? { tooLarge: true } : { tooLarge: false, bytes: Buffer.concat(chunks) });
    const onError = (error: Error) => {
      clearTimeout(drainTimer);
      reject(error);
    };
    req.on('data', onData).on('end', onEnd).on('error', onError);
  });
}

/**
 * RFC 9110's Host: a host name, an IPv4 address or a bracketed IPv6 literal, and an optional port. Nothing
 * else may pass: `localhost:1@evil` parses as a URL whose user is `localhost` and host is `evil`, and the
 * Fetch API then refuses to build a Request from it (a 500 in the function instead of this 400).
 */
const hostHeaderPattern = /^(?:[a-z0-9\-._~%!$&'()*+,;=]+|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

export function isHostHeader(host: string): boolean {
  return hostHeaderPattern.test(host) && URL.canParse(`http://${host}`);
}

function createHttpHandler(routes: readonly HttpRoute[], invoke: Invoke) {
  return async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    // A front end refuses a Host that is not a host name, as this one does, instead of failing on it.
    const host = req.headers.host ?? 'localhost';
    const base = `http://${host}`;
    if (!isHostHeader(host) || !URL.canParse(req.url ?? '/', base)) {
      return sendJson(res, 400, { error: { code: 'InvalidHost', message: 'The Host header or the URL is not valid.' } });
    }
    const url = new URL(req.url ?? '/', base);
    const method = (req.method ?? 'GET').toUpperCase();
    let pathname: string;
    try {
      pathname = decodeURIComponent(url.pathname);
    } catch {
      return sendJson(res, 400, { error: { code: 'InvalidUrl', message: 'The URL path is not valid percent-encoding.' } });
    }
    const matches = routes
      .map((route) => ({ route, match: route.pattern.exec(pathname) }))
      .filter((candidate) => candidate.match !== null);
    const found = matches.find(({ route }) => !route.methods || route.methods.includes(method));
    // A route that only answers CORS preflights (OPTIONS) everywhere does not make a path exist.
    const serving = matches.filter(({ route }) => !route.methods || route.methods.some((m) => m !== 'OPTIONS'));
    if (!found && serving.length === 0) return sendJson(res, 404, { error: { code: 'NotFound', message: `No function serves ${url.pathname}.` } });
    if (!found) {
      const allowed = [...new Set(serving.flatMap(({ route }) => route.methods ?? []))];
      return sendJson(res, 405, { error: { code: 'MethodNotAllowed', message: `${method} is not allowed here; use ${allowed.join(', ')}.` } }, { Allow: allowed.join(', ') });
    }
    let body: RequestBody;
    try {
      body = await readRequestBody(req);
    } catch (error) {
      // The client went away, or the request timeout cut it off: there is no one left to answer.
      writeLog('host', 'warning', `${method} ${url.pathname}: the request ended before its body arrived (${describeError(error)}).`);
      return;
    }
    if (body.tooLarge) {
      // Closed, because the rest of an over-long body may still be on its way.
      return sendJson(res, 413, { error: { code: 'PayloadTooLarge', message: 'The request body is too large.' } }, { Connection: 'close' });
    }
    const params: Record<string, string> = {};
    found.route.paramNames.forEach((name, i) => {
      const value = found.match?.[i + 1];
      if (value !== undefined) params[name] = value;
    });
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    const httpData: RpcHttpData = {
      method,
      url: url.toString(),
      headers,
      body: { bytes: body.bytes },
      params,
      query: Object.fromEntries(url.searchParams),
    };
    let response: RpcInvocationResponse;
    try {
      response = await invoke(found.route.fn, { inputData: [{ name: found.route.triggerName, data: { http: httpData } }], triggerMetadata: {} });
    } catch (error) {
      writeLog(found.route.fn.metadata.name, 'error', `Unhandled error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      return sendJson(res, 500, { error: { code: 'InternalError', message: 'An unexpected error occurred.' } });
    }
    const output =
      response.returnValue?.http ?? response.outputData?.find((binding) => binding.data?.http)?.data?.http ?? { statusCode: '204' };
    const bytes = fromTypedData(output.body);
    res.writeHead(Number(output.statusCode ?? 200), { ...(output.headers ?? {}), 'Content-Length': bytes.length });
    res.end(bytes);
  };
}

/** Serves the HTTP routes on options.port (0 picks a free one) until closed. */
export async function startHttpServer(routes: readonly HttpRoute[], invoke: Invoke, options: HttpTriggerServerOptions): Promise<HttpTriggerServer> {
  const headersTimeout = options.headersTimeoutInMs ?? defaultHeadersTimeoutInMs;
  const requestTimeout = options.requestTimeoutInMs ?? defaultRequestTimeoutInMs;
  if (!(headersTimeout > 0 && requestTimeout >= headersTimeout)) {
    throw new Error(`The HTTP timeouts need 0 < headersTimeoutInMs <= requestTimeoutInMs (got ${headersTimeout} and ${requestTimeout}).`);
  }
  const handleHttp = createHttpHandler(routes, invoke);
  const serverOptions: http.ServerOptions = {
    headersTimeout,
    requestTimeout,
    // Node checks both timeouts only every connectionsCheckingInterval (30 s by default), which would let
    // a 20 s limit run to 50 s.
    connectionsCheckingInterval: Math.min(1_000, Math.ceil(headersTimeout / 4)),
  };
  const server = http.createServer(serverOptions, (req, res) => {
    handleHttp(req, res).catch((error: unknown) => {
      writeLog('host', 'error', String(error));
      if (!res.headersSent) sendJson(res, 500, { error: { code: 'InternalError', message: 'An unexpected error occurred.' } });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.hostname ?? '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://localhost:${port}`;
  for (const route of routes) {
    writeLog('host', 'information', `${route.fn.metadata.name}: [${route.methods?.join(',') ?? 'ALL'}] ${url}/${[options.routePrefix, route.template].filter(Boolean).join('/')}`);
  }
  return {
    url,
    close() {
      server.close();
      server.closeIdleConnections();
    },
    closeAllConnections() {
      server.closeAllConnections();
    },
  };
}
