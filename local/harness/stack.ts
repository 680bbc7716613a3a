import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import { startImageService, type ImageService, type ImageServiceOptions } from '../imageService/imageService';
import { startContentSafetyService, type ContentSafetyService, type ContentSafetyServiceOptions } from '../contentSafety/contentSafetyService';
import { hashApiKey, type TenantQuotasSetting } from '../../shared/config/tenants';
import { startTestStorage, type TestStorage } from './sharedAzurite';

/** Two test tenants (schools); tenant A's key is sent by default. */
export const tenantA = { id: 'school-a', key: 'test-key-school-a' };
export const tenantB = { id: 'school-b', key: 'test-key-school-b' };
export const statusTokenSecret = 'test-status-token-secret-0123456789abcdef';
/** Tenant A's webhook signing secret (Standard Webhooks form); tenant B has none. */
export const webhookSecretA = `whsec_${Buffer.from('test-webhook-secret-of-school-a-0123').toString('base64')}`;

/**
 * Both tenants with these quotas, the rest generous. A test that sets the school's submitsPerMinute gets the
 * service's default per-student rate unless it sets submitsPerUserPerMinute too.
 */
export function tenantsSetting(quotas: TenantQuotasSetting = {}): string {
  const generous = {
    imagesPerUserPerDay: 10_000,
    imagesPerDay: 100_000,
    imagesPerMonth: 1_000_000,
    submitsPerMinute: 100_000,
    ...(quotas.submitsPerMinute === undefined ? { submitsPerUserPerMinute: 100_000 } : {}),
    ...quotas,
  };
  return JSON.stringify(
    [tenantA, tenantB].map((tenant) => ({
      id: tenant.id,
      apiKeyHashes: [hashApiKey(tenant.key)],
      quotas: generous,
      ...(tenant === tenantA ? { webhook: { secrets: [webhookSecretA] } } : {}),
    })),
  );
}

/**
 * The one stack that the integration tests, the chaos run and the benchmark share: a real Azurite, the
 * local image service, the local Content Safety stand-in and one or more local Functions host processes, all on free ports, torn down by
 * stop(). Faults are injected only at the image service's and the Content Safety stand-in's HTTP boundaries.
 */

/** This file runs as dist/local/harness/stack.js: three levels below the project. */
export const projectDir = path.resolve(__dirname, '..', '..', '..');

