import { peakRssInMb } from '../measure';
import type { BenchRun } from '../report';
import { submitJob, withStack } from '../stackJobs';

/** (6) Peak memory of one host through a full batch of the largest gpt-image-2 pictures. */
export async function memorySection(run: BenchRun): Promise<void> {
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
    run.report({
      section: 'memory',
      measure: `peak RSS of one host, ${maxImagesPerJob} images of 3840x2160 (${String(job.status)})`,
      value: `${after.toFixed(0)} MB`,
      baseline: `${before.toFixed(0)} MB after one small job`,
      goal: '≤ 300 MB',
      met: after <= 300,
    });
  });
}

