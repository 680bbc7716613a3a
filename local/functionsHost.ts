import { randomUUID } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { DefaultAzureCredential, ManagedIdentityCredential } from '@azure/identity';
import { QueueServiceClient, type DequeuedMessageItem, type QueueClient } from '@azure/storage-queue';
import {
  installFunctionsCore,
  type BindingInfo,
  type FunctionsCoreRegistry,
  type HttpData,
  type InvocationRequest,
  type InvocationResponse,
  type LogLevel,
  type RegisteredFunction,
  type TypedData,
} from './functionsCore';
import { readHostSettings, type HostSettings, type QueueSettings } from './hostConfig';
import { nextOccurrence, parseNcrontab } from './ncrontab';

/**
 * A small stand-in for the Azure Functions host (Core Tools cannot be installed here). It loads the app's
 * entry points named by package.json `main`, receives their registrations through @azure/functions-core,
 * serves the HTTP triggers under host.json's routePrefix and runs the queue triggers as the Azure host does:
 * batchSize and newBatchThreshold, polling with back-off up to maxPollingInterval, visibilityTimeout
 * between retries, base64 message encoding, and a move to `<queue>-poison` after maxDequeueCount.
 */

export interface FunctionsHostOptions {
  readonly projectDir: string;
  readonly port: number;
  readonly hostname?: string;
  /**
   * How long a received message stays invisible while its function runs; renewed at half-time. Azure uses
   * 10 minutes; a shorter lease lets a crashed local host's messages come back sooner.
   */
  readonly leaseInSeconds?: number;
  readonly env?: Record<string, string | undefined>;
}

export interface FunctionsHost {
  readonly url: string;
  readonly functions: readonly string[];
  stop(): Promise<void>;
}

const minPollingIntervalInMs = 100;
const maxHttpBodyBytes = 1024 * 1024;
const drainTimeoutInMs = 10_000;

const levelRank: Record<LogLevel, number> = { trace: 0, debug: 1, information: 2, warning: 3, error: 4, critical: 5, none: 6 };

function writeLog(source: string, level: LogLevel, message: string): void {
  if (levelRank[level] < levelRank.information) return;
  const line = `[${new Date().toISOString()}] ${source} ${level === 'information' ? 'info' : level}: ${message}`;
  if (levelRank[level] >= levelRank.warning) console.error(line);
  else console.log(line);
}

