import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../shared/config/config';
import type { JobRecord } from '../../shared/jobs/job';
import { createServices } from '../../functions/lib/services';
import { consoleLogger } from '../../shared/logger';
import { repairStrandedJobs } from '../../shared/upkeep/recovery';
import { startHostProcess, startStack, tenantA, tenantB, type JsonObject, type Stack } from '../../local/harness/stack';

/** Every accepted job ends once: faults at the image service's HTTP boundary, crashes, duplicates, cancels. */
describe('reliability', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ env: { IMAGE_REQUEST_TIMEOUT_SECONDS: '5', JOB_RETRY_DEADLINE_SECONDS: '8' } });
  });
  after(async () => {
    await stack?.stop();
  });

  const callsFor = (marker: string) => stack.imageService.calls().filter((call) => call.prompt.includes(marker));
  async function record(id: string): Promise<JobRecord | undefined> {
    return createServices(loadConfig(stack.env)).jobs.get(id);
  }
  async function run(prompt: string, extra: Record<string, unknown> = {}, timeoutInMs = 30_000): Promise<JsonObject> {
    const submitted = await stack.submit({ prompt, ...extra });
    assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
    return stack.waitForJob(String(submitted.body.id), timeoutInMs);
  }

  const recoverable = [
    { name: 'a 429 with retry-after-ms', fault: { kind: 'rateLimit', retryAfterMs: 300 }, statuses: [429, 200], attempts: 1 },
    { name: 'a 429 with retry-after', fault: { kind: 'rateLimit', retryAfterSeconds: 1 }, statuses: [429, 200], attempts: 1 },
    { name: 'a 429 without Retry-After', fault: { kind: 'rateLimit' }, statuses: [429, 200], attempts: 1 },
    { name: 'a 500', fault: { kind: 'serverError' }, statuses: [500, 200], attempts: 1 },
    { name: 'a 503', fault: { kind: 'serverError', status: 503 }, statuses: [503, 200], attempts: 1 },
    { name: 'a connection reset', fault: { kind: 'reset' }, statuses: [0, 200], attempts: 1 },
    { name: 'a hang past the timeout', fault: { kind: 'hang' }, statuses: [0, 200], attempts: 1 },
  ] as const;
  for (const { name, fault, statuses, attempts } of recoverable) {
    it(`finishes a job after ${name}, calling again only once`, async () => {
      const marker = `recover-${randomUUID()}`;
      stack.imageService.addRule({ match: marker, fault, times: 1 });
      const job = await run(`A lighthouse ${marker}`);
      assert.equal(job.status, 'Succeeded', JSON.stringify(job.error));
      assert.deepEqual(callsFor(marker).map((call) => call.status), statuses);
      const stored = await record(String(job.id));
      assert.equal(stored?.attempts, attempts, 'no dequeue attempt spent');
      assert.equal(stored?.providerCalls, 2);
    });
  }

  it('lets the queue retry after two transient failures in one invocation', async () => {
    const marker = `twice-${randomUUID()}`;
    stack.imageService.addRule({ match: marker, fault: { kind: 'serverError' }, times: 2 });
    const job = await run(`A harbour ${marker}`);
    assert.equal(job.status, 'Succeeded');
    assert.deepEqual(callsFor(marker).map((call) => call.status), [500, 500, 200]);
    assert.equal((await record(String(job.id)))?.attempts, 2);
  });

  it('fails a job as ProviderUnavailable once failed calls outlast the retry deadline', async () => {
    // Each call hangs until the 5 s timeout: the second failure passes the 8 s deadline.
    const marker = `deadline-${randomUUID()}`;
    stack.imageService.addRule({ match: marker, fault: { kind: 'hang' } });
    const job = await run(`A canal ${marker}`, {}, 60_000);
    assert.equal(job.status, 'Failed');
    assert.equal(job.error?.code, 'ProviderUnavailable');
    assert.match(job.error?.message ?? '', /kept failing for 1\d s/);
    assert.equal(callsFor(marker).length, 2);
  });

  // (With the default deadline the poison queue ends such a job: see the pipeline test.)
  it('fails a job whose provider keeps answering 5xx as ProviderUnavailable', async () => {
    const marker = `always-${randomUUID()}`;
    stack.imageService.addRule({ match: marker, fault: { kind: 'serverError', status: 502 } });
    const job = await run(`A dyke ${marker}`, {}, 60_000);
    assert.equal(job.status, 'Failed');
    assert.equal(job.error?.code, 'ProviderUnavailable');
    assert.ok(callsFor(marker).length <= 10, 'at most two tries in each of the five attempts');
  });

  it('does not retry a rejected request and says why', async () => {
    const marker = `rejected-${randomUUID()}`;
    stack.imageService.addRule({ match: marker, fault: { kind: 'serverError', status: 400 } });
    const job = await run(`A tulip ${marker}`);
    assert.equal(job.status, 'Failed');
    assert.equal(job.error?.code, 'ProviderRejected');
    assert.match(job.error?.message ?? '', /The server had an error/);
    assert.equal(callsFor(marker).length, 1);
  });

  it('does not retry an authentication failure, and logs which setting to check', async () => {
    const marker = `auth-${randomUUID()}`;
    stack.imageService.addRule({ match: marker, fault: { kind: 'unauthorized' } });
    const job = await run(`A bicycle ${marker}`);
    assert.equal(job.error?.code, 'ProviderAuthFailed');
    assert.equal(callsFor(marker).length, 1);
    assert.match(stack.hosts.map((h) => h.logs()).join('\n'), /Cognitive Services OpenAI User/);
  });

  it('returns the same job for a retried POST with the same Idempotency-Key, and refuses a different body', async () => {
    const key = randomUUID();
    const first = await stack.submit({ prompt: 'A windmill' }, { 'idempotency-key': key });
    const again = await stack.submit({ prompt: 'A windmill' }, { 'idempotency-key': key });
    assert.equal(first.status, 202);
    assert.equal(again.status, 202);
    assert.equal(again.body.id, first.body.id);
    assert.equal(again.headers.get('operation-location'), first.headers.get('operation-location'));
    const different = await stack.submit({ prompt: 'A windmill at night' }, { 'idempotency-key': key });
    assert.equal(different.status, 409);
    assert.equal(different.body.error?.code, 'IdempotencyKeyReused');
    const otherTenant = await stack.submit({ prompt: 'A windmill' }, { 'idempotency-key': key, 'api-key': tenantB.key });
    assert.equal(otherTenant.status, 202);
    assert.notEqual(otherTenant.body.id, first.body.id, 'keys are scoped to the tenant');
    const noKey = await stack.submit({ prompt: 'A windmill' });
    assert.notEqual(noKey.body.id, first.body.id);
    const badKey = await stack.submit({ prompt: 'A windmill' }, { 'idempotency-key': 'x'.repeat(300) });
    assert.equal(badKey.status, 400);
    await stack.waitForJob(String(first.body.id));
    const replayAfterFinish = await stack.submit({ prompt: 'A windmill' }, { 'idempotency-key': key });
    assert.equal(replayAfterFinish.body.id, first.body.id);
    assert.equal(replayAfterFinish.body.status, 'Succeeded');
  });

  it('cancels a job that has not finished, refuses to cancel a finished one', async () => {
    const marker = `cancel-${randomUUID()}`;
    stack.imageService.addRule({ match: marker, fault: { kind: 'delay', ms: 1500 }, times: 1 });
    const submitted = await stack.submit({ prompt: `A kite ${marker}`, n: 2 });
    const id = String(submitted.body.id);
    await stack.waitForStatus(id, 'Running');
    const cancel = (jobId: string, key = tenantA.key) => fetch(`${stack.url}/api/jobs/${jobId}:cancel`, { method: 'POST', headers: { 'api-key': key } });
    assert.equal((await cancel(id, tenantB.key)).status, 404, "another tenant's job");
    const canceled = await cancel(id);
    assert.equal(canceled.status, 200);
    assert.equal(((await canceled.json()) as JsonObject).status, 'Canceled');
    assert.equal((await cancel(id)).status, 200, 'cancel is idempotent');
    // The worker still has the call in hand (1.5 s, longer on a busy machine): look once it has put its images away.
    await stack.waitForLog(`Job ${id}: canceled while running; its images were removed.`);
    const job = (await stack.getJob(id)).body;
    assert.equal(job.status, 'Canceled');
    assert.equal(job.result, undefined, 'images made before the cancel are not returned');
    const left = [];
    for await (const blob of stack.blobService.getContainerClient('images').listBlobsFlat({ prefix: `${id}/` })) left.push(blob.name);
    assert.deepEqual(left, []);

    const done = await run('A finished kite');
    const tooLate = await cancel(String(done.id));
    assert.equal(tooLate.status, 409);
    assert.equal(((await tooLate.json()) as JsonObject).error?.code, 'NotCancelable');
  });

  it('finishes a job whose host was killed mid-call, without duplicate images', async () => {
    const marker = `crash-${randomUUID()}`;
    stack.imageService.addRule({ match: marker, fault: { kind: 'delay', ms: 1500 }, times: 1 });
    const submitted = await stack.submit({ prompt: `A lantern ${marker}`, n: 2 });
    const id = String(submitted.body.id);
    await stack.waitForStatus(id, 'Running');
    await stack.hosts[0]!.kill('SIGKILL');
    stack.hosts.shift();
    await stack.startHost();
    const job = await stack.waitForJob(id, 40_000);
    assert.equal(job.status, 'Succeeded');
    assert.equal(job.result?.images?.length, 2);
    const blobs = [];
    for await (const blob of stack.blobService.getContainerClient('images').listBlobsFlat({ prefix: `${id}/` })) blobs.push(blob.name);
    assert.deepEqual(blobs.sort(), [`${id}/0.png`, `${id}/1.png`]);
    assert.ok(callsFor(marker).length <= 2, `${callsFor(marker).length} calls: one lost with the crash, one after`);
  });

  /** What a crash between storing a job and enqueueing it leaves behind: a record and no message. */
  async function strandJob(): Promise<string> {
    const services = createServices(loadConfig(stack.env));
    const id = randomUUID();
    const created = new Date(Date.now() - 5 * 60_000).toISOString();
    await services.ensureStorage();
    await services.jobs.create({
      id,
      tenantId: tenantA.id,
      status: 'NotStarted',
      createdDateTime: created,
      lastUpdatedDateTime: created,
      request: { prompt: `An orphan kite ${id}`, n: 1, orientation: 'square', size: '1024x1024', outputFormat: 'png' },
      model: 'gpt-image-2',
      metapromptVersion: 'child-safe-v1',
      attempts: 0,
    });
    return id;
  }

  it('enqueues a job that a crash left stored but never queued, by the sweepJobs timer', async () => {
    // A host whose sweep runs every second (SWEEP_SCHEDULE is a binding expression); the stack's runs every 5 minutes.
    const sweeper = await startHostProcess({ ...stack.env, SWEEP_SCHEDULE: '* * * * * *' });
    try {
      const id = await strandJob();
      const job = await stack.waitForJob(id);
      assert.equal(job.status, 'Succeeded');
      assert.equal(callsFor(id).length, 1);
    } finally {
      await sweeper.kill();
    }
  });

  it('enqueues stranded jobs in the sweep, even if nobody reads their status', async () => {
    const id = await strandJob();
    const repaired = await repairStrandedJobs(createServices(loadConfig(stack.env)), consoleLogger);
    assert.ok(repaired >= 1);
    for (let i = 0; i < 100 && callsFor(id).length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    const job = await stack.waitForJob(id);
    assert.equal(job.status, 'Succeeded');
    assert.equal(callsFor(id).length, 1);
    assert.equal(await repairStrandedJobs(createServices(loadConfig(stack.env)), consoleLogger), 0, 'nothing left to repair');
  });

  it('tells a job in an idle service that it is first in line, even with entries in line whose jobs never start', async () => {
    // Entries whose jobs are gone (a crash between a job's erasure and its entry's) come first in the fair
    // order; the queue's own length bounds the position, and the job's ticket skips them.
    const services = createServices(loadConfig(stack.env));
    await services.ensureStorage();
    for (let i = 0; i < 5; i++) await services.line.add({ jobId: randomUUID(), tenantId: 'school-gone', student: '', acceptedAt: Date.now() - 60_000 });
    const submitted = await stack.submit({ prompt: `A lighthouse in the dunes ${Date.now()}` });
    assert.equal(submitted.status, 202);
    assert.equal((submitted.body.queue as { position?: number } | undefined)?.position, 1, JSON.stringify(submitted.body.queue));
    await stack.waitForJob(String(submitted.body.id));
  });
});
