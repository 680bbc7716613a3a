import { readFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import sharp from 'sharp';
import { ContainerSASPermissions } from '@azure/storage-blob';
import { QueueSASPermissions } from '@azure/storage-queue';
import { storageNames } from '../shared/storage/storageNames';
import { projectDir, startHostProcess, startStack, tenantA, tenantsSetting, type JsonObject, type Stack, type StackOptions } from '../local/harness/stack';
import { formatFigure, load, ms, percentile, perSecond, sleep, type Figure } from './measure';

/**
 * `npm run bench` (`npm run bench -- --quick`: the same sections, smaller, in about a minute).
 *
 * Each section starts its own stack (Azurite, the local image service, local Functions hosts) and sets every
 * figure beside a baseline measured in the same run on the same Azurite, as a ratio, so the figures travel
 * between machines better than absolute numbers. Writes docs/benchmarks.md. Nothing here asserts timings.
 */

const quick = process.argv.includes('--quick');
const seconds = quick ? 3 : 10;
const figures: Figure[] = [];
/** `--only=submit,status`: some sections only. */
let partial = false;

function report(figure: Figure): void {
  figures.push(figure);
  console.log(`  ${formatFigure(figure)}`);
}

/** Submits and returns the job id; a benchmark that cannot submit stops with the answer, not a timeout. */
async function submitJob(stack: Stack, body: Record<string, unknown>): Promise<string> {
  const { status, body: answer } = await stack.submit(body);
  if (status !== 202 || typeof answer.id !== 'string') throw new Error(`submit answered ${status}: ${JSON.stringify(answer)}`);
  return answer.id;
}

/**
 * Waits until every job has ended, asking about one job at a time: a benchmark that polled hundreds of jobs
 * at once (3,600 status reads a second for 360 jobs) measured its own load, not the service.
 */
async function waitForAll(stack: Stack, ids: readonly string[], timeoutInMs: number): Promise<JsonObject[]> {
  const deadline = Date.now() + timeoutInMs;
  const ended = new Map<string, JsonObject>();
  while (ended.size < ids.length) {
    if (Date.now() > deadline) throw new Error(`${ids.length - ended.size} jobs still running after ${timeoutInMs} ms`);
    for (const id of ids) {
      if (ended.has(id)) continue;
      const { body } = await stack.getJob(id);
      if (body.status === 'Succeeded' || body.status === 'Failed' || body.status === 'Canceled') ended.set(id, body);
      else break;
    }
    if (ended.size < ids.length) await sleep(250);
  }
  return ids.map((id) => ended.get(id)!);
}

async function withStack<T>(options: StackOptions, body: (stack: Stack) => Promise<T>): Promise<T> {
  const stack = await startStack(options);
  try {
    return await body(stack);
  } finally {
    await stack.stop();
  }
}

const submitHeaders = { 'content-type': 'application/json', 'api-key': tenantA.key };
let submitCounter = 0;
/** Every submit names a student (as an LMS does), so the per-student quota counter is in the path too. */
const submitRequest = () => ({
  method: 'POST' as const,
  path: '/api/jobs',
  setupRequest: (request: object) => ({
    ...request,
    body: JSON.stringify({ prompt: `A paper boat number ${submitCounter}`, user: `student-${submitCounter++ % 30}` }),
  }),
});

/** (1) Submit throughput and latency, against the raw storage a submit stands for: one blob put and one queue send. */
async function submitSection(): Promise<void> {
  console.log('(1) submit');
  // A slow model, so the workers wait on the image service and stay out of what is measured.
  await withStack({ imageService: { latencyMs: 600_000 } }, async (stack) => {
    const container = stack.blobService.getContainerClient(`bench-${Date.now()}`);
    await container.create();
    const queue = stack.queueService.getQueueClient(`bench-${Date.now()}`);
    await queue.create();
    const expiresOn = new Date(Date.now() + 3_600_000);
    const containerUrl = new URL(await container.generateSasUrl({ permissions: ContainerSASPermissions.parse('cw'), expiresOn }));
    const queueUrl = new URL(queue.generateSasUrl({ permissions: QueueSASPermissions.parse('a'), expiresOn }));
    let blobCounter = 0;
    const kilobyte = JSON.stringify({ padding: 'x'.repeat(1000) });
    const rawPair = [
      {
        method: 'PUT' as const,
        setupRequest: (request: object) => ({ ...request, path: `${containerUrl.pathname}/${blobCounter++}.json${containerUrl.search}` }),
        headers: { 'x-ms-blob-type': 'BlockBlob', 'content-type': 'application/json' },
        body: kilobyte,
      },
      {
        method: 'POST' as const,
        path: `${queueUrl.pathname}/messages${queueUrl.search}`,
        body: `<QueueMessage><MessageText>${Buffer.from(randomUUID()).toString('base64')}</MessageText></QueueMessage>`,
      },
    ];
    const origin = containerUrl.origin === queueUrl.origin ? containerUrl.origin : undefined;
    for (const connections of [8, 16]) {
      // Blob and queue listen on different ports, so the pair is two loads run together, with half the
      // connections each: as many requests in flight as the submits have.
      const [blobs, messages] = await Promise.all([
        load({ url: origin ?? containerUrl.origin, connections: connections / 2, durationInSeconds: seconds, requests: [rawPair[0]!] }),
        load({ url: origin ?? queueUrl.origin, connections: connections / 2, durationInSeconds: seconds, requests: [rawPair[1]!] }),
      ]);
      const rawPerSecond = Math.min(blobs.perSecond, messages.perSecond);
      const submit = await load({ url: stack.url, connections, durationInSeconds: seconds, headers: submitHeaders, requests: [submitRequest()] });
      const ratio = submit.perSecond / rawPerSecond;
      report({
        section: 'submit',
        measure: `submit throughput at concurrency ${connections}`,
        value: `${perSecond(submit.perSecond)} (p50 ${ms(submit.p50)}, p99 ${ms(submit.p99)}; answers ${JSON.stringify(submit.statuses)})`,
        baseline: `raw blob put + queue send ${perSecond(rawPerSecond)} (p50 ${ms(blobs.p50)} + ${ms(messages.p50)})`,
        ratio,
        goal: '≥ 0.60× raw',
        met: ratio >= 0.6,
      });
    }
    const offered = quick ? [50] : [25, 50, 100];
    for (const rate of offered) {
      const submit = await load({ url: stack.url, connections: 32, overallRate: rate, durationInSeconds: seconds, headers: submitHeaders, requests: [submitRequest()] });
      report({
        section: 'submit',
        measure: `submit latency at ${rate} requests/s offered`,
        value: `p50 ${ms(submit.p50)}, p99 ${ms(submit.p99)}, served ${perSecond(submit.perSecond)} (answers ${JSON.stringify(submit.statuses)})`,
        ...(rate === 100 ? { goal: 'p99 ≤ 25 ms', met: submit.p99 <= 25 } : {}),
      });
    }
  });
}

/** (2) Status reads of a job with 4 images (4 SAS links), against a raw read of the job's blob. */
async function statusSection(): Promise<void> {
  console.log('(2) status reads');
  await withStack({}, async (stack) => {
    const id = await submitJob(stack, { prompt: 'four paper boats', n: 4 });
    const job = await stack.waitForJob(id);
    if (job.status !== 'Succeeded') throw new Error(`the status section's job ended ${String(job.status)}`);
    const blob = stack.blobService.getContainerClient(storageNames.jobsContainer).getBlobClient(`${id}.json`);
    const blobUrl = new URL(await blob.generateSasUrl({ permissions: ContainerSASPermissions.parse('r'), expiresOn: new Date(Date.now() + 3_600_000) }));
    const raw = await load({ url: blobUrl.origin, connections: 8, durationInSeconds: seconds, requests: [{ method: 'GET', path: `${blobUrl.pathname}${blobUrl.search}` }] });
    const status = await load({ url: stack.url, connections: 8, durationInSeconds: seconds, headers: { 'api-key': tenantA.key }, requests: [{ method: 'GET', path: `/api/jobs/${id}` }] });
    const ratio = status.perSecond / raw.perSecond;
    report({
      section: 'status',
      measure: 'status reads with 4 image links, concurrency 8',
      value: `${perSecond(status.perSecond)} (p50 ${ms(status.p50)}, p99 ${ms(status.p99)})`,
      baseline: `raw blob read ${perSecond(raw.perSecond)} (p50 ${ms(raw.p50)})`,
      ratio,
      goal: '≥ 0.60× raw',
      met: ratio >= 0.6,
    });
  });
}

/**
 * (2b) What tracing costs: submit and status reads on two hosts of one stack, one with spans written to a
 * file (LOCAL_TRACES_FILE, as npm start runs) and one with telemetry off, measured in turns (off, on, off, on)
 * so drift on a shared machine falls on both. Neither host runs the worker (AzureWebJobs.processJob.Disabled),
 * so only the HTTP paths are measured; a first host makes the 4-picture job the reads ask for, then stops.
 */
async function tracingSection(): Promise<void> {
  console.log('(2b) tracing on and off');
  const traceDir = mkdtempSync(path.join(os.tmpdir(), 'edu4all-bench-traces-'));
  try {
    await withStack({}, async (stack) => {
      const id = await submitJob(stack, { prompt: 'four paper boats', n: 4 });
      const job = await stack.waitForJob(id);
      if (job.status !== 'Succeeded') throw new Error(`the tracing section's job ended ${String(job.status)}`);
      await stack.hosts[0]?.kill();
      stack.hosts.splice(0, 1);
      const noWorker = { ...stack.env, 'AzureWebJobs.processJob.Disabled': 'true' };
      const off = await startHostProcess(noWorker);
      const on = await startHostProcess({ ...noWorker, LOCAL_TRACES_FILE: path.join(traceDir, 'spans.jsonl') });
      stack.hosts.push(off, on);
      const measure = async (url: string) => {
        const submit = await load({ url, connections: 8, durationInSeconds: seconds, headers: submitHeaders, requests: [submitRequest()] });
        const status = await load({ url, connections: 8, durationInSeconds: seconds, headers: { 'api-key': tenantA.key }, requests: [{ method: 'GET', path: `/api/jobs/${id}` }] });
        return { submit: submit.perSecond, status: status.perSecond };
      };
      const rounds = { off: { submit: 0, status: 0 }, on: { submit: 0, status: 0 } };
      for (let round = 0; round < 2; round++) {
        for (const [name, host] of [['off', off], ['on', on]] as const) {
          const figures = await measure(host.url);
          rounds[name].submit += figures.submit / 2;
          rounds[name].status += figures.status / 2;
        }
      }
      for (const what of ['submit', 'status'] as const) {
        const ratio = rounds.on[what] / rounds.off[what];
        report({
          section: 'tracing',
          measure: `${what === 'submit' ? 'submits' : 'status reads (4 image links)'}, concurrency 8, spans to a file`,
          value: perSecond(rounds.on[what]),
          baseline: `telemetry off ${perSecond(rounds.off[what])}`,
          ratio,
          goal: '≥ 0.90× off',
          met: ratio >= 0.9,
        });
      }
    });
  } finally {
    rmSync(traceDir, { recursive: true, force: true });
  }
}

interface Overhead {
  /** Submit accepted → the provider call began, less nothing: queue pick-up plus the worker's work before the call. */
  readonly pickUp: number;
  /** Everything that is not the model: total − the image service's answer time. */
  readonly overhead: number;
  /** The image service's answer time (300 ms set, plus drawing its placeholders and partial images). */
  readonly model: number;
}

/** Times one job from its record and the image service's log of calls. */
async function overheadOf(stack: Stack, id: string, marker: string, modelLatency: number, ended?: JsonObject): Promise<Overhead> {
  const job = ended ?? (await stack.waitForJob(id, 60_000));
  if (job.status !== 'Succeeded') throw new Error(`job ${id} ended ${String(job.status)}`);
  const call = stack.imageService.calls().find((c) => c.prompt.includes(marker) && c.status === 200);
  if (!call) throw new Error(`no provider call for ${id}`);
  const created = Date.parse(String(job['createdDateTime']));
  const finished = Date.parse(String(job['lastUpdatedDateTime']));
  // The model's time is the whole answer as the image service sent it: its set latency, and the placeholder
  // pictures and partial images it draws meanwhile, which are the stand-in's work, not ours.
  const model = call.answeredInMs ?? modelLatency;
  return { pickUp: Date.parse(call.receivedAt) - created, overhead: finished - created - model, model };
}

/** (3) Our share of the wait: end to end less the model's time, idle and under load, split into pick-up and the rest. */
async function overheadSection(): Promise<void> {
  console.log('(3) overhead beyond model time');
  const modelLatency = 300;
  const idleJobs = quick ? 3 : 10;
  const summarise = (samples: readonly Overhead[]) => {
    const overheads = samples.map((s) => s.overhead);
    const pickUps = samples.map((s) => s.pickUp);
    return {
      p50: percentile(overheads, 0.5),
      p99: percentile(overheads, 0.99),
      text:
        `p50 ${ms(percentile(overheads, 0.5))}, p99 ${ms(percentile(overheads, 0.99))} (of which submit to the call's start p50 ${ms(percentile(pickUps, 0.5))}, p99 ${ms(percentile(pickUps, 0.99))}; ` +
        `the image service's answers took p50 ${ms(percentile(samples.map((s) => s.model), 0.5))})`,
    };
  };
  // Submit sends the job's message through the queue output binding, which wakes the host's own listener at
  // once (queueOutput.ts), so an idle host no longer waits out its polling back-off (host.json's 2 s cap:
  // 3 queues polled once per 2 s ≈ 3.9 M queue transactions a month per always-ready instance). Live
  // previews are measured on (the default) and off: storing each partial image is work on the worker's path.
  const configurations: Array<{ name: string; env: Record<string, string>; underLoad: boolean }> = [
    { name: 'live previews on (PARTIAL_IMAGES 2, the default)', env: {}, underLoad: true },
    { name: 'live previews off (PARTIAL_IMAGES 0)', env: { PARTIAL_IMAGES: '0' }, underLoad: false },
  ];
  for (const configuration of configurations) {
    await withStack({ imageService: { latencyMs: modelLatency }, env: configuration.env }, async (stack) => {
      const idle: Overhead[] = [];
      for (let i = 0; i < idleJobs; i++) {
        // Long enough for the queue listener to back off to its longest interval (2 s), as on an idle
        // afternoon, and a random part, so the submits do not lock onto the listener's polling phase.
        await sleep(2500 + Math.random() * 2000);
        const marker = randomUUID();
        idle.push(await overheadOf(stack, await submitJob(stack, { prompt: `a lighthouse ${marker}` }), marker, modelLatency));
      }
      const idleFigures = summarise(idle);
      report({
        section: 'overhead',
        measure: `overhead beyond model time, idle, ${configuration.name}, ${idle.length} jobs`,
        value: idleFigures.text,
        baseline: `model time ${ms(modelLatency)} set`,
        goal: 'p50 ≤ 150 ms, p99 ≤ 1 s',
        met: idleFigures.p50 <= 150 && idleFigures.p99 <= 1000,
      });
      if (!configuration.underLoad) return;
      const submitted: Array<{ id: string; marker: string }> = [];
      const rate = 5;
      for (let i = 0; i < rate * seconds; i++) {
        const marker = randomUUID();
        submitted.push({ id: await submitJob(stack, { prompt: `a lighthouse ${marker}` }), marker });
        await sleep(1000 / rate);
      }
      const ended = await waitForAll(stack, submitted.map((job) => job.id), 5 * 60_000);
      const loaded = submitted.map(({ id, marker }, i) => overheadOf(stack, id, marker, modelLatency, ended[i]));
      report({
        section: 'overhead',
        measure: `overhead beyond model time, under load (${rate} jobs/s on one host: host.json's batchSize 2 and newBatchThreshold 1 run at most 3 jobs at once), ${configuration.name}, ${loaded.length} jobs`,
        value: summarise(await Promise.all(loaded)).text,
        baseline: `model time ${ms(modelLatency)} set`,
      });
    });
  }
}

/** (4) Quota use: a burst several times the provider's per-minute quota, against an image service that enforces it. */
async function quotaSection(): Promise<void> {
  console.log('(4) quota use');
  // The quota, not our workers, must be the limit: 120 calls a minute is 20 in any 10 s (local/imageService).
  const requestsPerMinute = 120;
  const jobs = quick ? 60 : 3 * requestsPerMinute;
  await withStack(
    {
      imageService: { requestsPerMinute, latencyMs: 50 },
      env: { IMAGE_REQUESTS_PER_MINUTE: String(requestsPerMinute), TENANTS: tenantsSetting() },
      hosts: 2,
    },
    async (stack) => {
      const ids: string[] = [];
      let next = 0;
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (next < jobs) {
            next++;
            const { status, body } = await stack.submit({ prompt: 'a kite over the dunes' });
            if (status === 202) ids.push(String(body.id));
          }
        }),
      );
      const ended = await waitForAll(stack, ids, 15 * 60_000);
      const failed = ended.filter((job) => job.status !== 'Succeeded').length;
      const calls = stack.imageService.calls();
      const accepted = calls.filter((c) => c.status === 200);
      const refused = calls.filter((c) => c.status === 429).length;
      const times = accepted.map((c) => Date.parse(c.at));
      const minutes = (Math.max(...times) - Math.min(...times)) / 60_000;
      // The first call of the busy period opens it; the quota is per minute, pro rata.
      const use = (accepted.length - 1) / (requestsPerMinute * minutes);
      const refusedShare = refused / calls.length;
      // Where unused quota went: the longest pauses between accepted calls (a 429's Retry-After, a hand-over).
      const sorted = [...times].sort((a, b) => a - b);
      const gaps = sorted.slice(1).map((time, i) => time - (sorted[i] ?? time)).sort((a, b) => b - a);
      report({
        section: 'quota',
        measure: `quota use, ${ids.length} jobs against ${requestsPerMinute} calls/minute`,
        value: `${(use * 100).toFixed(1)} % of the quota used; ${failed} failed jobs; ${(refusedShare * 100).toFixed(1)} % of calls answered 429; longest pauses between calls ${gaps.slice(0, 3).map(ms).join(', ')}`,
        goal: '≥ 95 %, 0 failed, ≤ 5 % 429',
        met: use >= 0.95 && failed === 0 && refusedShare <= 0.05,
      });
    },
  );
}

