import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startStack, type JsonObject, type Stack } from '../../local/harness/stack';

/**
 * A classroom presses "generate" at once. The deployment's quota is small, so every instance paces its
 * calls through the shared budget: no job fails, hardly a 429 comes back, and waiting students see their
 * place in line. Scaled down from 30 jobs at 6 a minute (5 minutes) to 30 jobs at 120 a minute.
 */
describe('a classroom burst against a small quota', () => {
  const requestsPerMinute = 120;
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      hosts: 2,
      // The provider's own quota is a little above what we pace to, as when the setting matches the deployment.
      imageService: { requestsPerMinute: 150, latencyMs: 100 },
      env: { IMAGE_REQUESTS_PER_MINUTE: String(requestsPerMinute) },
    });
  });
  after(async () => {
    await stack?.stop();
  });

  it('finishes 30 one-image jobs at the quota, with zero failures and few 429s, showing the line', async () => {
    const started = Date.now();
    const submitted = await Promise.all(Array.from({ length: 30 }, (_, i) => stack.submit({ prompt: `Student ${i} draws a kite`, user: `student-${i}` })));
    assert.deepEqual(submitted.map((s) => s.status), submitted.map(() => 202));
    const ids = submitted.map((s) => String(s.body.id));

    const last = await stack.getJob(ids[ids.length - 1]!);
    const waiting = last.body as JsonObject & { queue?: { position: number; estimatedStartDateTime: string } };
    if (waiting.status === 'NotStarted') {
      assert.ok(waiting.queue && waiting.queue.position >= 1, JSON.stringify(waiting));
      assert.ok(Date.parse(waiting.queue.estimatedStartDateTime) >= Date.now() - 1000);
      assert.ok(Number(last.headers.get('retry-after')) >= 1);
    }

    const jobs = await Promise.all(ids.map((id) => stack.waitForJob(id, 120_000)));
    const elapsedInSeconds = (Date.now() - started) / 1000;
    const failed = jobs.filter((job) => job.status !== 'Succeeded');
    const calls = stack.imageService.calls();
    const rateLimited = calls.filter((call) => call.status === 429).length;
    console.log(`classroom: jobs=30 failed=${failed.length} calls=${calls.length} 429s=${rateLimited} elapsed=${elapsedInSeconds.toFixed(1)}s (quota ${requestsPerMinute}/min: at least ${((30 - 2) * 60) / requestsPerMinute}s)`);
    assert.deepEqual(failed, []);
    assert.ok(rateLimited <= 3, `${rateLimited} 429s`);
    // The pacing held the calls to the quota: 30 calls at 2 a second cannot finish much sooner than 14 s.
    assert.ok(elapsedInSeconds >= ((30 - 2) * 60) / requestsPerMinute, `finished in ${elapsedInSeconds} s, faster than the quota allows`);
  });
});
