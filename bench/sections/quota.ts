import { tenantsSetting } from '../../local/harness/stack';
import { ms } from '../measure';
import type { BenchRun } from '../report';
import { waitForAll, withStack } from '../stackJobs';

/** (4) Quota use: a burst several times the provider's per-minute quota, against an image service that enforces it. */
export async function quotaSection(run: BenchRun): Promise<void> {
  console.log('(4) quota use');
  // The quota, not our workers, must be the limit: 120 calls a minute is 20 in any 10 s (local/imageService).
  const requestsPerMinute = 120;
  const jobs = run.quick ? 60 : 3 * requestsPerMinute;
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
      run.report({
        section: 'quota',
        measure: `quota use, ${ids.length} jobs against ${requestsPerMinute} calls/minute`,
        value: `${(use * 100).toFixed(1)} % of the quota used; ${failed} failed jobs; ${(refusedShare * 100).toFixed(1)} % of calls answered 429; longest pauses between calls ${gaps.slice(0, 3).map(ms).join(', ')}`,
        goal: '≥ 95 %, 0 failed, ≤ 5 % 429',
        met: use >= 0.95 && failed === 0 && refusedShare <= 0.05,
      });
    },
  );
}

