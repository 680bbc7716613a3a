import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startStack, type Stack } from '../../local/harness/stack';
import { startImageService, type ImageService } from '../../local/imageService/imageService';

interface Health {
  status: string;
  deployments: { name: string; state: string; until?: string }[];
  warnings?: string[];
}

/**
 * Two deployments of the model (IMAGE_DEPLOYMENTS), each a local image service: calls spread over both; when
 * one answers 500s its calls go to the other without a failed job, it is taken out (health and logs say so),
 * and after the cool-down one probe brings it back.
 */
describe('a pool of two deployments', () => {
  let stack: Stack;
  let west: ImageService;
  let north: ImageService;

  before(async () => {
    west = await startImageService({ latencyMs: 20 });
    north = await startImageService({ latencyMs: 20 });
    const deployment = (name: string, service: ImageService) => ({ name, endpoint: service.url, deployment: 'gpt-image-2', requestsPerMinute: 100_000 });
    stack = await startStack({
      env: {
        IMAGE_DEPLOYMENTS: JSON.stringify([deployment('west', west), deployment('north', north)]),
        IMAGE_DEPLOYMENT_COOLDOWN_SECONDS: '2',
        // Live previews off: one call per picture keeps the counts below exact.
        PARTIAL_IMAGES: '0',
      },
    });
  });
  after(async () => {
    await stack?.stop();
    await west?.close();
    await north?.close();
  });

  const health = async () => (await (await fetch(`${stack.url}/api/health`)).json()) as Health;
  const states = async () => Object.fromEntries((await health()).deployments.map((deployment) => [deployment.name, deployment.state]));

  async function runJobs(count: number, label: string): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const response = await stack.submit({ prompt: `A kite over the dunes ${label} ${i}`, n: 1 });
      assert.equal(response.status, 202, JSON.stringify(response.body));
      ids.push(String(response.body.id));
    }
    const jobs = await Promise.all(ids.map((id) => stack.waitForJob(id, 60_000)));
    return jobs.map((job) => String(job.status));
  }

  it('names both deployments in the health answer, available', async () => {
    assert.deepEqual(await states(), { west: 'available', north: 'available' });
  });

  it('spreads calls over both', async () => {
    assert.deepEqual(await runJobs(8, 'spread'), Array(8).fill('Succeeded'));
    const on = (service: ImageService) => service.calls().filter((call) => call.prompt.includes('spread')).length;
    assert.equal(on(west) + on(north), 8);
    assert.ok(on(west) > 0 && on(north) > 0, `west ${on(west)}, north ${on(north)}`);
  });

  it('fails over without a failed job, takes the failing one out, and brings it back after one probe', async () => {
    north.addRule({ fault: { kind: 'serverError', status: 500 } });
    assert.deepEqual(await runJobs(8, 'failover'), Array(8).fill('Succeeded'));
    // Counted until its first cool-down ended (the log says when): on a busy machine the eight jobs may outlast
    // the 2 s, and a probe then reaches north, which still answers 500.
    const firstOut = /Image deployment north is taken out until (\S+):/.exec(stack.hosts[0]?.logs() ?? '')?.[1];
    const firstUntil = Date.parse(firstOut ?? '');
    assert.ok(Number.isFinite(firstUntil), 'the log says north was taken out, and until when');
    const failed = north.calls().filter((call) => call.prompt.includes('failover') && Date.parse(call.receivedAt) < firstUntil).length;
    assert.ok(failed >= 1 && failed <= 3, `north answered ${failed} calls with 500 before it was taken out (at most 3)`);
    const out = await health();
    const northOut = out.deployments.find((deployment) => deployment.name === 'north');
    assert.equal(northOut?.state, 'coolingDown');
    assert.ok(out.warnings?.some((warning) => warning.includes('north')), JSON.stringify(out.warnings));
    assert.match(stack.hosts[0]?.logs() ?? '', /Image deployment north is taken out until/);

    // Out: while it cools down (until the time health gave), no call reaches it. On a busy machine the jobs
    // may outlast the 2 s, and then a probe may go to north, which still answers 500 and goes out again.
    const until = Date.parse(northOut?.until ?? '');
    assert.ok(Number.isFinite(until), JSON.stringify(northOut));
    assert.deepEqual(await runJobs(3, 'cooling'), Array(3).fill('Succeeded'));
    assert.equal(north.calls().filter((call) => call.prompt.includes('cooling') && Date.parse(call.receivedAt) < until).length, 0);

    // Back: after the cool-down (as health says now) a probe goes to it; it answers, and it takes calls again.
    north.clearRules();
    const due = Date.parse((await health()).deployments.find((deployment) => deployment.name === 'north')?.until ?? '');
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number.isFinite(due) ? due - Date.now() : 0) + 200));
    assert.deepEqual(await runJobs(6, 'back'), Array(6).fill('Succeeded'));
    assert.ok(north.calls().some((call) => call.prompt.includes('back')), 'the probe reached north');
    assert.deepEqual(await states(), { west: 'available', north: 'available' });
    assert.match(stack.hosts[0]?.logs() ?? '', /Image deployment north is back/);
  });

  it('fails a job only when every deployment has failed it', async () => {
    west.addRule({ match: 'both refuse', fault: { kind: 'unauthorized' } });
    north.addRule({ match: 'both refuse', fault: { kind: 'unauthorized' } });
    const response = await stack.submit({ prompt: 'A lighthouse at dusk, both refuse', n: 1 });
    const job = await stack.waitForJob(String(response.body.id), 60_000);
    assert.equal(job.status, 'Failed');
    assert.equal(job.error?.code, 'ProviderAuthFailed');
    const tried = [west, north].map((service) => service.calls().filter((call) => call.prompt.includes('both refuse')).length);
    assert.deepEqual(tried, [1, 1], 'each deployment was tried once');
    west.clearRules();
    north.clearRules();
  });
});