/** (5) Scale-out: completed jobs per second with 1, 2 and 4 hosts, with a fast image service. */
async function scaleOutSection(): Promise<void> {
  console.log('(5) scale-out');
  const jobs = quick ? 40 : 200;
  let single: number | undefined;
  for (const hosts of quick ? [1, 2] : [1, 2, 4]) {
    // No partial images: the local image service renders each one in the benchmark's own process, which would
    // measure it, not the hosts.
    await withStack({ hosts, env: { PARTIAL_IMAGES: '0' } }, async (stack) => {
      const started = Date.now();
      const ids: string[] = [];
      let next = 0;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (next < jobs) {
            const host = stack.hosts[next++ % stack.hosts.length]!;
            const response = await fetch(`${host.url}/api/jobs`, { method: 'POST', headers: submitHeaders, body: JSON.stringify({ prompt: 'a snail on a leaf' }) });
            const body = (await response.json()) as { id?: string };
            if (response.status === 202 && body.id) ids.push(body.id);
          }
        }),
      );
      const ended = await waitForAll(stack, ids, 10 * 60_000);
      const last = Math.max(...ended.map((job) => Date.parse(String(job['lastUpdatedDateTime']))));
      const throughput = ids.length / ((last - started) / 1000);
      single ??= throughput;
      report({
        section: 'scale-out',
        measure: `${hosts} host${hosts > 1 ? 's' : ''}: ${ids.length} jobs submitted and completed`,
        value: perSecond(throughput),
        baseline: `1 host ${perSecond(single)}`,
        ratio: throughput / single,
        note: `${os.cpus().length} cores on this machine`,
      });
    });
  }
}

