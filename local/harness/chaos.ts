import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { startAzurite, type Azurite } from '../azurite/azurite';
import { startImageService, type Fault, type ImageService } from '../imageService/imageService';
import { isTerminal, parseJobRecord, type JobRecord } from '../../shared/jobs/job';
import { storageNames } from '../../shared/storage/storageNames';
import { seededRandom } from './random';
import { hostSettings, startHostProcess, tenantA, type HostProcess } from './stack';

/**
 * The chaos run: jobs of mixed size against several local hosts sharing one Azurite, while the image
 * service answers with a mix of faults, hosts are killed with SIGKILL and restarted, and Azurite is
 * restarted once. At the end it checks from storage alone that every accepted job ended once, with exactly
 * its images, the failure codes its faults explain, and no more provider calls than its faults and the
 * kills explain. The LMS side behaves as a careful client: it retries a failed submit with the same
 * Idempotency-Key, and polls status.
 */

export interface ChaosOptions {
  readonly jobs: number;
  readonly hosts: number;
  /** Milliseconds between host kills (each host killed is restarted shortly after). */
  readonly killEveryMs: number;
  readonly restartAzurite: boolean;
  readonly seed: number;
  readonly log?: (line: string) => void;
}

export interface ChaosSummary {
  readonly jobs: number;
  readonly faults: number;
  readonly kills: number;
  readonly azuriteRestarts: number;
  readonly lost: number;
  readonly duplicates: number;
  readonly stuck: number;
  readonly unexplained: string[];
  readonly extraCalls: number;
  readonly seconds: number;
  readonly line: string;
  readonly ok: boolean;
}

type Plan = { readonly name: string; readonly rules: ReadonlyArray<{ fault: Fault; times?: number }>; readonly expect: 'Succeeded' | 'ContentFiltered' | 'ProviderUnavailable' };

