import os from 'node:os';
import { perSecond } from '../measure';
import type { BenchRun } from '../report';
import { submitHeaders, waitForAll, withStack } from '../stackJobs';

/** (5) Scale-out: completed jobs per second with 1, 2 and 4 hosts, with a fast image service. */
export async function scaleOutSection(run: BenchRun): Promise<void> {
  console.log('(5) scale-out');
  const jobs = run.quick ? 40 : 200;
  let single: number | undefined;
  for (const hosts of run.quick ? [1, 2] : [1, 2, 4]) {
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
      run.report({
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