export interface HostProcess {
  readonly url: string;
  readonly process: ChildProcess;
  logs(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export interface Stack {
  /** The stack's storage: its own account in the run's Azurite under npm test, else an Azurite of its own (sharedAzurite.ts). */
  readonly azurite: TestStorage;
  readonly imageService: ImageService;
  /** The local Content Safety stand-in (its simple word-list classifier); faults are injected with addRule. */
  readonly contentSafety: ContentSafetyService;
  readonly hosts: HostProcess[];
  /** Base URL of the first running host, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  readonly env: Record<string, string>;
  readonly blobService: BlobServiceClient;
  readonly queueService: QueueServiceClient;
  startHost(): Promise<HostProcess>;
  submit(body: unknown, headers?: Record<string, string>): Promise<{ status: number; headers: Headers; body: JsonObject }>;
  getJob(id: string, headers?: Record<string, string>): Promise<{ status: number; headers: Headers; body: JsonObject }>;
  /**
   * POST /api/sessions as the LMS (school A's key unless `headers` say otherwise); on 201 also the session's
   * token, from the studio link's fragment, as the studio page takes it.
   */
  openSession(body: unknown, headers?: Record<string, string>): Promise<{ status: number; headers: Headers; body: JsonObject; token?: string }>;
  /** Polls a job until it has this status (e.g. Running), for up to a few seconds. */
  waitForStatus(id: string, status: string): Promise<void>;
  /** Polls a job until it reaches a terminal status (or the timeout passes) and returns it. */
  waitForJob(id: string, timeoutInMs?: number): Promise<JsonObject>;
  /**
   * Waits until a host has logged this text (say, that a worker is done with a job), for up to 30 s; then goes on
   * either way, and the test's own assertions say what is wrong. Resolves whether the text was seen.
   */
  waitForLog(text: string, timeoutInMs?: number): Promise<boolean>;
  stop(): Promise<void>;
}

export type JsonObject = Record<string, unknown> & {
  id?: string;
  status?: string;
  error?: { code?: string; message?: string; target?: string; innererror?: { code?: string } };
  result?: { images?: Array<{ url: string; width: number; height: number; expiresOn: string; contentType: string; revisedPrompt?: string }> };
  usage?: { textInputTokens: number; imageInputTokens: number; outputTokens: number; estimatedCostUsd?: number };
};

export interface StackOptions {
  /** A catalogue model name; gpt-image-2 (the default) unless a test is about another. */
  readonly model?: string;
  readonly hosts?: number;
  readonly env?: Record<string, string>;
  readonly imageService?: ImageServiceOptions;
  readonly contentSafety?: ContentSafetyServiceOptions;
}

const terminal = new Set(['Succeeded', 'Failed', 'Canceled']);

/**
 * How long a test waits before asking again about a job (or operation) it has waited on for `elapsedInMs`:
 * 50 ms at first, so a quick job is seen at once, growing to half a second. Jobs in a burst are waited on side
 * by side, and 60 of them asked about every 50 ms made 1,200 status reads a second, which kept the host and
 * Azurite busy answering instead of running the jobs.
 */
export function pollDelayInMs(elapsedInMs: number): number {
  return Math.min(500, 50 + elapsedInMs / 10);
}

/**
 * A test host holds a queue message for 5 s at a time, renewed every 2.5 s while its function runs (the local
 * host's --lease-seconds; Azure's is 10 minutes), so the message of a host a test kills comes back to another
 * within seconds. The chaos run holds its messages as briefly.
 */
const testLeaseInSeconds = 5;

export async function startHostProcess(env: Record<string, string>, options: { leaseSeconds?: number; projectDir?: string } = {}): Promise<HostProcess> {
  const child = spawn(
    process.execPath,
    ['--enable-source-maps', path.join(options.projectDir ?? projectDir, 'dist', 'local', 'host.js'), '--port', '0', '--ignore-local-settings', '--lease-seconds', String(options.leaseSeconds ?? testLeaseInSeconds)],
    { env: { PATH: process.env['PATH'] ?? '', NODE_EXTRA_CA_CERTS: process.env['NODE_EXTRA_CA_CERTS'] ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`host did not start:\n${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Functions host ready on http:\/\/localhost:(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(`http://127.0.0.1:${match[1]}`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`host exited with ${code}:\n${output}`));
    });
  });
  return {
    url,
    process: child,
    logs: () => output,
    kill: (signal = 'SIGTERM') =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      }),
  };
}

async function requestJson(url: string, init?: RequestInit) {
  const response = await fetch(url, init);
  const text = await response.text();
  let body: JsonObject;
  try {
    body = text ? (JSON.parse(text) as JsonObject) : {};
  } catch {
    body = { raw: text };
  }
  return { status: response.status, headers: response.headers, body };
}

/**
 * The settings a test host needs to start: development storage, an image endpoint that nothing answers
 * (override it where calls must succeed), the test tenants and status secret, and the sweep's schedule.
 */