const noFaults: Plan = { name: 'none', rules: [], expect: 'Succeeded' };
const plans: ReadonlyArray<readonly [weight: number, plan: Plan]> = [
  [55, noFaults],
  [6, { name: '429 with Retry-After', rules: [{ fault: { kind: 'rateLimit', retryAfterMs: 500 }, times: 1 }], expect: 'Succeeded' }],
  [5, { name: '429 without Retry-After', rules: [{ fault: { kind: 'rateLimit' }, times: 1 }], expect: 'Succeeded' }],
  [8, { name: '500 once', rules: [{ fault: { kind: 'serverError' }, times: 1 }], expect: 'Succeeded' }],
  [4, { name: '503 twice', rules: [{ fault: { kind: 'serverError', status: 503 }, times: 2 }], expect: 'Succeeded' }],
  [4, { name: 'hang once', rules: [{ fault: { kind: 'hang' }, times: 1 }], expect: 'Succeeded' }],
  [6, { name: 'reset once', rules: [{ fault: { kind: 'reset' }, times: 1 }], expect: 'Succeeded' }],
  [7, { name: 'content filter', rules: [{ fault: { kind: 'contentFilter', category: 'violence' } }], expect: 'ContentFiltered' }],
  [5, { name: '500 always', rules: [{ fault: { kind: 'serverError' } }], expect: 'ProviderUnavailable' }],
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runChaos(options: ChaosOptions): Promise<ChaosSummary> {
  const log = options.log ?? (() => undefined);
  const random = seededRandom(options.seed);
  const started = Date.now();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'chaos-azurite-'));
  let azurite: Azurite = await startAzurite({ quiet: true, location: dataDir });
  // The restarted Azurite must come back on the same ports: the hosts' connection string names all three.
  const ports = { blob: Number(new URL(azurite.blobUrl).port), queue: Number(new URL(azurite.queueUrl).port), table: Number(new URL(azurite.tableUrl).port) };
  const imageService: ImageService = await startImageService({ defaultModel: 'gpt-image-2', latencyMs: 30 });
  const env = hostSettings({
    AzureWebJobsStorage: azurite.connectionString,
    AZURE_OPENAI_ENDPOINT: imageService.url,
    AZURE_OPENAI_API_KEY: 'chaos-key',
    IMAGE_REQUESTS_PER_MINUTE: '100000',
    // The sweep re-enqueues jobs a kill stranded between store and enqueue (after a minute): often, so they end in the run.
    SWEEP_SCHEDULE: '*/5 * * * * *',
    IMAGE_REQUEST_TIMEOUT_SECONDS: '5',
    // Short, to exercise the deadline; waiting in the backlog after a kill does not count against it.
    JOB_RETRY_DEADLINE_SECONDS: '20',
    AzureFunctionsJobHost__extensions__queues__maxPollingInterval: '00:00:00.500',
    AzureFunctionsJobHost__extensions__queues__visibilityTimeout: '00:00:01',
  });
  const hosts: Array<HostProcess | undefined> = [];
  const startHost = () => startHostProcess(env, { leaseSeconds: 5 });
  for (let i = 0; i < options.hosts; i++) hosts.push(await startHost());
  const liveHost = (): HostProcess | undefined => {
    const live = hosts.filter((h): h is HostProcess => h !== undefined);
    return live[Math.floor(random() * live.length)];
  };

  // The careful LMS: same Idempotency-Key on every retry, until the service answers 202.
  const planOf = new Map<string, Plan>();
  const nOf = new Map<string, number>();
  let faults = 0;
  async function submit(i: number): Promise<string> {
    const marker = `chaos-${options.seed}-${i}-end`;
    const roll = random() * 100;
    let acc = 0;
    const plan = plans.find(([weight]) => (acc += weight) > roll)?.[1] ?? noFaults;
    for (const rule of plan.rules) imageService.addRule({ match: marker, fault: rule.fault, ...(rule.times ? { times: rule.times } : {}) });
    faults += plan.rules.reduce((sum, rule) => sum + (rule.times ?? 1), 0);
    const n = 1 + (i % 3);
    const key = randomUUID();
    for (let attempt = 1; ; attempt++) {
      const host = liveHost();
      if (host) {
        try {
          const response = await fetch(`${host.url}/api/jobs`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'api-key': tenantA.key, 'idempotency-key': key },
            body: JSON.stringify({ prompt: `A paper boat on a canal ${marker}`, n }),
            signal: AbortSignal.timeout(15_000),
          });
          if (response.status === 202) {
            const id = String(((await response.json()) as { id: string }).id);
            planOf.set(id, plan);
            nOf.set(id, n);
            return id;
          }
          if (response.status < 500) throw new Error(`submit ${i} refused: ${response.status} ${await response.text()}`);
        } catch (error) {
          if (error instanceof Error && error.message.startsWith('submit')) throw error;
        }
      }
      if (attempt > 200) throw new Error(`submit ${i} never accepted`);
      await sleep(Math.min(2000, 100 * attempt));
    }
  }

  // Chaos: kill and restart hosts; restart Azurite once.
  let kills = 0;
  let azuriteRestarts = 0;
  let chaosOn = true;
  const chaos = (async () => {
    let sinceStart = 0;
    while (chaosOn) {
      await sleep(options.killEveryMs * (0.5 + random()));
      if (!chaosOn) break;
      sinceStart++;
      if (options.restartAzurite && azuriteRestarts === 0 && sinceStart === 2) {
        log('chaos: restarting Azurite');
        await azurite.stop();
        await sleep(1500);
        azurite = await startAzurite({ quiet: true, location: dataDir, blobPort: ports.blob, queuePort: ports.queue, tablePort: ports.table });
        azuriteRestarts++;
        continue;
      }
      const index = Math.floor(random() * hosts.length);
      const victim = hosts[index];
      if (!victim) continue;
      hosts[index] = undefined;
      await victim.kill('SIGKILL');
      kills++;
      log(`chaos: killed host ${index}`);
      await sleep(300 + random() * 700);
      hosts[index] = await startHost();
    }
  })();

  const ids: string[] = [];
  const batch = 10;
  for (let i = 0; i < options.jobs; i += batch) {
    ids.push(...(await Promise.all(Array.from({ length: Math.min(batch, options.jobs - i) }, (_, k) => submit(i + k)))));
  }
  log(`chaos: ${ids.length} jobs accepted after ${((Date.now() - started) / 1000).toFixed(0)} s`);

  // Students poll until every job ended or time is up (the sweep repairs a job whose enqueue was lost).
  const blobService = BlobServiceClient.fromConnectionString(azurite.connectionString);
  const readJob = async (id: string): Promise<JobRecord | undefined> => {
    try {
      const buffer = await blobService.getContainerClient(storageNames.jobsContainer).getBlobClient(`${id}.json`).downloadToBuffer();
      return parseJobRecord(JSON.parse(buffer.toString('utf8')));
    } catch {
      return undefined;
    }
  };
  const deadline = Date.now() + Math.max(120_000, options.jobs * 1500);
  let pending = [...ids];
  let stopChaosAt = Date.now() + Math.min(60_000, options.jobs * 300);
  while (pending.length > 0 && Date.now() < deadline) {
    if (chaosOn && Date.now() > stopChaosAt) {
      chaosOn = false;
      await chaos;
      log(`chaos: stopped after ${kills} kills and ${azuriteRestarts} Azurite restarts; letting the service settle`);
    }
    const still: string[] = [];
    for (const id of pending) {
      const host = liveHost();
      const answer = host
        ? await fetch(`${host.url}/api/jobs/${id}`, { headers: { 'api-key': tenantA.key }, signal: AbortSignal.timeout(10_000) })
            .then((r) => (r.status === 200 ? (r.json() as Promise<{ status: string }>) : undefined))
            .catch(() => undefined)
        : undefined;
      if (!answer || !['Succeeded', 'Failed', 'Canceled'].includes(answer.status)) still.push(id);
    }
    pending = still;
    if (pending.length > 0) await sleep(1000);
    stopChaosAt = Math.min(stopChaosAt, Date.now() + 60_000);
  }
  chaosOn = false;
  await chaos;

  // The verdict, from storage alone.
  let lost = 0;
  let duplicates = 0;
  let stuck = 0;
  let extraCalls = 0;
  const unexplained: string[] = [];
  const images = blobService.getContainerClient(storageNames.imagesContainer);
  const calls = imageService.calls();
  for (const id of ids) {
    const job = await readJob(id);
    const plan = planOf.get(id) as Plan;
    const n = nOf.get(id) as number;
    if (!job) {
      lost++;
      continue;
    }
    if (!isTerminal(job.status)) {
      stuck++;
      unexplained.push(`${id} still ${job.status} (${plan.name})`);
      continue;
    }
    const blobs: string[] = [];
    for await (const blob of images.listBlobsFlat({ prefix: `${id}/` })) blobs.push(blob.name);
    const expectedBlobs = job.status === 'Succeeded' ? Array.from({ length: n }, (_, k) => `${id}/${k}.png`) : [];
    if (blobs.length > expectedBlobs.length) duplicates += blobs.length - expectedBlobs.length;
    if (JSON.stringify(blobs.sort()) !== JSON.stringify(expectedBlobs.sort())) unexplained.push(`${id}: blobs ${blobs.join(',')} for ${job.status} n=${n}`);
    for (const name of job.status === 'Succeeded' ? blobs : []) {
      const bytes = await images.getBlobClient(name).downloadToBuffer().catch(() => Buffer.alloc(0));
      if (bytes.subarray(1, 4).toString() !== 'PNG') unexplained.push(`${name} is not a readable PNG`);
    }
    const error = job.status === 'Failed' || job.status === 'Canceled' ? job.error : undefined;
    const outcome = job.status === 'Succeeded' ? 'Succeeded' : (error?.code ?? job.status);
    if (outcome !== plan.expect) {
      unexplained.push(`${id}: ${outcome} but its faults (${plan.name}) explain ${plan.expect} (attempts ${job.attempts}, calls ${job.providerCalls ?? 0}: ${error?.message ?? ''})`);
    }
    const marker = `chaos-${options.seed}-${ids.indexOf(id)}-end`;
    const made = calls.filter((call) => call.prompt.includes(marker)).length;
    const injected = plan.rules.reduce((sum, rule) => sum + (rule.times ?? 0), 0);
    // A job that keeps failing is tried until its deadline or the poison queue, which the plan allows.
    const allowed = plan.expect === 'Succeeded' ? 1 + injected : Number.POSITIVE_INFINITY;
    if (made > allowed) extraCalls += made - allowed;
  }
  // Each kill or storage outage can cost at most the calls that were in flight.
  const inFlightPerHost = 3;
  const explainableExtra = (kills + azuriteRestarts * options.hosts) * inFlightPerHost;
  if (extraCalls > explainableExtra) unexplained.push(`${extraCalls} extra provider calls; kills and restarts explain at most ${explainableExtra}`);

  for (const host of hosts) await host?.kill();
  await imageService.close();
  await azurite.stop();
  rmSync(dataDir, { recursive: true, force: true });

  const seconds = Math.round((Date.now() - started) / 1000);
  const ok = lost === 0 && duplicates === 0 && stuck === 0 && unexplained.length === 0;
  const line = `chaos: jobs=${ids.length} faults=${faults} kills=${kills} azuriteRestarts=${azuriteRestarts} lost=${lost} duplicates=${duplicates} stuck=${stuck} unexplained=${unexplained.length} extraCalls=${extraCalls} seconds=${seconds} seed=${options.seed}`;
  return { jobs: ids.length, faults, kills, azuriteRestarts, lost, duplicates, stuck, unexplained, extraCalls, seconds, line, ok };
}
