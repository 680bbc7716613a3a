import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startStack, type Stack } from '../../local/harness/stack';

/** Two host processes on one Azurite share a burst: every job is done, and done once. */
describe('two hosts sharing one queue', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ hosts: 2, imageService: { latencyMs: 50 } });
  });
  after(async () => {
    await stack?.stop();
  });

  it('finishes a burst of 50 jobs, each once', async () => {
    const run = `burst-${Date.now()}`;
    const ids = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const response = await stack.submit({ prompt: `A paper boat number ${i} ${run}-${i}-end`, n: 1 + (i % 2) });
        assert.equal(response.status, 202, JSON.stringify(response.body));
        return String(response.body.id);
      }),
    );
    const jobs = await Promise.all(ids.map((id) => stack.waitForJob(id, 90_000)));
    assert.deepEqual(
      jobs.map((job) => job.status),
      jobs.map(() => 'Succeeded'),
    );
    const calls = stack.imageService.calls().filter((call) => call.prompt.includes(run));
    for (let i = 0; i < 50; i++) {
      const forJob = calls.filter((call) => call.prompt.includes(`${run}-${i}-end`));
      assert.equal(forJob.length, 1, `job ${i} called the provider ${forJob.length} times`);
      assert.equal(jobs[i]?.result?.images?.length, 1 + (i % 2));
    }
    // Both hosts took part.
    const workers = stack.hosts.map((host) => (host.logs().match(/processJob \([0-9a-f]+\) info: Job .*succeeded/g) ?? []).length);
    assert.equal(workers.reduce((a, b) => a + b, 0), 50);
    assert.ok(workers.every((count) => count > 0), `work per host: ${workers.join(', ')}`);
  });
});
