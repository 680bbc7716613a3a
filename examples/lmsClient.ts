import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/**
 * A small LMS client, as a school's developer would write it against this API, with nothing from this
 * repository but the contract: submit with an Idempotency-Key (retries are safe), then either poll honouring
 * Retry-After or receive the signed webhook and verify it, and download the images. `npm run build`, then
 * with `npm start` running: `node dist/examples/lmsClient.js` (polls), or with `--webhook` (waits for the
 * webhook on a local port; the demo school's secret is in local.settings.example.json), or only receive with
 * `--listen 8099` (prints each verified event; docs/api.md's by-hand example sends there).
 */

export interface ClientOptions {
  /** e.g. http://localhost:7071/api */
  readonly baseUrl: string;
  readonly apiKey: string;
}

export interface Job {
  readonly id: string;
  readonly status: 'NotStarted' | 'Running' | 'Succeeded' | 'Failed' | 'Canceled';
  readonly result?: { readonly images: ReadonlyArray<{ readonly url: string; readonly contentType: string }> };
  readonly error?: { readonly code: string; readonly message: string };
}

const finished = new Set(['Succeeded', 'Failed', 'Canceled']);

async function call<T>(options: ClientOptions, path: string, init: RequestInit = {}): Promise<{ body: T; response: Response }> {
  // Retry a few times on 429 and 503, as Retry-After says; with the same Idempotency-Key a retried submit is the same job.
  for (let attempt = 1; ; attempt++) {
    const response = await fetch(`${options.baseUrl}${path}`, { ...init, headers: { 'api-key': options.apiKey, ...init.headers } });
    if ((response.status === 429 || response.status === 503) && attempt < 4) {
      await sleep(Number(response.headers.get('retry-after') ?? '2') * 1000);
      continue;
    }
    const body = (await response.json()) as T & { error?: { code: string; message: string } };
    if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${response.status} ${body.error?.code ?? ''} ${body.error?.message ?? ''}`);
    return { body, response };
  }
}

/** Submits a job; the Idempotency-Key makes a retry after a lost answer return the same job. */
export async function submit(options: ClientOptions, request: Record<string, unknown>, idempotencyKey: string = randomUUID()): Promise<Job & { operationLocation: string }> {
  const { body, response } = await call<Job>(options, '/jobs', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
    body: JSON.stringify(request),
  });
  return { ...body, operationLocation: response.headers.get('operation-location') ?? '' };
}

/** Polls the job's Operation-Location, waiting Retry-After seconds between reads, until it has finished. */
export async function waitForJob(options: ClientOptions, operationLocation: string, timeoutInMs = 120_000): Promise<Job> {
  const deadline = Date.now() + timeoutInMs;
  for (;;) {
    const response = await fetch(operationLocation, { headers: { 'api-key': options.apiKey } });
    const job = (await response.json()) as Job;
    if (finished.has(job.status)) return job;
    if (Date.now() > deadline) throw new Error(`job ${job.id} still ${job.status}`);
    await sleep(Number(response.headers.get('retry-after') ?? '2') * 1000);
  }
}

/** Downloads the images of a succeeded job (the links are read-only and expire: fetch them soon). */
export async function downloadImages(job: Job): Promise<Buffer[]> {
  return Promise.all(
    (job.result?.images ?? []).map(async (image) => {
      const response = await fetch(image.url);
      if (!response.ok) throw new Error(`image download: ${response.status}`);
      return Buffer.from(await response.arrayBuffer());
    }),
  );
}

/** The school's jobs of one class, newest first, following nextLink. */
export async function listClassJobs(options: ClientOptions, classId: string): Promise<Array<{ id: string; status: string }>> {
  const items: Array<{ id: string; status: string }> = [];
  let next: string | undefined = `/jobs?classId=${encodeURIComponent(classId)}&top=50`;
  while (next) {
    const page: { body: { value: Array<{ id: string; status: string }>; nextLink?: string } } = await call(options, next);
    const { body } = page;
    items.push(...body.value);
    next = body.nextLink?.slice(options.baseUrl.length);
  }
  return items;
}

export interface WebhookReceiver {
  /** The callbackUrl to send with a job. */
  readonly url: string;
  /** The next verified event for this job. */
  eventFor(jobId: string, timeoutInMs?: number): Promise<{ type: string; data: Job }>;
  close(): Promise<void>;
}

/**
 * Receives webhooks and verifies each with the school's secret (standardwebhooks: signature and timestamp).
 * A request that fails verification gets 401 and is ignored; a webhook-id seen before is answered 204 and
 * not handled twice (retries carry the same id).
 */
export async function startWebhookReceiver(secret: string, port = 0, onEvent?: (event: { type: string; data: Job }) => void): Promise<WebhookReceiver> {
  const webhook = new Webhook(secret);
  const seen = new Set<string>();
  const events = new Map<string, { type: string; data: Job }>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const headers = Object.fromEntries(Object.entries(req.headers).map(([name, value]) => [name, String(value)]));
      let event: { type: string; data: Job };
      try {
        event = webhook.verify(Buffer.concat(chunks).toString('utf8'), headers) as { type: string; data: Job };
      } catch {
        res.writeHead(401).end();
        return;
      }
      const id = headers['webhook-id'] ?? '';
      if (!seen.has(id)) {
        seen.add(id);
        events.set(event.data.id, event);
        onEvent?.(event);
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/edu4all-webhooks`,
    async eventFor(jobId, timeoutInMs = 60_000) {
      const deadline = Date.now() + timeoutInMs;
      for (;;) {
        const event = events.get(jobId);
        if (event) return event;
        if (Date.now() > deadline) throw new Error(`no webhook for job ${jobId}`);
        await sleep(100);
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The demo school's webhook secret in local.settings.example.json (local only, never used in Azure). */
const demoWebhookSecret = 'whsec_bG9jYWwtZGV2LXdlYmhvb2stc2VjcmV0LW5vdC1mb3ItYXp1cmU=';

/** `--listen PORT`: only a receiver on 127.0.0.1:PORT that prints each verified event until Ctrl-C. */
async function listen(port: number): Promise<void> {
  const receiver = await startWebhookReceiver(process.env['EDU4ALL_WEBHOOK_SECRET'] ?? demoWebhookSecret, port, (event) =>
    console.log(`${new Date().toISOString()} ${event.type} ${event.data.id} ${event.data.status}`),
  );
  console.log(`receiving webhooks on ${receiver.url} (signatures checked with EDU4ALL_WEBHOOK_SECRET or the demo school's secret); Ctrl-C stops`);
  process.once('SIGINT', () => void receiver.close());
}

async function main(): Promise<void> {
  const listenAt = process.argv.indexOf('--listen');
  if (listenAt >= 0) return listen(Number(process.argv[listenAt + 1] ?? 8099));
  const options = { baseUrl: process.env['EDU4ALL_URL'] ?? 'http://localhost:7071/api', apiKey: process.env['EDU4ALL_API_KEY'] ?? 'local-dev-key' };
  const useWebhook = process.argv.includes('--webhook');
  const receiver = useWebhook ? await startWebhookReceiver(process.env['EDU4ALL_WEBHOOK_SECRET'] ?? demoWebhookSecret) : undefined;
  try {
    const request = { prompt: 'A dog beside the Eiffel Tower in morning light', n: 1, user: 'student-42', metadata: { classId: '4B', assignmentId: 'monuments' }, ...(receiver ? { callbackUrl: receiver.url } : {}) };
    const submitted = await submit(options, request);
    console.log(`submitted ${submitted.id}`);
    const job = receiver ? (await receiver.eventFor(submitted.id)).data : await waitForJob(options, submitted.operationLocation);
    console.log(`${job.id}: ${job.status}${job.error ? ` (${job.error.code})` : ''}`);
    const images = await downloadImages(job);
    console.log(`downloaded ${images.length} image(s), ${images.reduce((sum, image) => sum + image.length, 0)} bytes`);
    console.log(`class 4B has ${(await listClassJobs(options, '4B')).length} job(s)`);
  } finally {
    await receiver?.close();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