function peakRssInMb(pid: number | undefined): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmHWM:\s+(\d+) kB/.exec(status);
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

/** (6) Peak memory of one host through a full batch of the largest gpt-image-2 pictures. */
async function memorySection(): Promise<void> {
  console.log('(6) peak RSS');
  // The worst a school can configure: MAX_IMAGES_PER_JOB at gpt-image-2's most images per call.
  const maxImagesPerJob = 10;
  await withStack({ env: { MAX_IMAGES_PER_JOB: String(maxImagesPerJob) } }, async (stack) => {
    const pid = stack.hosts[0]?.process.pid;
    // Warm: one small job, so the baseline includes the loaded code.
    await stack.waitForJob(await submitJob(stack, { prompt: 'a pebble' }));
    const before = peakRssInMb(pid);
    const job = await stack.waitForJob(await submitJob(stack, { prompt: 'a wide mountain panorama', n: maxImagesPerJob, size: '3840x2160' }), 5 * 60_000);
    const after = peakRssInMb(pid);
    report({
      section: 'memory',
      measure: `peak RSS of one host, ${maxImagesPerJob} images of 3840x2160 (${String(job.status)})`,
      value: `${after.toFixed(0)} MB`,
      baseline: `${before.toFixed(0)} MB after one small job`,
      goal: '≤ 300 MB',
      met: after <= 300,
    });
  });
}