/** Expands package.json `main` ("dist/functions/*.js", "{a,b}.js" or a plain path) to files. */
export function expandEntryPoints(projectDir: string, pattern: string): string[] {
  const braces = /\{([^}]+)\}/.exec(pattern);
  if (braces) {
    return (braces[1] ?? '')
      .split(',')
      .flatMap((option) => expandEntryPoints(projectDir, pattern.replace(braces[0], option.trim())));
  }
  if (!pattern.includes('*')) return [path.resolve(projectDir, pattern)];
  const dir = path.resolve(projectDir, path.dirname(pattern));
  const fileRegex = new RegExp(`^${path.basename(pattern).replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
  return readdirSync(dir)
    .filter((file) => fileRegex.test(file))
    .sort()
    .map((file) => path.join(dir, file));
}

function triggerOf(fn: RegisteredFunction): [string, BindingInfo] {
  const entry = Object.entries(fn.metadata.bindings).find(([, binding]) => /Trigger$/i.test(String(binding.type)));
  if (!entry) throw new Error(`Function ${fn.metadata.name} has no trigger binding.`);
  return entry;
}

async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms (host.json functionTimeout)`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs one invocation the way the Node.js worker does: arguments, hooks, the function, the response. */
async function invoke(registry: FunctionsCoreRegistry, fn: RegisteredFunction, request: InvocationRequest, timeoutInMs: number): Promise<InvocationResponse> {
  const invocationId = randomUUID();
  const source = `${fn.metadata.name} (${invocationId.slice(0, 8)})`;
  const coreContext = {
    invocationId,
    request: { ...request, invocationId },
    metadata: fn.metadata,
    state: undefined as 'preInvocationHooks' | 'postInvocationHooks' | 'invocation' | undefined,
    log: (level: LogLevel, _category: string, message: string) => writeLog(source, level, message),
  };
  const model = registry.programmingModel().getInvocationModel(coreContext);
  const { context, inputs } = await model.getArguments();
  const hookData = {};
  const pre = { hookData, appHookData: {}, invocationContext: context, inputs, functionCallback: fn.callback };
  coreContext.state = 'preInvocationHooks';
  for (const hook of registry.hooks.preInvocation) await hook(pre);
  coreContext.state = 'invocation';
  const post: Record<string, unknown> = { hookData, appHookData: {}, invocationContext: context, inputs: pre.inputs };
  try {
    post['result'] = await withTimeout(model.invokeFunction(context, pre.inputs, pre.functionCallback), timeoutInMs, fn.metadata.name);
  } catch (error) {
    post['error'] = error;
  }
  coreContext.state = 'postInvocationHooks';
  for (const hook of registry.hooks.postInvocation) await hook(post);
  // Rethrow whatever the function threw, as the worker reports it to the host.
  // eslint-disable-next-line @typescript-eslint/only-throw-error
  if (post['error'] !== undefined) throw post['error'];
  return model.getResponse(context, post['result']);
}

interface HttpRoute {
  readonly fn: RegisteredFunction;
  readonly triggerName: string;
  readonly methods: readonly string[] | undefined;
  readonly pattern: RegExp;
  readonly paramNames: readonly string[];
  readonly template: string;
}

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

function stringProperty(binding: BindingInfo, name: string): string | undefined {
  const value = binding[name];
  return typeof value === 'string' ? value : undefined;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : JSON.stringify(error);
}

function toTypedData(value: unknown): TypedData {
  return { json: JSON.stringify(value) };
}

function fromTypedData(data: TypedData | null | undefined): Buffer {
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

async function readRequestBody(req: http.IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxHttpBodyBytes) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function createHttpHandler(registry: FunctionsCoreRegistry, routes: readonly HttpRoute[], settings: HostSettings) {
  return async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
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
    if (matches.length === 0) return sendJson(res, 404, { error: { code: 'NotFound', message: `No function serves ${url.pathname}.` } });
    const found = matches.find(({ route }) => !route.methods || route.methods.includes(method));
    if (!found) {
      const allowed = [...new Set(matches.flatMap(({ route }) => route.methods ?? []))];
      return sendJson(res, 405, { error: { code: 'MethodNotAllowed', message: `${method} is not allowed here; use ${allowed.join(', ')}.` } }, { Allow: allowed.join(', ') });
    }
    const body = await readRequestBody(req);
    if (body === undefined) {
      return sendJson(res, 413, { error: { code: 'PayloadTooLarge', message: 'The request body is too large.' } });
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
    const httpData: HttpData = {
      method,
      url: url.toString(),
      headers,
      body: { bytes: body },
      params,
      query: Object.fromEntries(url.searchParams),
    };
    let response: InvocationResponse;
    try {
      response = await invoke(registry, found.route.fn, { inputData: [{ name: found.route.triggerName, data: { http: httpData } }], triggerMetadata: {} }, settings.functionTimeoutInMs);
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

/** Quick retries: the listener has its own back-off, and a stopping host must not wait on the SDK's. */
const queueRetryOptions = { maxTries: 2, retryDelayInMs: 200, maxRetryDelayInMs: 1_000, tryTimeoutInMs: 30_000 };

function queueServiceFor(connection: string, env: Record<string, string | undefined>): QueueServiceClient {
  const connectionString = env[connection];
  if (connectionString) return QueueServiceClient.fromConnectionString(connectionString, { retryOptions: queueRetryOptions });
  const uri = env[`${connection}__queueServiceUri`] ?? (env[`${connection}__accountName`] && `https://${env[`${connection}__accountName`]}.queue.core.windows.net`);
  if (!uri) throw new Error(`The queue trigger's connection "${connection}" is not configured: set ${connection} or ${connection}__queueServiceUri.`);
  const clientId = env[`${connection}__clientId`];
  const credential = clientId ? new ManagedIdentityCredential({ clientId }) : new DefaultAzureCredential();
  return new QueueServiceClient(uri, credential, { retryOptions: queueRetryOptions });
}

class QueueListener {
  private running = true;
  private readonly inFlight = new Set<Promise<void>>();
  private wake: (() => void) | undefined;

  constructor(
    private readonly registry: FunctionsCoreRegistry,
    private readonly fn: RegisteredFunction,
    private readonly triggerName: string,
    private readonly queue: QueueClient,
    private readonly poisonQueue: QueueClient,
    private readonly settings: QueueSettings,
    private readonly functionTimeoutInMs: number,
    private readonly leaseInSeconds: number,
  ) {}

  private log(level: LogLevel, message: string): void {
    writeLog(this.fn.metadata.name, level, message);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  /** Creates the queue if needed (as the Azure host does), retrying while storage is unreachable. */
  private async ensureQueue(): Promise<void> {
    let delay = minPollingIntervalInMs;
    while (this.running) {
      try {
        await this.queue.createIfNotExists();
        return;
      } catch (error) {
        this.log('warning', `Queue ${this.queue.name} is not reachable yet: ${describe(error)}`);
        await this.sleep(delay);
        delay = Math.min(delay * 2, 10_000);
      }
    }
  }

  async run(): Promise<void> {
    await this.ensureQueue();
    let delay = minPollingIntervalInMs;
    while (this.running) {
      if (this.inFlight.size > this.settings.newBatchThreshold) {
        await Promise.race(this.inFlight);
        continue;
      }
      let messages: DequeuedMessageItem[];
      try {
        messages = (await this.queue.receiveMessages({ numberOfMessages: this.settings.batchSize, visibilityTimeout: this.leaseInSeconds }))
          .receivedMessageItems;
      } catch (error) {
        this.log('warning', `Could not read queue ${this.queue.name}: ${describe(error)}`);
        await this.sleep(delay);
        delay = Math.min(delay * 2, Math.max(this.settings.maxPollingIntervalInMs, minPollingIntervalInMs));
        continue;
      }
      if (messages.length === 0) {
        await this.sleep(delay);
        delay = Math.min(delay * 2, Math.max(this.settings.maxPollingIntervalInMs, minPollingIntervalInMs));
        continue;
      }
      delay = minPollingIntervalInMs;
      for (const message of messages) {
        const work: Promise<void> = this.handle(message).finally(() => this.inFlight.delete(work));
        this.inFlight.add(work);
      }
    }
  }

  private decode(text: string): string | undefined {
    if (this.settings.messageEncoding === 'none') return text;
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return undefined;
    return Buffer.from(text, 'base64').toString('utf8');
  }

  private async moveToPoison(message: DequeuedMessageItem, popReceipt: string, why: string): Promise<void> {
    await this.poisonQueue.createIfNotExists();
    await this.poisonQueue.sendMessage(message.messageText);
    await this.queue.deleteMessage(message.messageId, popReceipt);
    this.log('warning', `Message ${message.messageId} moved to ${this.poisonQueue.name}: ${why}`);
  }

  private async handle(message: DequeuedMessageItem): Promise<void> {
    let popReceipt = message.popReceipt;
    try {
      const text = this.decode(message.messageText);
      if (text === undefined) return await this.moveToPoison(message, popReceipt, 'not valid base64 (host.json messageEncoding)');
      if (message.dequeueCount > this.settings.maxDequeueCount) {
        return await this.moveToPoison(message, popReceipt, `dequeued ${message.dequeueCount} times`);
      }
      // Keep the message invisible while the function runs, as the Azure host does.
      let renewal = Promise.resolve();
      const timer = setInterval(() => {
        renewal = renewal
          .then(async () => {
            popReceipt = (await this.queue.updateMessage(message.messageId, popReceipt, undefined, this.leaseInSeconds)).popReceipt ?? popReceipt;
          })
          .catch((error: unknown) => this.log('warning', `Could not renew the lease of ${message.messageId}: ${String(error)}`));
      }, (this.leaseInSeconds * 1000) / 2);
      let failure: unknown;
      try {
        await invoke(
          this.registry,
          this.fn,
          {
            inputData: [{ name: this.triggerName, data: { string: text } }],
            triggerMetadata: {
              DequeueCount: toTypedData(message.dequeueCount),
              Id: { string: message.messageId },
              InsertionTime: toTypedData(message.insertedOn),
              ExpirationTime: toTypedData(message.expiresOn),
              NextVisibleTime: toTypedData(message.nextVisibleOn),
              PopReceipt: { string: message.popReceipt },
            },
          },
          this.functionTimeoutInMs,
        );
      } catch (error) {
        failure = error;
      } finally {
        clearInterval(timer);
        await renewal;
      }
      if (failure === undefined) {
        await this.queue.deleteMessage(message.messageId, popReceipt);
        return;
      }
      this.log('error', `Attempt ${message.dequeueCount} of ${this.settings.maxDequeueCount} failed: ${describe(failure)}`);
      if (message.dequeueCount >= this.settings.maxDequeueCount) {
        await this.moveToPoison(message, popReceipt, `failed ${message.dequeueCount} times`);
      } else {
        await this.queue.updateMessage(message.messageId, popReceipt, undefined, Math.round(this.settings.visibilityTimeoutInMs / 1000));
      }
    } catch (error) {
      // Storage trouble while completing: the lease runs out and the message is delivered again.
      this.log('warning', `Could not complete message ${message.messageId}: ${describe(error)}`);
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await withTimeout(Promise.allSettled(this.inFlight), drainTimeoutInMs, 'draining').catch(() => {
      this.log('warning', `Stopped with ${this.inFlight.size} messages in flight; they will be delivered again.`);
    });
  }
}

export async function startFunctionsHost(options: FunctionsHostOptions): Promise<FunctionsHost> {
  const env = options.env ?? process.env;
  const settings = readHostSettings(options.projectDir, env);
  const registry = installFunctionsCore((level, message) => writeLog('host', level, message));
  const packageJson = JSON.parse(readFileSync(path.join(options.projectDir, 'package.json'), 'utf8')) as { main?: string };
  if (!packageJson.main) throw new Error('package.json has no "main" naming the function entry points.');
  for (const file of expandEntryPoints(options.projectDir, packageJson.main)) {
    // The entry points are CommonJS files chosen at run time, as the worker loads them.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require(file);
  }
  for (const hook of registry.hooks.appStart) await hook({ hookData: {}, appHookData: {}, functionAppDirectory: options.projectDir });

  const routes: HttpRoute[] = [];
  const listeners: QueueListener[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let stopping = false;
  const leaseInSeconds = options.leaseInSeconds ?? 30;
  for (const fn of registry.functions.values()) {
    const [triggerName, trigger] = triggerOf(fn);
    const type = String(trigger.type).toLowerCase();
    if (type === 'httptrigger') {
      const template = stringProperty(trigger, 'route') ?? fn.metadata.name;
      const methods = Array.isArray(trigger['methods']) ? (trigger['methods'] as string[]).map((m) => m.toUpperCase()) : undefined;
      routes.push({ fn, triggerName, methods, template, ...compileRoute(settings.routePrefix, template) });
    } else if (type === 'queuetrigger') {
      const queueName = stringProperty(trigger, 'queueName') ?? '';
      const service = queueServiceFor(stringProperty(trigger, 'connection') ?? 'AzureWebJobsStorage', env);
      listeners.push(
        new QueueListener(registry, fn, triggerName, service.getQueueClient(queueName), service.getQueueClient(`${queueName}-poison`), settings.queues, settings.functionTimeoutInMs, leaseInSeconds),
      );
    } else if (type === 'timertrigger') {
      const schedule = parseNcrontab(stringProperty(trigger, 'schedule') ?? '');
      const arm = () => {
        if (stopping) return;
        const timer = setTimeout(() => {
          timers.delete(timer);
          const input = { Schedule: { AdjustForDST: true }, ScheduleStatus: null, IsPastDue: false };
          invoke(registry, fn, { inputData: [{ name: triggerName, data: { json: JSON.stringify(input) } }], triggerMetadata: {} }, settings.functionTimeoutInMs)
            .catch((error: unknown) => writeLog(fn.metadata.name, 'error', `Timer run failed: ${describe(error)}`))
            .finally(arm);
        }, nextOccurrence(schedule, new Date()).getTime() - Date.now());
        timers.add(timer);
      };
      arm();
    } else {
      writeLog('host', 'warning', `Function ${fn.metadata.name} has a ${String(trigger.type)} trigger, which this local host does not run.`);
    }
  }

  const handleHttp = createHttpHandler(registry, routes, settings);
  const server = http.createServer((req, res) => {
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
  const runs = listeners.map((listener) => listener.run());
  const url = `http://localhost:${port}`;
  for (const route of routes) {
    writeLog('host', 'information', `${route.fn.metadata.name}: [${route.methods?.join(',') ?? 'ALL'}] ${url}/${[settings.routePrefix, route.template].filter(Boolean).join('/')}`);
  }

  return {
    url,
    functions: [...registry.functions.keys()],
    async stop() {
      stopping = true;
      for (const timer of timers) clearTimeout(timer);
      server.close();
      server.closeIdleConnections();
      await Promise.all(listeners.map((listener) => listener.stop()));
      await withTimeout(Promise.allSettled(runs), drainTimeoutInMs, 'stopping the queue listeners').catch(() => undefined);
      for (const hook of registry.hooks.appTerminate) await hook({ hookData: {}, appHookData: {} });
      server.closeAllConnections();
    },
  };
}
