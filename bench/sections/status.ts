import { ContainerSASPermissions } from '@azure/storage-blob';
import { tenantA } from '../../local/harness/stack';
import { storageNames } from '../../shared/storage/storageNames';
import { load, ms, perSecond } from '../measure';
import type { BenchRun } from '../report';
import { submitJob, withStack } from '../stackJobs';

/** (2) Status reads of a job with 4 images (4 SAS links), against a raw read of the job's blob. */
export async function statusSection(run: BenchRun): Promise<void> {
  console.log('(2) status reads');
  await withStack({}, async (stack) => {
    const id = await submitJob(stack, { prompt: 'four paper boats', n: 4 });
    const job = await stack.waitForJob(id);
    if (job.status !== 'Succeeded') throw new Error(`the status section's job ended ${String(job.status)}`);
    const blob = stack.blobService.getContainerClient(storageNames.jobsContainer).getBlobClient(`${id}.json`);
    const blobUrl = new URL(await blob.generateSasUrl({ permissions: ContainerSASPermissions.parse('r'), expiresOn: new Date(Date.now() + 3_600_000) }));
    const raw = await load({ url: blobUrl.origin, connections: 8, durationInSeconds: run.seconds, requests: [{ method: 'GET', path: `${blobUrl.pathname}${blobUrl.search}` }] });
    const status = await load({ url: stack.url, connections: 8, durationInSeconds: run.seconds, headers: { 'api-key': tenantA.key }, requests: [{ method: 'GET', path: `/api/jobs/${id}` }] });
    const ratio = status.perSecond / raw.perSecond;
    run.report({
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

