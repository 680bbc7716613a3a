import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { type Stack, tenantA } from '../../local/harness/stack';
import { peakRssInMb } from '../measure';
import type { BenchRun } from '../report';
import { submitJob, waitForAll, withStack } from '../stackJobs';

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
export async function editMemorySection(run: BenchRun): Promise<void> {
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
      run.report({
        section: 'memory',
        measure: `peak RSS of one host, 2 concurrent edits of 4 × ${(picture.length / 2 ** 20).toFixed(1)} MiB (${perJob.toFixed(1)} MiB a job), ${label} (${ended.map((job) => String(job.status)).join(', ')})`,
        value: `${after.toFixed(0)} MB`,
        baseline: `${before.toFixed(0)} MB after one small job`,
        note: `${((after - before) / (2 * perJob)).toFixed(1)} MB of RSS per MiB of input`,
      });
    });
  }
}