export function hostSettings(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    AzureWebJobsStorage: 'UseDevelopmentStorage=true',
    IMAGE_PROVIDER: 'azure-openai',
    IMAGE_MODEL: 'gpt-image-2',
    AZURE_OPENAI_ENDPOINT: 'http://127.0.0.1:9',
    AZURE_OPENAI_DEPLOYMENT: 'gpt-image-2',
    AZURE_OPENAI_API_KEY: 'test-key',
    TENANTS: tenantsSetting(),
    STATUS_TOKEN_SECRETS: statusTokenSecret,
    SWEEP_SCHEDULE: '0 */5 * * * *',
    ...overrides,
  };
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const model = options.model ?? 'gpt-image-2';
  const { storage: azurite, release: releaseStorage } = await startTestStorage();
  const imageService = await startImageService({ defaultModel: model, ...options.imageService });
  const contentSafety = await startContentSafetyService(options.contentSafety);
  const env = hostSettings({
    CONTENT_SAFETY_ENDPOINT: contentSafety.url,
    CONTENT_SAFETY_KEY: 'local-stand-in-accepts-any-key',
    AzureWebJobsStorage: azurite.connectionString,
    IMAGE_MODEL: model,
    AZURE_OPENAI_ENDPOINT: imageService.url,
    AZURE_OPENAI_DEPLOYMENT: model,
    // Fast retries and polling for tests, through the same host.json override Azure supports.
    AzureFunctionsJobHost__extensions__queues__maxPollingInterval: '00:00:00.500',
    AzureFunctionsJobHost__extensions__queues__visibilityTimeout: '00:00:00',
    IMAGE_REQUESTS_PER_MINUTE: '100000',
    // Webhook receivers in tests listen on this machine.
    WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true',
    ...options.env,
  });
  const hosts: HostProcess[] = [];
  const startHost = async () => {
    const host = await startHostProcess(env);
    hosts.push(host);
    return host;
  };
  try {
    for (let i = 0; i < (options.hosts ?? 1); i++) await startHost();
  } catch (error) {
    await Promise.all(hosts.map((host) => host.kill()));
    await imageService.close();
    await contentSafety.close();
    await releaseStorage();
    throw error;
  }
  const baseUrl = () => hosts[0]?.url ?? '';

  const stack: Stack = {
    azurite,
    imageService,
    contentSafety,
    hosts,
    get url() {
      return baseUrl();
    },
    env,
    blobService: BlobServiceClient.fromConnectionString(azurite.connectionString),
    queueService: QueueServiceClient.fromConnectionString(azurite.connectionString),
    startHost,
    submit: (body, headers = {}) =>
      requestJson(`${baseUrl()}/api/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'api-key': tenantA.key, ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    getJob: (id, headers = { 'api-key': tenantA.key }) => requestJson(`${baseUrl()}/api/jobs/${id}`, { headers }),
    async openSession(body, headers = {}) {
      const answer = await requestJson(`${baseUrl()}/api/sessions`, { method: 'POST', headers: { 'content-type': 'application/json', 'api-key': tenantA.key, ...headers }, body: JSON.stringify(body) });
      const studioUrl = answer.status === 201 && typeof answer.body['studioUrl'] === 'string' ? new URL(answer.body['studioUrl']) : undefined;
      const token = studioUrl ? new URLSearchParams(studioUrl.hash.slice(1)).get('session') : null;
      return { ...answer, ...(token ? { token } : {}) };
    },
    async waitForStatus(id, status) {
      for (let i = 0; i < 100 && (await stack.getJob(id)).body.status !== status; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async waitForJob(id, timeoutInMs = 30_000) {
      const started = Date.now();
      const deadline = started + timeoutInMs;
      for (;;) {
        const { body } = await stack.getJob(id);
        if (terminal.has(String(body.status))) return body;
        if (Date.now() > deadline) {
          throw new Error(`job ${id} still ${String(body.status)} after ${timeoutInMs} ms\n${hosts.map((h) => h.logs()).join('\n')}`);
        }
        await new Promise((resolve) => setTimeout(resolve, pollDelayInMs(Date.now() - started)));
      }
    },
    async waitForLog(text, timeoutInMs = 30_000) {
      const deadline = Date.now() + timeoutInMs;
      for (;;) {
        if (hosts.some((host) => host.logs().includes(text))) return true;
        if (Date.now() > deadline) return false;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async stop() {
      await Promise.all(hosts.map((host) => host.kill()));
      await imageService.close();
      await contentSafety.close();
      await releaseStorage();
    },
  };
  return stack;
}

export function pngSize(bytes: Buffer): { width: number; height: number } {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (!bytes.subarray(0, 8).equals(signature)) throw new Error('not a PNG');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}
