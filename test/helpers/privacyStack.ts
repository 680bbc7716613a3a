import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { hashApiKey } from '../../shared/config/tenants';
import { createPseudonyms } from '../../shared/access/pseudonyms';
import { pollDelayInMs, startStack, statusTokenSecret, tenantA, tenantB, webhookSecretA, type JsonObject, type Stack } from '../../local/harness/stack';
import { everythingStored } from './storageTraces';

/**
 * Issue 24: a school's privacy officer's questions, asked of a real stack (Azurite, the local host, the image
 * service and the Content Safety stand-in), in test/integration/privacy*.test.ts and accessLog.test.ts. School A
 * keeps data 7 days and has a second, named key; school B keeps 60 days; the default is 30. A webhook receiver
 * on loopback answers every delivery with 204.
 */
export const dashboardKey = 'dashboard-key-of-school-a';
const generous = { imagesPerUserPerDay: 10_000, imagesPerDay: 100_000, imagesPerMonth: 1_000_000, submitsPerMinute: 100_000, submitsPerUserPerMinute: 100_000 };
const tenants = JSON.stringify([
  { id: tenantA.id, apiKeyHashes: [hashApiKey(tenantA.key)], apiKeys: [{ label: 'dashboard', hash: hashApiKey(dashboardKey) }], quotas: generous, webhook: { secrets: [webhookSecretA] }, retentionDays: 7 },
  { id: tenantB.id, apiKeyHashes: [hashApiKey(tenantB.key)], quotas: generous, retentionDays: 60 },
]);
export const pseudonyms = createPseudonyms(statusTokenSecret);
export const dayInMs = 24 * 3600_000;

export interface PrivacyStack {
  readonly stack: Stack;
  readonly receiverUrl: string;
  /** `key` null sends no api-key. A full URL is asked of the host that runs now (an Operation-Location may name a killed one). */
  readonly api: (method: string, path: string, key?: string | null, headers?: Record<string, string>) => Promise<{ status: number; headers: Headers; body: JsonObject }>;
  /** Submits and waits until the job has Succeeded or Failed. */
  readonly run: (body: Record<string, unknown>, key?: string, headers?: Record<string, string>) => Promise<JsonObject>;
  /** Submits a prompt the screen refuses, and checks that it is refused. */
  readonly refused: (prompt: string, user: string, key?: string) => Promise<void>;
  /** Asks for a student's erasure, and checks the 202 and its Operation-Location. */
  readonly erase: (user: string, key?: string) => Promise<{ location: string; operation: JsonObject }>;
  /** Waits until the operation at `location` has Succeeded or Failed. */
  readonly finished: (location: string, key?: string) => Promise<JsonObject>;
  /** Uploads a picture for an edit; returns its upload id. */
  readonly picture: () => Promise<string>;
  /** What is left in storage of these needles, outside the places named by `allowed`. */
  readonly traces: (needles: readonly string[], allowed?: (where: string, needle: string) => boolean) => Promise<string[]>;
  readonly stop: () => Promise<void>;
}

export async function startPrivacyStack(): Promise<PrivacyStack> {
  const stack = await startStack({ env: { TENANTS: tenants, RETENTION_DAYS: '30' } });
  const receiver = http.createServer((request, response) => {
    request.resume();
    request.on('end', () => response.writeHead(204).end());
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

  const api: PrivacyStack['api'] = async (method, path, key = tenantA.key, headers = {}) => {
    const url = `${stack.url}${path.startsWith('http') ? new URL(path).pathname : path}`;
    const response = await fetch(url, { method, headers: { ...(key !== null ? { 'api-key': key } : {}), ...headers } });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : {}) as JsonObject };
  };

  return {
    stack,
    receiverUrl,
    api,
    run: async (body, key = tenantA.key, headers = {}) => {
      const submitted = await stack.submit(body, { 'api-key': key, ...headers });
      assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
      const id = String(submitted.body.id);
      const started = Date.now();
      for (;;) {
        const { body: job } = await stack.getJob(id, { 'api-key': key });
        if (job.status === 'Succeeded' || job.status === 'Failed') return job;
        await new Promise((resolve) => setTimeout(resolve, pollDelayInMs(Date.now() - started)));
      }
    },
    refused: async (prompt, user, key = tenantA.key) => {
      const response = await stack.submit({ prompt, user }, { 'api-key': key });
      assert.equal(response.status, 400, JSON.stringify(response.body));
      assert.equal(response.body.error?.code, 'PromptBlocked');
    },
    erase: async (user, key = tenantA.key) => {
      const answer = await api('DELETE', `/api/students/${encodeURIComponent(user)}`, key);
      assert.equal(answer.status, 202, JSON.stringify(answer.body));
      assert.equal(answer.body.status, 'NotStarted');
      assert.ok(Number(answer.headers.get('retry-after')) >= 1);
      const location = answer.headers.get('operation-location') ?? '';
      assert.match(location, /\/api\/operations\/[0-9a-f-]{36}$/);
      return { location, operation: answer.body };
    },
    finished: async (location, key = tenantA.key) => {
      const started = Date.now();
      for (;;) {
        const { status, body } = await api('GET', location, key);
        assert.equal(status, 200, JSON.stringify(body));
        if (body.status === 'Succeeded' || body.status === 'Failed') return body;
        await new Promise((resolve) => setTimeout(resolve, pollDelayInMs(Date.now() - started)));
      }
    },
    picture: async () => {
      const created = await api('POST', '/api/uploads');
      assert.equal(created.status, 201);
      const bytes = await sharp({ create: { width: 256, height: 256, channels: 3, background: { r: 90, g: 160, b: 220 } } }).png().toBuffer();
      const put = await fetch(String(created.body['uploadUrl']), { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob' }, body: new Uint8Array(bytes) });
      assert.equal(put.status, 201);
      return String(created.body.id);
    },
    traces: async (needles, allowed = () => false) => {
      const found: string[] = [];
      for (const thing of await everythingStored(stack.azurite.connectionString)) {
        for (const needle of needles) if (thing.text.includes(needle) && !allowed(thing.where, needle)) found.push(`${thing.where} holds ${needle}`);
      }
      return found;
    },
    stop: async () => {
      await stack.stop();
      await new Promise((resolve) => receiver.close(resolve));
    },
  };
}
