import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { storageNames } from '../shared/storage/storageNames';
import { startStack, tenantA } from '../local/harness/stack';

/**
 * `npm run bench`: how fast the service accepts jobs, against a baseline measured in the same run on the
 * same Azurite: the raw storage work a submit cannot avoid (one 1 KB blob write and one queue message).
 * Prints throughput and latency for both and their ratio. Numbers move with the machine; the ratio less so.
 */
const total = Number(process.env['BENCH_JOBS'] ?? 300);
const concurrency = Number(process.env['BENCH_CONCURRENCY'] ?? 8);

async function measure(label: string, operation: (i: number) => Promise<void>) {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const t0 = performance.now();
        await operation(i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pick = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  const result = { label, perSecond: total / seconds, p50: pick(0.5), p95: pick(0.95) };
  console.log(`${label.padEnd(44)} ${result.perSecond.toFixed(0).padStart(6)}/s   p50 ${result.p50.toFixed(1)} ms   p95 ${result.p95.toFixed(1)} ms`);
  return result;
}

async function main(): Promise<void> {
  // A slow model, so the workers stay out of the way of what is measured (they wait on the image service).
  const stack = await startStack({ imageService: { latencyMs: 60_000 } });
  try {
    const container = stack.blobService.getContainerClient(`bench-${Date.now()}`);
    await container.create();
    const queue = stack.queueService.getQueueClient(`bench-${Date.now()}`);
    await queue.create();
    const kilobyte = 'x'.repeat(1024);
    console.log(`${total} operations, concurrency ${concurrency}, Node ${process.version}`);
    const baseline = await measure('baseline: Azurite blob put 1 KB + queue send', async (i) => {
      await container.getBlockBlobClient(`${i}.json`).upload(kilobyte, kilobyte.length);
      await queue.sendMessage(Buffer.from(randomUUID()).toString('base64'));
    });
    const submit = await measure('POST /api/jobs through the local host', async (i) => {
      const response = await fetch(`${stack.url}/api/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'api-key': tenantA.key },
        body: JSON.stringify({ prompt: `A paper boat number ${i}`, user: `student-${i % 30}` }),
      });
      if (response.status !== 202) throw new Error(`submit answered ${response.status}`);
      await response.arrayBuffer();
    });
    console.log(`ratio: submit throughput is ${(submit.perSecond / baseline.perSecond).toFixed(2)}x the raw storage baseline ` +
      `(a submit also checks the rate limit, reserves quota and a place in line under ETags, and marks the job enqueued)`);
    const jobs = stack.blobService.getContainerClient(storageNames.jobsContainer);
    let stored = 0;
    for await (const _ of jobs.listBlobsFlat()) stored++;
    console.log(`stored jobs: ${stored}`);
  } finally {
    await stack.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
