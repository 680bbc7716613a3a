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
    // Both hosts took part. A worker logs its success just after the status a poll can see, and the line
    // reaches us through a pipe: wait for the lines to arrive before counting them.
    const succeededLines = () => stack.hosts.map((host) => (host.logs().match(/processJob \([0-9a-f]+\) info: Job .*succeeded/g) ?? []).length);
    for (let i = 0; i < 50 && succeededLines().reduce((a, b) => a + b, 0) < 50; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    const workers = succeededLines();
    assert.equal(workers.reduce((a, b) => a + b, 0), 50);
    assert.ok(workers.every((count) => count > 0), `work per host: ${workers.join(', ')}`);
  });

  it('tells the next job it is first in line once a burst with a crashed host is over', async () => {
    // The ticket and started counts drift in a burst like this one: a host dies with jobs in hand, and their
    // messages come back to another host after the lease. The queue's length bounds the position.
    const run = `line-${Date.now()}`;
    const ids = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const response = await stack.submit({ prompt: `A kite number ${i} ${run}` });
        assert.equal(response.status, 202, JSON.stringify(response.body));
        return String(response.body.id);
      }),
    );
    await stack.hosts[0]!.kill('SIGKILL');
    stack.hosts.shift();
    await stack.startHost();
    const jobs = await Promise.all(ids.map((id) => stack.waitForJob(id, 90_000)));
    assert.deepEqual(
      jobs.map((job) => job.status),
      jobs.map(() => 'Succeeded'),
    );
    // The line and queue length behind the estimate may be a second old (storage/linePositions.ts).
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const next = await stack.submit({ prompt: `A kite after the burst ${run}` });
    assert.equal(next.status, 202, JSON.stringify(next.body));
    assert.equal((next.body.queue as { position?: number } | undefined)?.position, 1, JSON.stringify(next.body.queue));
    assert.equal((await stack.waitForJob(String(next.body.id))).status, 'Succeeded');
  });
});
