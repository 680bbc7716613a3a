import { randomUUID } from 'node:crypto';
import { ContainerSASPermissions } from '@azure/storage-blob';
import { QueueSASPermissions } from '@azure/storage-queue';
import { load, ms, perSecond } from '../measure';
import type { BenchRun } from '../report';
import { submitHeaders, submitRequest, withStack } from '../stackJobs';

/** (1) Submit throughput and latency, against the raw storage a submit stands for: one blob put and one queue send. */
export async function submitSection(run: BenchRun): Promise<void> {
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
        load({ url: origin ?? containerUrl.origin, connections: connections / 2, durationInSeconds: run.seconds, requests: [rawPair[0]!] }),
        load({ url: origin ?? queueUrl.origin, connections: connections / 2, durationInSeconds: run.seconds, requests: [rawPair[1]!] }),
      ]);
      const rawPerSecond = Math.min(blobs.perSecond, messages.perSecond);
      const submit = await load({ url: stack.url, connections, durationInSeconds: run.seconds, headers: submitHeaders, requests: [submitRequest()] });
      const ratio = submit.perSecond / rawPerSecond;
      run.report({
        section: 'submit',
        measure: `submit throughput at concurrency ${connections}`,
        value: `${perSecond(submit.perSecond)} (p50 ${ms(submit.p50)}, p99 ${ms(submit.p99)}; answers ${JSON.stringify(submit.statuses)})`,
        baseline: `raw blob put + queue send ${perSecond(rawPerSecond)} (p50 ${ms(blobs.p50)} + ${ms(messages.p50)})`,
        ratio,
        goal: '≥ 0.60× raw',
        met: ratio >= 0.6,
      });
    }
    const offered = run.quick ? [50] : [25, 50, 100];
    for (const rate of offered) {
      const submit = await load({ url: stack.url, connections: 32, overallRate: rate, durationInSeconds: run.seconds, headers: submitHeaders, requests: [submitRequest()] });
      run.report({
        section: 'submit',
        measure: `submit latency at ${rate} requests/s offered`,
        value: `p50 ${ms(submit.p50)}, p99 ${ms(submit.p99)}, served ${perSecond(submit.perSecond)} (answers ${JSON.stringify(submit.statuses)})`,
        ...(rate === 100 ? { goal: 'p99 ≤ 25 ms', met: submit.p99 <= 25 } : {}),
      });
    }
  });
}