/** A PNG of noise of about this many MiB (stored, not compressed, so its size is known and it encodes fast). */
async function pictureOfMib(mib: number): Promise<Buffer> {
  const side = Math.floor(Math.sqrt((mib * 1024 * 1024) / 3));
  return sharp(randomBytes(side * side * 3), { raw: { width: side, height: side, channels: 3 } }).png({ compressionLevel: 0 }).toBuffer();
}

/** Uploads a picture through its SAS link, as an LMS does, and returns the upload id. */
async function uploadPicture(stack: Stack, bytes: Buffer): Promise<string> {
  const created = await fetch(`${stack.url}/api/uploads`, { method: 'POST', headers: { 'api-key': tenantA.key } });
  const { id, uploadUrl } = (await created.json()) as { id: string; uploadUrl: string };
  const put = await fetch(uploadUrl, { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob' }, body: new Uint8Array(bytes) });
  if (put.status !== 201) throw new Error(`upload answered ${put.status}`);
  return id;
}

/**
 * (7) Peak memory of one host through two concurrent edits of four large uploads each (issue 21: the worker
 * holds an edit's pictures in memory). At the default MAX_EDIT_INPUT_MIB (48), and, for comparison, with the
 * cap raised to 320 and more per job (as much as the local image service's 64 MiB body limit takes).
 */
async function editMemorySection(): Promise<void> {
  console.log('(7) peak RSS of edits');
  const cases: Array<{ label: string; env: Record<string, string>; mibPerPicture: number }> = [
    { label: 'at the default cap (MAX_EDIT_INPUT_MIB=48)', env: {}, mibPerPicture: 11.4 },
    { label: 'with the cap raised (MAX_EDIT_INPUT_MIB=320)', env: { MAX_EDIT_INPUT_MIB: '320' }, mibPerPicture: 14.3 },
  ];
  for (const { label, env, mibPerPicture } of cases) {
    const picture = await pictureOfMib(mibPerPicture);
    await withStack({ env }, async (stack) => {
      const pid = stack.hosts[0]?.process.pid;
      await stack.waitForJob(await submitJob(stack, { prompt: 'a pebble' }));
      const before = peakRssInMb(pid);
      const jobs = [];
      for (let j = 0; j < 2; j++) {
        const uploadIds = [];
        for (let i = 0; i < 4; i++) uploadIds.push(await uploadPicture(stack, picture));
        jobs.push({ kind: 'edit', prompt: `a hat on picture set ${j}`, images: uploadIds.map((uploadId) => ({ uploadId })) });
      }
      const ids = await Promise.all(jobs.map((body) => submitJob(stack, body)));
      const ended = await waitForAll(stack, ids, 5 * 60_000);
      const after = peakRssInMb(pid);
      const perJob = (4 * picture.length) / 2 ** 20;
      report({
        section: 'memory',
        measure: `peak RSS of one host, 2 concurrent edits of 4 × ${(picture.length / 2 ** 20).toFixed(1)} MiB (${perJob.toFixed(1)} MiB a job), ${label} (${ended.map((job) => String(job.status)).join(', ')})`,
        value: `${after.toFixed(0)} MB`,
        baseline: `${before.toFixed(0)} MB after one small job`,
        note: `${((after - before) / (2 * perJob)).toFixed(1)} MB of RSS per MiB of input`,
      });
    });
  }
}

function writeReport(startedAt: Date, totalSeconds: number): void {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const packageJson = JSON.parse(readFileSync(path.join(projectDir, 'package.json'), 'utf8')) as { version: string };
  const lines = [
    '# Benchmarks',
    '',
    `Written by \`npm run bench${quick ? ' -- --quick' : ''}\` on ${startedAt.toISOString().slice(0, 10)} in ${totalSeconds.toFixed(0)} s ` +
      `(edu4all-image-jobs ${packageJson.version}). Each figure stands beside a baseline measured in the same run on the same Azurite; ` +
      'the ratios travel between machines better than the absolute figures.',
    '',
    `Machine: ${os.cpus().length} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.type()} ${os.release()}; Node ${process.version}; ` +
      'everything (load generator, Azurite, image service, hosts) on this one machine, so they share its cores.',
    '',
    '| section | measure | figure | baseline | ratio | goal |',
    '|---|---|---|---|---|---|',
    ...figures.map((f) =>
      `| ${f.section} | ${f.measure} | ${f.value}${f.note ? ` (${f.note})` : ''} | ${f.baseline ?? ''} | ${f.ratio === undefined ? '' : `${f.ratio.toFixed(2)}×`} | ${f.goal ? `${f.goal}: **${f.met ? 'met' : 'missed'}**` : ''} |`,
    ),
    '',
  ];
  // The committed report is a full run's; a quick or partial run writes beside it (ignored by git).
  const file = path.join(projectDir, 'docs', quick || partial ? 'benchmarks-quick.md' : 'benchmarks.md');
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, lines.join('\n'));
  console.log(`written to ${path.relative(projectDir, file)}`);
}

async function main(): Promise<void> {
  const startedAt = new Date();
  console.log(`npm run bench${quick ? ' -- --quick' : ''}: Node ${process.version}, ${os.cpus().length} cores`);
  const only = process.argv.find((arg) => arg.startsWith('--only='))?.slice('--only='.length).split(',');
  partial = only !== undefined;
  const sections: Array<[string, () => Promise<void>]> = [
    ['submit', submitSection],
    ['status', statusSection],
    ['tracing', tracingSection],
    ['overhead', overheadSection],
    ['quota', quotaSection],
    ['scale-out', scaleOutSection],
    ['memory', memorySection],
    ['edit-memory', editMemorySection],
  ];
  for (const [name, section] of sections) if (!only || only.includes(name)) await section();
  writeReport(startedAt, (Date.now() - startedAt.getTime()) / 1000);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
